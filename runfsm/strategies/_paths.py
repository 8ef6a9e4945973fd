"""Status paths: the lifecycle graph ranked for shrinking, legal walks through it (by trigger or
by status, as a stream or a poller sees them), and illegal transitions and paths.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from hypothesis import strategies as st

from .. import spec
from ..errors import SpecError
from ..lifecycle import Lifecycle, Profile, Transition
from ._common import _lifecycle

_INF = float("inf")


# --- the graph, ranked for shrinking -----------------------------------------------------


def _distances(lc: Lifecycle, edges: Sequence[Transition]) -> dict[str, float]:
    """Edges from each status to the nearest terminal status (inf if none is reachable)."""
    back: dict[str, list[str]] = {s: [] for s in lc.order}
    for t in edges:
        back[t.dest].append(t.source)
    dist: dict[str, float] = {s: _INF for s in lc.order}
    queue: deque[str] = deque()
    for s in lc.order:
        if s in lc.terminal:
            dist[s] = 0
            queue.append(s)
    while queue:
        cur = queue.popleft()
        for prev in back[cur]:
            if dist[prev] == _INF:
                dist[prev] = dist[cur] + 1
                queue.append(prev)
    return dist


@dataclass(frozen=True)
class _Graph:
    """The edges of one lifecycle in one mode, each source's edges in shrink order.

    The first edge from every status is documented (not inferred) and leads to a
    terminal status soonest; ties keep the spec's row order.  Following the first
    edge from the initial status therefore gives the everyday path.
    """

    lc: Lifecycle
    strict: bool
    ranked: Mapping[str, tuple[Transition, ...]]  # every edge (by trigger)
    ranked_dests: Mapping[str, tuple[Transition, ...]]  # one edge per destination


@lru_cache(maxsize=64)
def _graph(lc: Lifecycle, strict: bool) -> _Graph:
    edges = [t for t in lc.transitions if not (strict and t.inferred)]
    d_strict = _distances(lc, [t for t in lc.transitions if not t.inferred])
    d_all = _distances(lc, edges)
    index = {t: i for i, t in enumerate(lc.transitions)}

    def key(t: Transition) -> tuple[bool, float, float, int]:
        return (t.inferred, d_strict[t.dest], d_all[t.dest], index[t])

    ranked: dict[str, tuple[Transition, ...]] = {}
    ranked_dests: dict[str, tuple[Transition, ...]] = {}
    for s in lc.order:
        out = sorted((t for t in edges if t.source == s), key=key)
        ranked[s] = tuple(out)
        seen: dict[str, Transition] = {}
        for t in out:
            seen.setdefault(t.dest, t)
        ranked_dests[s] = tuple(seen.values())
    return _Graph(lc, strict, ranked, ranked_dests)


def _complete(g: _Graph, status: str, by_dest: bool) -> list[Transition]:
    """The everyday way from ``status`` to a terminal status (first-ranked edges)."""
    table = g.ranked_dests if by_dest else g.ranked
    out: list[Transition] = []
    for _ in range(len(g.lc.order) + 1):
        if status in g.lc.terminal or not table[status]:
            break
        t = table[status][0]
        out.append(t)
        status = t.dest
    return out


def _draw_walk(
    draw: st.DrawFn, g: _Graph, start: str, max_steps: int, finished: bool, by_dest: bool
) -> list[Transition]:
    # The number of freely chosen edges comes first and shrinks to 0: the shortest
    # choice sequence is then "no free edge, finish the everyday way".
    table = g.ranked_dests if by_dest else g.ranked
    out: list[Transition] = []
    status = start
    for _ in range(draw(st.integers(0, max_steps))):
        options = table[status]
        if not options:
            break
        t = options[draw(st.integers(0, len(options) - 1))]
        out.append(t)
        status = t.dest
    if finished:
        out += _complete(g, status, by_dest)
    return out


# --- status paths ------------------------------------------------------------------------


def transition_paths(
    kind: str = "run",
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[Transition, ...]]:
    """Legal sequences of transitions (by trigger) from the initial status.

    Each step takes one edge of the lifecycle (inferred edges only when not
    ``strict``).  After ``max_steps`` drawn edges the path is finished along the
    shortest documented way to a terminal status; with ``finished=False`` it may
    stop anywhere instead.  Shrinks toward ``queued -> in_progress -> completed``.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Transition, ...]:
        return tuple(_draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=False))

    return build()


def status_paths(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    repeats: bool = False,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, ...]]:
    """Legal sequences of statuses, starting with the initial status.

    ``view="stream"``: what a stream shows, one legal edge per step
    (``lifecycle.is_legal(a, b, strict)`` for each neighbour pair).
    ``view="poll"``: what a poller sees, a subsequence of a stream path that
    keeps its first and last status, so each neighbour pair is only
    ``lifecycle.reachable(a, b, strict)``; with ``repeats=True`` a poller may see
    the same status several times in a row.
    """
    if view not in ("stream", "poll"):
        raise SpecError(f"unknown view {view!r}; known: stream, poll")
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, ...]:
        walk = _draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=True)
        path = [lc.initial, *(t.dest for t in walk)]
        if view == "poll":
            inner = [s for s in path[1:-1] if draw(st.booleans())]
            path = path[:1] + inner + path[1:][-1:]
        if repeats:
            path = [s for s in path for _ in range(1 + draw(st.integers(0, 2)))]
        return tuple(path)

    return build()


def poll_paths(
    kind: str = "run",
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    finished: bool = True,
    repeats: bool = False,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, ...]]:
    """Shorthand for ``status_paths(kind, view="poll", ...)``."""
    return status_paths(
        kind, view="poll", strict=strict, version=version, max_steps=max_steps, finished=finished,
        repeats=repeats, profile=profile, lifecycle=lifecycle,
    )


def _illegal_pairs(lc: Lifecycle, strict: bool, view: str) -> tuple[tuple[str, str], ...]:
    if view not in ("stream", "poll"):
        raise SpecError(f"unknown view {view!r}; known: stream, poll")
    ok = lc.is_legal if view == "stream" else lc.reachable
    # Sources in spec order, terminal sources last: the first pairs are the plainest mistakes.
    sources = sorted(lc.order, key=lambda s: s in lc.terminal)
    return tuple((a, b) for a in sources for b in lc.order if a != b and not ok(a, b, strict))


def illegal_transitions(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[str, str]]:
    """Pairs ``(source, dest)`` of distinct statuses that no single edge joins.

    ``view="poll"`` gives pairs where ``dest`` cannot be observed after ``source``
    at all (not reachable).  In strict mode the inferred edges count as illegal.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    pairs = _illegal_pairs(lc, strict, view)
    if not pairs:
        raise SpecError(f"{lc.kind} lifecycle ({lc.version}) has no illegal {view} transition")
    return st.sampled_from(pairs)


def illegal_stream_paths(
    kind: str = "run",
    *,
    view: str = "stream",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 8,
    profile: Profile | None = None,
    lifecycle: Lifecycle | None = None,
) -> st.SearchStrategy[tuple[tuple[str, ...], int]]:
    """A status path with exactly one illegal step, and that step's index.

    ``(path, i)``: every neighbour pair is legal (``view="stream"``: one edge;
    ``"poll"``: reachable) except ``path[i - 1] -> path[i]``.
    """
    lc = _lifecycle(kind, version, profile, lifecycle)
    g = _graph(lc, strict)
    ok = lc.is_legal if view == "stream" else lc.reachable
    bad_from: dict[str, tuple[str, ...]] = {}
    for a, b in _illegal_pairs(lc, strict, view):
        bad_from[a] = (*bad_from.get(a, ()), b)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[tuple[str, ...], int]:
        walk = _draw_walk(draw, g, lc.initial, max_steps, finished=False, by_dest=True)
        prefix = [lc.initial, *(t.dest for t in walk)]
        # Go on the everyday way until a status with an illegal successor (a poller can
        # legally see anything after ``queued`` in tolerant mode, but not after a terminal status).
        for t in _complete(g, prefix[-1], by_dest=True):
            if prefix[-1] in bad_from:
                break
            prefix.append(t.dest)
        if prefix[-1] not in bad_from:
            raise SpecError(f"{lc.kind} lifecycle ({lc.version}): {prefix[-1]!r} has no illegal {view} successor")
        wrong = draw(st.sampled_from(bad_from[prefix[-1]]))
        rest = [t.dest for t in _draw_walk(draw, g, wrong, max_steps, finished=False, by_dest=True)]
        path = (*prefix, wrong, *rest)
        index = len(prefix)
        assert not ok(path[index - 1], path[index], strict)
        return path, index

    return build()
