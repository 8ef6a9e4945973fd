"""Lifecycle diagrams drawn from the compiled spec: Graphviz DOT, SVG, PNG and Mermaid.

Everything drawn comes from :func:`runfsm.profile` (statuses, classes,
transitions, actors, evidence grades); nothing about the lifecycle is written
down here.  DOT and Mermaid text are emitted directly, so they need no
dependency and are byte-for-byte reproducible.  SVG and PNG are rendered by the
``graphviz-pure`` command (``pip install 'runfsm[diagrams]'``), or by the
system's Graphviz ``dot`` with ``renderer="system"``.

>>> from runfsm.diagrams import to_mermaid
>>> print(to_mermaid("run_step").splitlines()[3])
stateDiagram-v2

A trace overlay (``trace=``) draws the path of each run in a trace file on the
run diagram, with counts, as the validator (:mod:`runfsm.validate`) reads it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .. import spec
from .._protocols import NAMES, ProtocolInfo, protocol_info
from .._protocols import PROTOCOLS as _PROTOCOLS
from ..errors import DiagramError, RunfsmError
from ..lifecycle import Lifecycle, profile
from ._dot import combined_dot, lifecycle_dot
from ._mermaid import combined_mermaid, lifecycle_mermaid
from ._overlay import Overlay, TraceError, overlay_from_moves, overlays_from_trace, trace_stem
from ._render import RENDERERS, RenderError, find_renderer, render

__all__ = [
    "DIAGRAMS",
    "FORMATS",
    "DiagramError",
    "Overlay",
    "RenderError",
    "TraceError",
    "diagram_names",
    "find_renderer",
    "main",
    "overlay_from_moves",
    "render",
    "to_dot",
    "to_mermaid",
    "write_all",
]

FORMATS = ("dot", "svg", "png", "mermaid")
"""Output formats, in the order they are written."""
EXTENSIONS = {"dot": "dot", "svg": "svg", "png": "png", "mermaid": "mmd"}
PROTOCOLS = NAMES
"""The protocols ``write_all`` draws: the Assistants runs (by version) or the Responses API."""

COMBINED = "run-and-steps"
DIAGRAMS = _PROTOCOLS["assistants"].diagrams
"""The diagrams ``write_all`` draws: one per object kind, then the run with its steps."""
_COMBINED_KINDS = ("run", "run_step")


def _lifecycle(kind_or_lifecycle: str | Lifecycle, version: str) -> Lifecycle:
    if isinstance(kind_or_lifecycle, Lifecycle):
        return kind_or_lifecycle
    kinds = [k for k in DIAGRAMS if k != COMBINED]
    if kind_or_lifecycle not in kinds:
        raise DiagramError(
            f"unknown diagram {kind_or_lifecycle!r}; known: {', '.join(DIAGRAMS)} (or pass a Lifecycle)"
        )
    return profile(version).lifecycle(kind_or_lifecycle)


def to_dot(
    kind_or_lifecycle: str | Lifecycle = "run",
    *,
    version: str = spec.DEFAULT_VERSION,
    overlay: Overlay | None = None,
    legend: bool = True,
) -> str:
    """Graphviz DOT text for ``"run"``, ``"run_step"``, ``"message"``, ``"run-and-steps"`` or a Lifecycle.

    ``overlay`` (run diagrams) highlights one run's path; ``legend=False`` drops the key.
    """
    if kind_or_lifecycle == COMBINED:
        if overlay is not None:
            raise DiagramError(f"a trace overlay is drawn on a single lifecycle, not on {COMBINED!r}")
        p = profile(version)
        return combined_dot([p.lifecycle(k) for k in _COMBINED_KINDS], legend=legend)
    return lifecycle_dot(_lifecycle(kind_or_lifecycle, version), overlay, legend=legend)


def to_mermaid(
    kind_or_lifecycle: str | Lifecycle = "run", *, version: str = spec.DEFAULT_VERSION, overlay: Overlay | None = None
) -> str:
    """Mermaid ``stateDiagram-v2`` source for a kind (as :func:`to_dot`) or a Lifecycle."""
    if kind_or_lifecycle == COMBINED:
        if overlay is not None:
            raise DiagramError(f"a trace overlay is drawn on a single lifecycle, not on {COMBINED!r}")
        p = profile(version)
        return combined_mermaid([p.lifecycle(k) for k in _COMBINED_KINDS])
    return lifecycle_mermaid(_lifecycle(kind_or_lifecycle, version), overlay)


def diagram_names(version: str = spec.DEFAULT_VERSION, protocol: str = "assistants") -> dict[str, str]:
    """Diagram -> file stem; the newest version's files carry the plain name, others a ``-<version>`` suffix."""
    return _names(protocol_info(protocol, DiagramError), version)


def _names(info: ProtocolInfo, version: str) -> dict[str, str]:
    info.profile(version)  # rejects an unknown version with runfsm's error
    suffix = "" if version == info.default_version else f"-{version}"
    return {d: d + suffix for d in info.diagrams}


def _check_formats(formats: Sequence[str] | None) -> list[str]:
    if formats is None:
        return list(FORMATS)
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise DiagramError(f"unknown format {unknown[0]!r}; known: {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in formats]


def _write(out_dir: Path, stem: str, formats: Sequence[str], dot: str, mermaid: str, renderer: str) -> list[Path]:
    written = []
    for fmt in formats:
        path = out_dir / f"{stem}.{EXTENSIONS[fmt]}"
        if fmt == "dot":
            path.write_text(dot, encoding="utf-8", newline="\n")
        elif fmt == "mermaid":
            path.write_text(mermaid, encoding="utf-8", newline="\n")
        else:
            path.write_bytes(render(dot, fmt, renderer))
        written.append(path)
    return written


def write_all(
    out_dir: Path,
    formats: Sequence[str] | None = None,
    version: str | None = None,
    trace: Path | None = None,
    renderer: str = "pure",
    protocol: str = "assistants",
) -> list[Path]:
    """Write every diagram of ``version`` into ``out_dir`` in ``formats`` (default: all); return the paths.

    ``version`` defaults to the protocol's newest; ``protocol="responses"`` writes the
    Responses API diagram, ``response``, instead.

    Without ``trace``: ``run``, ``run_step``, ``message`` and ``run-and-steps``
    (``run-v1`` ... for ``version="v1"``).  With ``trace``: one run diagram per
    run found in that file, ``trace-<run id>``, with the run's path drawn on it.
    """
    fmts = _check_formats(formats)
    if renderer not in RENDERERS:
        raise RenderError(f"unknown renderer {renderer!r}; expected one of: {', '.join(RENDERERS)}")
    info = protocol_info(protocol, DiagramError)
    version = info.version(version)
    if trace is not None and not info.traces:
        raise DiagramError(f"a trace overlay is drawn on the run diagram of "
                           f"{', '.join(n for n, p in _PROTOCOLS.items() if p.traces)} only, not on {protocol}")
    names = _names(info, version)
    if any(f in ("svg", "png") for f in fmts):
        find_renderer(renderer)  # fail before writing anything when the renderer is missing
    jobs: list[tuple[str, str, str]] = []
    if trace is None:
        prof = info.profile(version)
        for d, stem in names.items():
            if d == COMBINED:
                lcs = [prof.lifecycle(k) for k in _COMBINED_KINDS]
                jobs.append((stem, combined_dot(lcs), combined_mermaid(lcs)))
            else:
                lc = prof.lifecycle(d)
                jobs.append((stem, to_dot(lc), to_mermaid(lc)))
    else:
        run = profile(version).run
        suffix = names["run"][len("run"):]
        taken: set[str] = set()
        for run_id, ov in overlays_from_trace(Path(trace), run).items():
            stem = trace_stem(run_id)
            if stem.casefold() in taken:  # run_A and run_a are one file on a case-insensitive file system
                stem = trace_stem(run_id, hashed=True)
            taken.add(stem.casefold())
            jobs.append((f"trace-{stem}{suffix}", to_dot(run, overlay=ov), to_mermaid(run, overlay=ov)))
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DiagramError(f"cannot create output directory {str(out)!r}: {exc.strerror or exc}") from None
    written: list[Path] = []
    failed: list[str] = []
    for stem, dot, mermaid in jobs:
        try:
            written += _write(out, stem, fmts, dot, mermaid, renderer)
        except OSError as exc:  # one diagram that cannot be written does not stop the others
            failed.append(f"cannot write {stem} into {str(out)!r}: {exc.strerror or exc}")
    if failed:
        raise DiagramError("; ".join(failed[:3]) + (f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""))
    return written


def main(args: object) -> int:
    """``runfsm diagram``: write the diagrams; print one path per line. Exit 2 on a runfsm error."""
    trace = getattr(args, "trace", None)
    try:
        paths = write_all(
            Path(getattr(args, "out", None) or "diagrams"),
            formats=getattr(args, "format", None),
            version=getattr(args, "version", None),
            trace=Path(trace) if trace else None,
            renderer=getattr(args, "renderer", None) or "pure",
            protocol=getattr(args, "protocol", None) or "assistants",
        )
    except RunfsmError as exc:
        print(f"runfsm diagram: error: {exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(p)
    return 0
