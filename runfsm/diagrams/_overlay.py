"""What a trace overlay draws: the statuses and moves one run was seen to make.

The counts come from the validator (:func:`runfsm.validate.validate_paths`), so a
diagram of a trace agrees with what ``runfsm validate`` says about it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TraceError
from ..lifecycle import Lifecycle

__all__ = ["Overlay", "TraceError", "overlay_from_moves", "overlays_from_trace", "safe_name", "trace_stem"]


@dataclass(frozen=True)
class Overlay:
    """The path of one run, as counts: statuses visited, edges taken, other moves seen.

    ``edge_counts`` holds moves that are one edge of the lifecycle;
    ``jump_counts`` legal moves that skip statuses (a poller missed the ones between);
    ``illegal_counts`` moves the lifecycle does not allow.
    """

    title: str
    status_counts: Mapping[str, int] = field(default_factory=dict)
    edge_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    jump_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)
    illegal_counts: Mapping[tuple[str, str], int] = field(default_factory=dict)


def overlay_from_moves(
    lc: Lifecycle, title: str, history: Iterable[str], moves: Iterable[tuple[str, str, bool]]
) -> Overlay:
    """Count ``history`` (statuses in order) and ``moves`` ((src, dst, legal) in order) against ``lc``."""
    statuses: Counter[str] = Counter(str(s) for s in history)
    edges: Counter[tuple[str, str]] = Counter()
    jumps: Counter[tuple[str, str]] = Counter()
    illegal: Counter[tuple[str, str]] = Counter()
    for src_, dst_, legal in moves:
        src, dst = str(src_), str(dst_)
        if not legal:
            illegal[(src, dst)] += 1
        elif lc.edges(src, dst):
            edges[(src, dst)] += 1
        else:
            jumps[(src, dst)] += 1
    return Overlay(title, dict(statuses), dict(edges), dict(jumps), dict(illegal))


def safe_name(text: str) -> str:
    """``text`` reduced to characters safe in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "run"


_STEM_LEN = 40


def trace_stem(run_id: str, hashed: bool = False) -> str:
    """A file-name stem for ``run_id``: the id itself when it is short and plain (ASCII letters, digits,
    ``_.-``), else its safe characters (cut to 40) and a hash of the whole id (always with ``hashed``).
    Stable (the same id, the same name), short, distinct for distinct ids (invisible characters
    included), and safe on every file system."""
    plain = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("._-")[:_STEM_LEN]
    if plain and plain == run_id and not hashed:
        return run_id
    digest = hashlib.sha256(run_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{plain or 'run'}-{digest}"


def _shown(text: str) -> str:
    from ..validate._cli import escape  # control characters and lone surrogates, escaped as in reports

    return escape(text)


def overlays_from_trace(path: Path, lc: Lifecycle, *, strict: bool = False) -> dict[str, Overlay]:
    """One overlay per run found in the trace file ``path`` (any format ``runfsm validate`` reads)."""
    if not Path(path).is_file():
        raise TraceError(f"trace file {str(path)!r} does not exist or is not a file")
    try:
        from ..validate import validate_paths  # loaded on first use
    except ImportError as exc:  # pragma: no cover - the validator ships with runfsm
        raise TraceError(f"the trace overlay needs runfsm.validate, which failed to import: {exc}") from None
    report = validate_paths([path], strict=strict, version=lc.version)
    if not report.histories and not report.unknown_statuses:
        problems = [f.message for f in report.findings if f.severity == "error"]
        why = (" The validator said: " + "; ".join(problems[:3])) if problems else ""
        raise TraceError(f"trace {Path(path).name!r}: no run found to draw.{why}")
    out: dict[str, Overlay] = {}
    name = _shown(Path(path).name)
    for run_id in [*report.histories, *(r for r in report.unknown_statuses if r not in report.histories)]:
        history = report.histories.get(run_id, [])
        moves = report.transitions.get(run_id, [])
        ov = overlay_from_moves(lc, f"{_shown(run_id)} from {name}", history, moves)
        unknown = report.unknown_statuses.get(run_id)
        if unknown:  # drawn as "unknown status" boxes (the validator reports them; they make no move)
            counts = dict(ov.status_counts)
            for status, n in unknown.items():
                counts[_shown(status)] = counts.get(_shown(status), 0) + n
            ov = Overlay(ov.title, counts, ov.edge_counts, ov.jump_counts, ov.illegal_counts)
        out[run_id] = ov
    return out
