"""Graphviz DOT text of the lifecycles, emitted straight from the compiled spec.

The text is deterministic (statuses and edges in spec order, no timestamps), so
the committed ``.dot`` files can be compared byte for byte with a fresh build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SpecError
from ..lifecycle import Lifecycle, Transition
from . import _style as st
from ._overlay import Overlay

__all__ = ["Edge", "combined_dot", "edge_groups", "lifecycle_dot"]


@dataclass(frozen=True)
class Edge:
    """One drawn arrow: the spec transitions sharing source, destination, actor and grade."""

    source: str
    dest: str
    actor: str
    inferred: bool
    transitions: tuple[Transition, ...]

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(t.trigger for t in self.transitions)


def edge_groups(lc: Lifecycle) -> list[Edge]:
    """The lifecycle's transitions merged into drawn arrows, in spec order.

    Parallel transitions with the same actor and grade (the message's several
    ways to become ``incomplete``) share one arrow labelled with every trigger.
    """
    groups: dict[tuple[str, str, str, bool], list[Transition]] = {}
    for t in lc.transitions:
        groups.setdefault((t.source, t.dest, t.actor, t.inferred), []).append(t)
    return [Edge(s, d, a, i, tuple(ts)) for (s, d, a, i), ts in groups.items()]


def q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Html(str):
    """An HTML-like Graphviz label, written as ``<...>`` instead of a quoted string."""

    __slots__ = ()


def _attrs(**kw: object) -> str:
    parts = []
    for key, value in kw.items():
        if value is None:
            continue
        if isinstance(value, Html):
            parts.append(f"{key}=<{value}>")
        elif isinstance(value, bool):
            parts.append(f"{key}={q('true' if value else 'false')}")
        else:
            parts.append(f"{key}={q(str(value))}")
    return "[" + ", ".join(parts) + "]"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _header(name: str, label: Html) -> list[str]:
    font = st.FONT
    return [
        f"digraph {q(name)} {{",
        "  " + "graph " + _attrs(
            rankdir="LR", newrank=True, nodesep=0.35, ranksep=0.75, pad=0.25, bgcolor="white",
            fontname=font, fontsize=st.FONT_SIZE_TITLE, fontcolor=st.INK,
            label=label, labelloc="t", labeljust="l",
        ) + ";",
        "  " + "node " + _attrs(
            fontname=font, fontsize=st.FONT_SIZE_NODE, fontcolor=st.INK, shape="box",
            style="rounded,filled", height=0.42, margin="0.14,0.06",
        ) + ";",
        "  " + "edge " + _attrs(fontname=font, fontsize=st.FONT_SIZE_EDGE, arrowsize=0.8) + ";",
    ]


def _node_lines(lc: Lifecycle, prefix: str, overlay: Overlay | None, indent: str) -> dict[str, str]:
    """One DOT node statement per status, keyed by status."""
    out: dict[str, str] = {}
    for s in lc.order:
        if s in lc.terminal:
            fill, border = st.FILL_TERMINAL, st.BORDER_TERMINAL
        elif s in lc.paused:
            fill, border = st.FILL_PAUSED, st.BORDER_PAUSED
        else:
            fill, border = st.FILL_ACTIVE, st.BORDER_ACTIVE
        label = s
        penwidth = 1.6 if s == lc.initial else 1.2
        fontcolor = None
        if overlay is not None:
            count = overlay.status_counts.get(s, 0)
            if count:
                fill, border, penwidth = st.VISITED_FILL, st.VISITED, 2.6
                label = f"{s}  ×{count}"
            else:
                fill, border, fontcolor = st.FADED_NODE_FILL, st.FADED, st.MUTED
        out[s] = indent + q(prefix + s) + " " + _attrs(
            label=label, fillcolor=fill, color=border, penwidth=penwidth, fontcolor=fontcolor,
            peripheries=2 if s in lc.terminal else None,
            tooltip=_status_tooltip(lc, s),
        ) + ";"
    return out


def _status_tooltip(lc: Lifecycle, s: str) -> str:
    if s in lc.terminal:
        klass = "terminal"
    elif s in lc.paused:
        klass = "active, paused (the client must act)"
    else:
        klass = "active"
    initial = ", initial" if s == lc.initial else ""
    return f"{lc.kind} {s}: {klass}{initial}"


def _edge_line(e: Edge, prefix: str, overlay: Overlay | None) -> str:
    a = st.ACTOR_STYLES[e.actor]
    color, line, width = a.color, a.style, a.penwidth
    fontcolor = st.INK if e.actor == "server" else a.color
    if e.inferred:
        color, line, fontcolor = st.faded(a.color), st.INFERRED_STYLE, st.faded(fontcolor)
    label = "\n".join(e.triggers)
    if overlay is not None:
        count = overlay.edge_counts.get((e.source, e.dest), 0)
        if count:
            color, width, fontcolor = st.VISITED, 3.2, st.VISITED
            line = "dotted" if e.inferred else "solid"
            label = f"{label}  ×{count}"
        else:
            color, fontcolor, width = st.FADED, st.MUTED, 1.0
    tooltip = "; ".join(
        f"{t.trigger}: {t.source} -> {t.dest} ({t.actor}, {t.grade}: {t.source_ref})" for t in e.transitions
    )
    return "  " + q(prefix + e.source) + " -> " + q(prefix + e.dest) + " " + _attrs(
        label=label, color=color, fontcolor=fontcolor, style=line, penwidth=width, tooltip=tooltip,
    ) + ";"


def _nid(lc: Lifecycle, prefix: str, status: str) -> str:
    """The DOT id of a status; statuses the lifecycle does not know get their own namespace."""
    return q(prefix + status if status in lc.statuses else prefix + "?" + status)


def _extra_edges(lc: Lifecycle, prefix: str, overlay: Overlay) -> list[str]:
    """Observed moves that are not one edge: polled jumps and illegal moves."""
    lines: list[str] = []
    for (src, dst), count in overlay.jump_counts.items():
        lines.append("  " + _nid(lc, prefix, src) + " -> " + _nid(lc, prefix, dst) + " " + _attrs(
            label=f"seen by polling ×{count}", color=st.JUMP, fontcolor=st.JUMP, style="dashed",
            penwidth=2.4, constraint=False, tooltip=f"{src} -> {dst}: legal, the statuses between were not observed",
        ) + ";")
    for (src, dst), count in overlay.illegal_counts.items():
        lines.append("  " + _nid(lc, prefix, src) + " -> " + _nid(lc, prefix, dst) + " " + _attrs(
            label=f"illegal ×{count}", color=st.ILLEGAL, fontcolor=st.ILLEGAL, style="bold",
            penwidth=3.0, constraint=False, tooltip=f"{src} -> {dst}: not allowed by the {lc.version} lifecycle",
        ) + ";")
    return lines


def _unknown_nodes(lc: Lifecycle, prefix: str, overlay: Overlay) -> list[str]:
    """Statuses seen in the trace that the lifecycle does not know."""
    lines = []
    for s, count in overlay.status_counts.items():
        if s not in lc.statuses:
            lines.append("    " + _nid(lc, prefix, s) + " " + _attrs(
                label=f"{s}  ×{count}\n(unknown status)", color=st.ILLEGAL, fontcolor=st.ILLEGAL,
                fillcolor="#ffebe9", style="rounded,filled,dashed", penwidth=2.0,
            ) + ";")
    return lines


def columns(lc: Lifecycle) -> list[list[str]]:
    """Active statuses by column, left to right: the fewest documented edges from the initial status.

    Terminal statuses are not included: they always share the last column.
    """
    depth = {lc.initial: 0}
    frontier = [lc.initial]
    while frontier:
        nxt = []
        for src in frontier:
            for t in lc.transitions:
                if t.source == src and not t.inferred and t.dest not in depth and t.dest not in lc.terminal:
                    depth[t.dest] = depth[src] + 1
                    nxt.append(t.dest)
        frontier = nxt
    last = max(depth.values()) + 1
    cols: list[list[str]] = [[] for _ in range(last + 1)]
    for s in lc.order:
        if s not in lc.terminal:
            cols[depth.get(s, last)].append(s)
    return [c for c in cols if c]


def _active_columns(lc: Lifecycle, nodes: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for col in columns(lc):
        if len(col) == 1:
            lines.append(nodes[col[0]])
        else:
            lines += ["    {", "      rank=same;", *("  " + nodes[s] for s in col), "    }"]
    return lines


def _body(lc: Lifecycle, prefix: str, overlay: Overlay | None, cluster_prefix: str = "") -> list[str]:
    nodes = _node_lines(lc, prefix, overlay, "    ")
    start = q(prefix + "__initial__")
    lines = [
        "  " + start + " " + _attrs(
            shape="circle", style="filled", fillcolor=st.INK, color=st.INK, label="", width=0.18, height=0.18,
            fixedsize=True, tooltip=f"a new {lc.kind} starts {lc.initial}",
        ) + ";",
        f"  subgraph {q('cluster_' + cluster_prefix + 'active')} {{",
        "    " + "graph " + _attrs(
            label=st.active_cluster_label(lc.kind), style="rounded,dashed", color=st.CLUSTER_ACTIVE,
            fontcolor=st.BORDER_ACTIVE, fontsize=st.FONT_SIZE_NOTE + 1, labeljust="l", margin=12,
        ) + ";",
        *_active_columns(lc, nodes),
        "  }",
        "  {",
        "    rank=same;",
        *(nodes[s] for s in lc.order if s in lc.terminal),
        *(_unknown_nodes(lc, prefix, overlay) if overlay is not None else ()),
        "  }",
        "  " + start + " -> " + q(prefix + lc.initial) + " " + _attrs(color=st.INK, penwidth=1.4) + ";",
    ]
    lines += [_edge_line(e, prefix, overlay) for e in edge_groups(lc)]
    if overlay is not None:
        lines += _extra_edges(lc, prefix, overlay)
    return lines


def _sample_line(color: str, line: str, width: float) -> str:
    """A legend cell that draws a short line in an edge style."""
    border = max(1, round(width))
    return (
        '<td valign="middle"><table border="0" cellborder="0" cellspacing="0" cellpadding="0"'
        ' fixedsize="true" width="34" height="12">'
        f'<tr><td width="34" height="6" fixedsize="true" sides="b" border="{border}" style="{line}" color="{color}"></td></tr>'
        '<tr><td width="34" height="6" fixedsize="true"></td></tr></table></td>'
    )


def _sample_box(fill: str, border: str, *, double: bool = False, small: bool = False) -> str:
    """A legend cell that draws a small status box."""
    w, h = (10, 10) if small else (26, 12)
    spacing = 2 if double else 0
    outer_w, outer_h = w + 2 + 2 * spacing + (2 if double else 0), h + 2 + 2 * spacing + (2 if double else 0)
    return (
        f'<td valign="middle"><table border="1" cellborder="{1 if double else 0}" cellspacing="{spacing}"'
        f' cellpadding="0" color="{border}" style="rounded" fixedsize="true" width="{outer_w}" height="{outer_h}"'
        f' bgcolor="{fill}"><tr><td width="{w}" height="{h}" fixedsize="true"></td></tr></table></td>'
    )


def _text_cell(text: str, color: str = st.INK) -> str:
    return (
        f'<td align="left" valign="middle"><font point-size="{st.FONT_SIZE_NOTE}" color="{color}">'
        f"{_html(text)}</font></td>"
    )


def _legend_rows(lcs: Sequence[Lifecycle], overlay: Overlay | None) -> list[list[str]]:
    """The legend as rows of (sample, text) cell pairs, drawn from what the lifecycles contain."""
    transitions = [t for lc in lcs for t in lc.transitions]
    edges: list[str] = []
    for a, s in st.ACTOR_STYLES.items():
        if any(t.actor == a for t in transitions):
            edges += [_sample_line(s.color, s.style, s.penwidth), _text_cell(s.legend)]
    if any(t.inferred for t in transitions):
        edges += [_sample_line(st.faded(st.INK), st.INFERRED_STYLE, 1.2), _text_cell(st.INFERRED_LEGEND)]
    nodes = [_sample_box(st.INK, st.INK, small=True), _text_cell(st.INITIAL_LEGEND)]
    nodes += [_sample_box(st.FILL_ACTIVE, st.BORDER_ACTIVE), _text_cell(st.CLASS_LEGEND["active"])]
    if any(lc.paused for lc in lcs):
        nodes += [_sample_box(st.FILL_PAUSED, st.BORDER_PAUSED), _text_cell(st.CLASS_LEGEND["paused"])]
    nodes += [_sample_box(st.FILL_TERMINAL, st.BORDER_TERMINAL, double=True), _text_cell(st.CLASS_LEGEND["terminal"])]
    rows = [edges, nodes]
    if overlay is not None:
        trace = [_sample_line(st.VISITED, "solid", 3.2), _text_cell(st.OVERLAY_LEGEND["visited"])]
        trace += [_sample_box(st.VISITED_FILL, st.VISITED), _text_cell(st.OVERLAY_LEGEND["status"])]
        if overlay.jump_counts:
            trace += [_sample_line(st.JUMP, "dashed", 2.4), _text_cell(st.OVERLAY_LEGEND["jump"])]
        if overlay.illegal_counts:
            trace += [_sample_line(st.ILLEGAL, "solid", 3.0), _text_cell(st.OVERLAY_LEGEND["illegal"])]
        rows.append(trace)
    return rows


def _title_and_legend(title: str, lcs: Sequence[Lifecycle], overlay: Overlay | None, legend: bool) -> Html:
    """The graph label: the title, then the legend as a grid (one kind of sample per row)."""
    parts = [
        '<table border="0" cellborder="0" cellspacing="0" cellpadding="2">',
        f'<tr><td align="left"><font point-size="{st.FONT_SIZE_TITLE}"><b>{_html(title)}</b></font></td></tr>',
    ]
    if legend:
        rows = _legend_rows(lcs, overlay)
        width = max(len(r) for r in rows)
        parts.append('<tr><td align="left"><table border="0" cellborder="0" cellspacing="0" cellpadding="3">')
        for row in rows:
            pad = "<td></td>" * (width - len(row))
            parts.append("<tr>" + "".join(row) + pad + "</tr>")
        parts.append("</table></td></tr>")
    parts.append("</table>")
    return Html("".join(parts))


def lifecycle_dot(lc: Lifecycle, overlay: Overlay | None = None, *, legend: bool = True) -> str:
    """DOT text for one lifecycle, optionally with a trace overlay."""
    # a protocol with one version has nothing to tell apart
    title = f"{st.KIND_TITLES.get(lc.kind, lc.kind)} lifecycle" + (f" (API {lc.version})" if len(lc.versions) > 1 else "")
    if overlay is not None:
        title += f": {overlay.title}"
    lines = _header(lc.kind, _title_and_legend(title, [lc], overlay, legend))
    lines += _body(lc, "", overlay)
    lines.append("}")
    return "\n".join(lines) + "\n"


def combined_dot(lcs: Sequence[Lifecycle], *, legend: bool = True) -> str:
    """DOT text for several lifecycles in one picture: the first on top, each other one boxed below it.

    Graphviz stacks a left-to-right layout's unconnected parts bottom-up in the
    order they are declared, so the first lifecycle is declared last.
    """
    if not lcs:
        raise SpecError("combined diagram: no lifecycle given")
    first, rest = lcs[0], list(lcs[1:])
    kinds = [st.KIND_TITLES.get(lc.kind, lc.kind) for lc in lcs]
    title = f"{kinds[0]} lifecycle, with the {', '.join(k.lower() for k in kinds[1:])} lifecycle below"
    title += f" (API {first.version})"
    lines = _header("lifecycles", _title_and_legend(title, lcs, None, legend))
    for lc in reversed(rest):
        lines.append(f"  subgraph {q('cluster_' + lc.kind)} {{")
        lines.append("    " + "graph " + _attrs(
            label=Html(f"<b>{_html(st.KIND_TITLES.get(lc.kind, lc.kind))}</b>"), style="rounded", color=st.FADED,
            labeljust="l", fontsize=st.FONT_SIZE_NODE + 1, margin=14,
        ) + ";")
        lines += ["  " + line for line in _body(lc, lc.kind + ".", None, cluster_prefix=lc.kind + "_")]
        lines.append("  }")
    lines += _body(first, first.kind + ".", None, cluster_prefix=first.kind + "_")
    lines.append("}")
    return "\n".join(lines) + "\n"
