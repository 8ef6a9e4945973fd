"""The visual encoding shared by the DOT and Mermaid diagrams.

Only *how things look* lives here; *what* is drawn (statuses, classes,
transitions, actors, evidence) always comes from the compiled spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import spec

# One font everywhere: without it the SVG asks for Times.  graphviz-pure measures
# Helvetica with Graphviz's own tables and draws PNG text with a metric-compatible font.
FONT = "Helvetica"
FONT_SIZE_TITLE = 16
FONT_SIZE_NODE = 13
FONT_SIZE_EDGE = 11
FONT_SIZE_NOTE = 10

INK = "#1f2328"
MUTED = "#8c959f"


@dataclass(frozen=True)
class ActorStyle:
    """How the edges caused by one actor are drawn."""

    color: str
    style: str  # DOT line style
    penwidth: float
    legend: str


# Edge style by actor: the line pattern and hue both say who causes the change.
ACTOR_STYLES: dict[str, ActorStyle] = {
    "client": ActorStyle("#0b62c4", "solid", 1.8, "client (an API call)"),
    "server": ActorStyle(INK, "solid", 1.2, "server"),
    "clock": ActorStyle("#8250df", "dashed", 1.4, "clock (a deadline passed)"),
}
if set(ACTOR_STYLES) != set(spec.ACTORS):  # pragma: no cover - caught by the tests at import
    raise RuntimeError("runfsm.diagrams._style: ACTOR_STYLES must cover spec.ACTORS")

# Inferred edges (accepted in tolerant mode only): dotted and faded, still labelled.
INFERRED_ALPHA = "99"
INFERRED_STYLE = "dotted"

# Node fills by status class.
FILL_ACTIVE = "#ddf4ff"
FILL_PAUSED = "#fff1c2"
FILL_TERMINAL = "#f6f8fa"
BORDER_ACTIVE = "#0969da"
BORDER_PAUSED = "#bf8700"
BORDER_TERMINAL = "#57606a"
CLUSTER_ACTIVE = "#54aeff"

# Trace overlay.
VISITED = "#1a7f37"
VISITED_FILL = "#dafbe1"
ILLEGAL = "#cf222e"
JUMP = "#1a7f37"
FADED_NODE_FILL = "#ffffff"
FADED = "#c9d1d9"


def faded(color: str) -> str:
    """``color`` (``#rrggbb``) with the alpha used for inferred edges."""
    return color + INFERRED_ALPHA


def active_cluster_label(kind: str) -> str:
    """The caption of the group of active statuses."""
    return "active: locks the thread" if kind == "run" else "active"


KIND_TITLES = {"run": "Run", "run_step": "Run step", "message": "Message", "response": "Response (background mode)"}

# Legend texts.
INFERRED_LEGEND = "inferred: legal in tolerant mode only"
INITIAL_LEGEND = "start"
CLASS_LEGEND = {"active": "active", "paused": "paused: the client must act", "terminal": "terminal (absorbing)"}
OVERLAY_LEGEND = {
    "visited": "taken by this run (×times)",
    "jump": "seen by polling (statuses between not observed)",
    "illegal": "illegal move",
    "status": "status this run was in (×times)",
}
