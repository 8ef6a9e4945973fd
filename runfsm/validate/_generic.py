"""Validation of any protocol's objects: the checks every lifecycle shares, and nothing more.

A :class:`LifecycleTracker` is built from a compiled profile of any
:class:`~runfsm.spec.Protocol`.  It reads objects by their ``object`` type and
checks what the declaration says: each status is one the kind has, each field
rule of the status holds (:class:`~runfsm.validate._checks.ObjectChecks`), a
polled status is reachable from the last one and a streamed one is one
transition away from the last in its stream (:class:`~runfsm.validate._moves.MoveRules`,
the same judgement the Assistants tracker makes), and an event's name agrees
with the status its object carries.  Rules between objects (a thread lock, a
step that ends with its run) belong to a protocol's own tracker, as
:class:`~runfsm.validate.Tracker` is for the Assistants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..lifecycle import Profile, compile_protocol
from ..spec import Protocol
from ._checks import ObjectChecks
from ._findings import WARNING, Finding, InputError, Report
from ._moves import MoveRules, event_status, immutables
from ._reader import coerce
from ._state import Seen, Where, new_where
from ._tracker import stream_key

__all__ = ["LifecycleTracker", "validate_objects"]



class LifecycleTracker(MoveRules):
    """Check the objects and stream events of any protocol as they arrive.

    ``rules`` is a :class:`~runfsm.spec.Protocol` (compiled here, its default
    version and today's rules unless ``version``/``as_of`` say otherwise) or a
    compiled :class:`~runfsm.lifecycle.Profile`.  Findings accumulate in
    :attr:`findings`; each ``feed*`` method also returns the ones it produced.
    """

    # kind -> its fields that never change across snapshots of one object (none unless a protocol's tracker says)
    _immutable: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, rules: Protocol | Profile, *, strict: bool = False, version: str | None = None,
                 as_of: object = None) -> None:
        if not isinstance(strict, bool):
            raise ValueError(f"LifecycleTracker(strict=...) takes True or False, not {strict!r}")
        prof = rules if isinstance(rules, Profile) else compile_protocol(rules, version, as_of)
        self.profile = prof
        self.strict = strict
        self.findings: list[Finding] = []
        self._checks = {kind: ObjectChecks(prof, kind) for kind in prof.lifecycles}
        self._kind_of = {o.object_type: o.kind for o in prof.protocol.objects if o.kind in prof.lifecycles}
        self._events = prof.event_names()
        self._states: dict[tuple[str, str], Seen] = {}
        self._streams: dict[object, dict[tuple[str, str], str]] = {}
        self._count = 0
        self._new: list[Finding] = []

    # -- feeding -----------------------------------------------------------------------------

    def feed(self, obj: object, *, source: str | None = None, line: int | None = None) -> list[Finding]:
        """One polled object (a dict, JSON text or SDK model)."""
        return self._record(self._one, obj, None, None, source, line)

    def feed_event(self, name: str, data: object, *, stream: object = None, source: str | None = None,
                   line: int | None = None) -> list[Finding]:
        """One stream event; events of one ``stream`` are checked edge by edge."""
        if name.__class__ is not str:
            return self._record(_refuse, InputError(
                f"an event name must be a string, not {type(name).__name__}", source=source, line=line,
                code="input.type"), None, None, source, line)
        return self._record(self._one, data, name, stream_key(stream), source, line)

    def continue_at(self, index: int) -> None:
        """Number the next record ``index`` (a tracker checking some records of a longer sequence)."""
        self._count = index

    def _record(self, check: Callable[[Where, Any, Any, Any], None], a: Any, b: Any, c: Any, source: str | None,
                line: int | None) -> list[Finding]:
        """Check one record (``check(where, a, b, c)``); an input error in it becomes its finding.

        Three arguments, not ``*args``: this runs once per record, and packing them costs."""
        new: list[Finding] = []
        self._new = new
        where = new_where(Where, (source, line, self._count))
        self._count += 1
        try:
            check(where, a, b, c)
        except InputError as exc:
            new.append(exc.finding(where.idx))
        self.findings.extend(new)
        return new

    def _one(self, where: Where, obj: object, event: str | None, stream: object) -> None:
        source, line = where.source, where.line
        part: str | None = None
        want_kind: str | None = None
        if event is not None:
            meta = self._events.get(event)
            if meta is None:
                self._emit("stream.unknown_event", WARNING, f"unknown event {event!r} (skipped)", None, "stream",
                           where)
                return
            want_kind, part = meta
        value = coerce(obj, source=source, line=line)
        if not isinstance(value, dict):
            raise InputError(f"expected a JSON object, got {type(value).__name__}", source=source, line=line,
                             code="input.type")
        obj_type = value.get("object")
        kind = self._kind_of.get(obj_type) if obj_type.__class__ is str else None
        if kind is None or (want_kind is not None and kind != want_kind):
            known = ", ".join(repr(t) for t in self._kind_of)
            raise InputError(f"an object of type {value.get('object')!r}"
                             + (f" in event {event!r}" if event is not None else "")
                             + f"; expected {known}", source=source, line=line, code="input.object")
        checks = self._checks[kind]
        lc = checks.lifecycle
        oid, status, problems = checks.inspect(value, source, line, keys=False)
        if problems:
            self._new += where.findings(problems, oid, kind)
        if status is None or status not in lc.statuses:
            return
        local: str | None = None
        if event is not None:
            wrong = event_status(lc, part, oid, status, self.profile.event_aliases, where)
            if wrong is not None:
                self._new.append(wrong)
            seen = self._streams.get(stream)
            if seen is None:
                seen = self._streams[stream] = {}
            local = seen.get((kind, oid))
            seen[(kind, oid)] = status
        state = self._states.get((kind, oid))
        if state is None:
            state = self._states[(kind, oid)] = Seen(oid)
        fixed = self._immutable.get(kind)
        if fixed:
            # one C-level read of the fields per snapshot; they are compared one by one only when they differ
            now = tuple(map(value.get, fixed))
            kept = state.fixed
            if kept is None:
                state.fixed = now
            elif now != kept:
                held = dict(zip(fixed, kept, strict=True))
                self._new += immutables(fixed, kind, lc.label, oid, held.get, held.__setitem__, value, where)
                state.fixed = tuple(held.values())
        old = state.status
        self._move(lc, kind, state, status, local, False, stream if event is not None else None, where)
        if state.status != old or not state.history:
            state.history.append(status)

    def _emit(
        self, code: str, severity: str, message: str, oid: str | None, kind: str | None, where: Where,
        rule: str | None = None,
    ) -> None:
        self._new.append(where.finding(code, severity, message, oid, kind, rule))

    # -- reading back --------------------------------------------------------------------------

    def history(self, kind: str, oid: str) -> list[str]:
        """The statuses an object was seen in, in order (repeats collapsed)."""
        state = self._states.get((kind, oid))
        return list(state.history) if state is not None else []

    def report(self) -> Report:
        """Everything so far; histories are keyed ``"<kind> <id>"``."""
        return Report.build(self.findings,
                            {f"{k} {i}": list(s.history) for (k, i), s in self._states.items()},
                            {f"{k} {i}": list(s.moves) for (k, i), s in self._states.items()},
                            strict=self.strict, version=self.profile.version)


def _refuse(where: Where, error: InputError, _b: None, _c: None) -> None:
    raise error


def validate_objects(rules: Protocol | Profile, items: Any, *, strict: bool = False) -> Report:
    """Check a whole trace of any protocol: objects, and ``(event, data)`` pairs (one stream)."""
    tracker = LifecycleTracker(rules, strict=strict)
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            tracker.feed_event(item[0], item[1])
        else:
            tracker.feed(item)
    return tracker.report()
