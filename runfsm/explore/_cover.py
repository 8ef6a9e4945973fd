"""Exploration of any lifecycle: the shortest trigger sequences that reach every status and transition.

Breadth-first over a compiled :class:`~runfsm.lifecycle.Lifecycle`, in the
order its rows are declared, so the plan is the same on every run.  The
Assistants explorer (:func:`runfsm.explore.explore`) plays its moves against the
simulator; this one needs only the declaration, so it serves any protocol.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from ..lifecycle import Lifecycle

__all__ = ["CoverPlan", "cover"]


class CoverPlan(NamedTuple):
    """Shortest trigger sequences from the initial status."""

    statuses: dict[str, tuple[str, ...]]  # status -> triggers that reach it
    transitions: dict[tuple[str, str], tuple[str, ...]]  # (source, trigger) -> triggers ending with it
    unreachable: tuple[str, ...]  # statuses no sequence reaches in this mode


def cover(lc: Lifecycle, *, strict: bool = False) -> CoverPlan:
    """The shortest way to every status and every transition of ``lc`` (inferred edges only when not ``strict``)."""
    edges = [t for t in lc.transitions if not (strict and t.inferred)]
    out: dict[str, list[tuple[str, str]]] = {}
    for t in edges:
        out.setdefault(t.source, []).append((t.trigger, t.dest))
    reach: dict[str, tuple[str, ...]] = {lc.initial: ()}
    queue = deque([lc.initial])
    while queue:
        status = queue.popleft()
        for trigger, dest in out.get(status, ()):
            if dest not in reach:
                reach[dest] = (*reach[status], trigger)
                queue.append(dest)
    transitions = {(t.source, t.trigger): (*reach[t.source], t.trigger) for t in edges if t.source in reach}
    statuses = {s: reach[s] for s in lc.order if s in reach}
    return CoverPlan(statuses, transitions, tuple(s for s in lc.order if s not in reach))
