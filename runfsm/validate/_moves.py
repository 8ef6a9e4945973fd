"""How one observed status of one object is judged against what is known of it.

The rules every lifecycle shares, whatever the protocol: a polled status must be
reachable from the last one (a poller may miss statuses), a streamed one must be
one transition away (a stream shows every change), terminal statuses are
absorbing, and a move only inferred edges allow is accepted in tolerant mode
(reported as ``info``) and an error in strict mode.  The Assistants tracker and
the tracker of any other protocol judge moves here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..lifecycle import Lifecycle
from ._checks import short
from ._findings import ERROR, INFO, Finding
from ._state import Where

__all__ = ["MoveRules", "event_status", "immutables"]


def immutables(fields: tuple[str, ...], kind: str, label: str, oid: str, get: Callable[[str], object],
               put: Callable[[str, object], None], d: Mapping[str, Any], where: Where) -> list[Finding]:
    """A field that never changes across snapshots of one object, changed: one finding per field.

    ``get`` and ``put`` read and keep the value known so far; a field first seen now is kept."""
    out: list[Finding] = []
    for field in fields:
        if field == "id":
            continue
        new = d.get(field)
        old = get(field)
        if new is None or new == old:
            continue
        put(field, new)
        if old is not None:
            out.append(where.finding(
                f"{kind}.immutable.{field}", ERROR,
                f"{label} {oid}: {field} changed from {short(old)} to {short(new)}; "
                f"{', '.join(fields)} never change across snapshots of one {label}", oid, kind))
    return out


def event_status(lc: Lifecycle, part: str | None, oid: str, status: str, aliases: Mapping[str, frozenset[str]],
                 where: Where) -> Finding | None:
    """An event ``<lc.event_prefix>.<part>`` whose name says one status carrying its object in another:
    the finding, or None.

    :attr:`Lifecycle.status_named` says which status ``part`` names, if any; the protocol's
    ``aliases`` let a name carry other statuses too.  The name is made only when the status differs
    (this runs for every status event)."""
    expected = lc.status_named.get(part) if part is not None else None
    if expected is None or status == expected:
        return None
    event = f"{lc.event_prefix}.{part}"
    if status in aliases.get(event, ()):
        return None
    return where.finding("stream.event_status", ERROR, f"event {event!r} carries {lc.label} {oid} in status "
                         f"{status!r}; the event name says {expected!r}", oid, "stream")


class MoveRules:
    """The move checks; the tracker using them supplies ``strict`` and ``_emit``."""

    strict: bool

    def _emit(
        self, code: str, severity: str, message: str, oid: str | None, kind: str | None,
        where: Where, rule: str | None = None,
    ) -> None:
        raise NotImplementedError

    def _move(
        self, lc: Lifecycle, kind: str, state: Any, new: str, local: str | None, concurrent: bool,
        channel: object, where: Where,
    ) -> bool:
        """Check one observed status against what is known; apply it unless it is stale."""
        old = state.status
        legal = True
        if local is not None and local != new:
            legal = self._edge(lc, kind, state.id, local, new, where)
        if old is not None and old != new and old != local:
            if lc.reachable(old, new, True):
                pass
            elif concurrent and lc.reachable(new, old, False):
                return False
            elif local is None or not lc.reachable(old, new, False):
                legal = self._reach(lc, kind, state.id, old, new, where) and legal
        state.last_idx = where.idx
        state.channel = channel
        if old != new:
            state.status = new
            if old is not None and hasattr(state, "moves"):
                state.moves.append((old, new, legal))
        return True

    def _edge(
        self, lc: Lifecycle, kind: str, oid: str, src: str, dst: str, where: Where
    ) -> bool:
        """The stream view: ``src -> dst`` must be one transition."""
        if lc.is_legal(src, dst, True):
            return True
        label = lc.label
        if lc.is_legal(src, dst, False):
            ref = lc.edges(src, dst)[0].source_ref
            return self._inferred(kind, oid, f"{label} {oid}: {src!r} -> {dst!r} is an inferred transition ({ref})",
                                  where)
        if src in lc.terminal:
            return self._left_terminal(kind, oid, f"{label} {oid} left the terminal status {src!r} for {dst!r}",
                                       where)
        legal = ", ".join(sorted(lc.next_statuses(src, self.strict)))
        skip = " (a poller may see this, but a stream shows every change: a status was skipped)" \
            if lc.reachable(src, dst, self.strict) else ""
        self._emit(f"{kind}.illegal_transition", ERROR,
                   f"{label} {oid}: {src!r} -> {dst!r} is not a transition{skip}; "
                   f"legal from {src!r}: {legal} ({'strict' if self.strict else 'tolerant'} mode)",
                   oid, kind, where)
        return False

    def _reach(
        self, lc: Lifecycle, kind: str, oid: str, src: str, dst: str, where: Where
    ) -> bool:
        """The poll view: ``dst`` must be reachable from ``src``."""
        label = lc.label
        if lc.reachable(src, dst, False):
            return self._inferred(
                kind, oid, f"{label} {oid} went from {src!r} to {dst!r}, possible only through inferred transitions",
                where)
        if src in lc.terminal:
            return self._left_terminal(kind, oid, f"{label} {oid} was {src!r} and is now {dst!r}", where)
        reach = ", ".join(s for s in lc.order if s != src and lc.reachable(src, s, self.strict))
        self._emit(f"{kind}.illegal_transition", ERROR,
                   f"{label} {oid} went from {src!r} to {dst!r}, which no sequence of transitions allows; "
                   f"reachable from {src!r}: {reach} ({'strict' if self.strict else 'tolerant'} mode)",
                   oid, kind, where)
        return False

    def _inferred(self, kind: str, oid: str, what: str, where: Where) -> bool:
        """A move only inferred edges allow: info in tolerant mode (accepted), error in strict mode."""
        self._emit(f"{kind}.inferred_transition", ERROR if self.strict else INFO,
                   what + "; " + ("strict mode accepts only doc and wire edges" if self.strict
                                  else "accepted in tolerant mode"),
                   oid, kind, where)
        return not self.strict

    def _left_terminal(self, kind: str, oid: str, what: str, where: Where) -> bool:
        self._emit(f"{kind}.terminal_left", ERROR, what + "; terminal statuses are absorbing",
                   oid, kind, where)
        return False

