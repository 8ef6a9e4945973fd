"""What a trace overlay draws: the statuses and moves one run was seen to make.

The counts come from the validator (:func:`runfsm.validate.validate_paths`), so a
diagram of a trace agrees with what ``runfsm validate`` says about it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RunfsmError
from ..lifecycle import Lifecycle

__all__ = ["Overlay", "TraceError", "overlay_from_moves", "overlays_from_trace", "safe_name"]


class TraceError(RunfsmError):
    """A trace that cannot be drawn (unreadable, or without any run in it)."""


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


def overlays_from_trace(path: Path, lc: Lifecycle, *, strict: bool = False) -> dict[str, Overlay]:
    """One overlay per run found in the trace file ``path`` (any format ``runfsm validate`` reads)."""
    if not Path(path).is_file():
        raise TraceError(f"trace file {str(path)!r} does not exist or is not a file")
    try:
        from ..validate import validate_paths  # loaded on first use
    except ImportError as exc:  # pragma: no cover - the validator ships with runfsm
        raise TraceError(f"the trace overlay needs runfsm.validate, which failed to import: {exc}") from None
    report = validate_paths([path], strict=strict, version=lc.version)
    if not report.histories:
        problems = [f.message for f in report.findings if f.severity == "error"]
        why = (" The validator said: " + "; ".join(problems[:3])) if problems else ""
        raise TraceError(f"trace {Path(path).name!r}: no run found to draw.{why}")
    out: dict[str, Overlay] = {}
    for run_id, history in report.histories.items():
        moves = report.transitions.get(run_id, [])
        out[run_id] = overlay_from_moves(lc, f"{run_id} from {Path(path).name}", history, moves)
    return out
