"""Mermaid ``stateDiagram-v2`` source of the lifecycles (GitHub renders it in Markdown).

Mermaid state diagrams cannot style single arrows, so the encoding is lighter
than the Graphviz one: the initial and final markers (``[*]``), one colour per
status class, and ``(inferred)`` after the trigger of an inferred edge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from ..errors import SpecError
from ..lifecycle import Lifecycle
from . import _style as st
from ._dot import edge_groups
from ._overlay import Overlay

__all__ = ["combined_mermaid", "lifecycle_mermaid"]

_CLASSES = (
    ("active", f"fill:{st.FILL_ACTIVE},stroke:{st.BORDER_ACTIVE},color:{st.INK}"),
    ("paused", f"fill:{st.FILL_PAUSED},stroke:{st.BORDER_PAUSED},color:{st.INK}"),
    ("terminal", f"fill:{st.FILL_TERMINAL},stroke:{st.BORDER_TERMINAL},stroke-width:3px,color:{st.INK}"),
    # trace overlays
    ("visited", f"fill:{st.VISITED_FILL},stroke:{st.VISITED},stroke-width:3px,color:{st.INK}"),
    ("unvisited", f"fill:#ffffff,stroke:{st.FADED},color:{st.MUTED}"),
    ("illegal", f"fill:#ffebe9,stroke:{st.ILLEGAL},stroke-width:3px,color:{st.ILLEGAL}"),
)


def _sid(prefix: str, status: str, lc: Lifecycle | None = None) -> str:
    """The Mermaid id of a status; a status ``lc`` does not know gets a sanitised id of its own."""
    if lc is not None and status not in lc.statuses:
        status = "unknown_" + re.sub(r"\W", "_", status, flags=re.ASCII)
    return f"{prefix}_{status}" if prefix else status


def _text(text: str) -> str:
    """``text`` made safe inside a Mermaid quoted description or edge label."""
    return re.sub(r'["\n\r;:#]', "_", text)


def _label(triggers: Sequence[str], inferred: bool) -> str:
    text = " / ".join(triggers)
    return f"{text} (inferred)" if inferred else text


def _states(lc: Lifecycle, prefix: str, indent: str, overlay: Overlay | None = None) -> list[str]:
    lines = []
    if prefix:  # names are unique per lifecycle only: give each state an id and show the status
        lines += [f'{indent}state "{s}" as {_sid(prefix, s)}' for s in lc.order]
    if overlay is not None:
        for s, n in overlay.status_counts.items():
            note = "" if s in lc.statuses else " (unknown status)"
            lines.append(f'{indent}state "{_text(s)} ×{n}{note}" as {_sid(prefix, s, lc)}')
    lines.append(f"{indent}[*] --> {_sid(prefix, lc.initial)}")
    for e in edge_groups(lc):
        label = _label(e.triggers, e.inferred)
        if overlay is not None and overlay.edge_counts.get((e.source, e.dest)):
            label += f" ×{overlay.edge_counts[(e.source, e.dest)]}"
        lines.append(f"{indent}{_sid(prefix, e.source)} --> {_sid(prefix, e.dest)}: {label}")
    if overlay is not None:
        for (a, b), n in overlay.jump_counts.items():
            lines.append(f"{indent}{_sid(prefix, a, lc)} --> {_sid(prefix, b, lc)}: seen by polling ×{n}")
        for (a, b), n in overlay.illegal_counts.items():
            lines.append(f"{indent}{_sid(prefix, a, lc)} --> {_sid(prefix, b, lc)}: ILLEGAL ×{n}")
    lines += [f"{indent}{_sid(prefix, s)} --> [*]" for s in lc.order if s in lc.terminal]
    return lines


def _class_lines(lcs: Sequence[Lifecycle], prefixes: Sequence[str], overlay: Overlay | None = None) -> list[str]:
    members: dict[str, list[str]] = {name: [] for name, _ in _CLASSES}
    for lc, prefix in zip(lcs, prefixes, strict=True):
        for s in lc.order:
            klass = "terminal" if s in lc.terminal else "paused" if s in lc.paused else "active"
            if overlay is not None:
                klass = "visited" if overlay.status_counts.get(s) else "unvisited"
            members[klass].append(_sid(prefix, s))
        if overlay is not None:
            members["illegal"] += [_sid(prefix, s, lc) for s in overlay.status_counts if s not in lc.statuses]
    lines = [f"    classDef {name} {css}" for name, css in _CLASSES if members[name]]
    lines += [f"    class {', '.join(ids)} {name}" for name, ids in members.items() if ids]
    return lines


def _head(title: str) -> list[str]:
    return [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",  # quoted: run ids may hold ':'
        "---",
        "stateDiagram-v2",
        "    %% Generated from runfsm.spec by `runfsm diagram`; do not edit by hand.",
        "    direction LR",
    ]


def lifecycle_mermaid(lc: Lifecycle, overlay: Overlay | None = None) -> str:
    """Mermaid ``stateDiagram-v2`` source for one lifecycle, optionally with a trace overlay."""
    # a protocol with one version has nothing to tell apart
    title = f"{st.KIND_TITLES.get(lc.kind, lc.kind)} lifecycle" + (f" (API {lc.version})" if len(lc.versions) > 1 else "")
    if overlay is not None:
        title += f": {overlay.title}"
    lines = _head(title) + _states(lc, "", "    ", overlay) + _class_lines([lc], [""], overlay)
    return "\n".join(lines) + "\n"


def combined_mermaid(lcs: Sequence[Lifecycle]) -> str:
    """Mermaid source with one composite state per lifecycle."""
    if not lcs:
        raise SpecError("combined diagram: no lifecycle given")
    kinds = [st.KIND_TITLES.get(lc.kind, lc.kind) for lc in lcs]
    title = f"{kinds[0]} lifecycle, with the {', '.join(k.lower() for k in kinds[1:])} lifecycle (API {lcs[0].version})"
    lines = _head(title)
    for lc, kind in zip(lcs, kinds, strict=True):
        lines.append(f'    state "{kind}" as {lc.kind} {{')
        lines.append("        direction LR")
        lines += _states(lc, lc.kind, "        ")
        lines.append("    }")
    lines += _class_lines(lcs, [lc.kind for lc in lcs])
    return "\n".join(lines) + "\n"
