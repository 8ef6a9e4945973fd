"""Event order in streams (LIFECYCLE.md section 6): the streams a tracker holds, and their rules.

A stream begins at its first event (or at the first event after ``done``, or
when a response begins) and carries one run.  It may begin with
``thread.created`` (then ``thread.run.created`` follows), with
``thread.run.created``, or, returned by submit_tool_outputs, with the
completion of the function tool step the run waited on.  Inside it every
object's events go one edge at a time; steps and messages are created while
the run works, a message lives inside its ``message_creation`` step, a step
ends before the run completes, and ``done`` follows a terminal or
``requires_action`` run event and nothing but a new stream follows it.

An event whose data cannot be read still counts by its name: a run event moves
the stream's idea of the run's status, any other marks a gap for its kind, and
a line that is not an event at all marks a gap for everything.  Checks that
rest on something *not* having happened are skipped across a gap, so one bad
line never raises false alarms about its neighbours.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from .. import spec
from .._rows import CREATED, DELTA
from ._checks import (
    KIND_LABEL,
    OBJECT,
    STATUS,
    THREAD_ID,
    TYPE,
    function_calls,
    message_of_step,
    short,
    type_name,
)
from ._findings import ERROR, INFO, WARNING, Finding, InputError
from ._moves import event_status
from ._reader import DONE_DATA, coerce, loads_lenient
from ._rules import Rules
from ._state import DONE, FRESH, NEVER, OPEN, LocalState, ObjState, StreamState, Where

__all__ = ["Streams", "error_text", "ev", "str_or_none"]

_DELTA_OBJECTS = {k: f"{v}.delta" for k, v in spec.OBJECT_TYPES.items()}


Emit = Callable[..., None]
"""``emit(code, severity, message, oid, kind, where, rule=None)``: report one finding."""
OnObject = Callable[[str, dict[str, Any], Where, StreamState, str], None]
"""``on_object(kind, data, where, stream, part)``: check the object an event carries, as the tracker does."""


class Streams:
    """The streams of one tracker and their order rules; the tracker holds one and feeds it events.

    The tracker hands it what it needs: where findings go (``emit``, ``add``), how the object an
    event carries is checked (``on_object``), the objects known across streams (``known``, per kind),
    and, in :attr:`rules`, the rules of the period in force (it sets them when the period changes)."""

    __slots__ = ("add", "emit", "event_list", "events", "known", "last_bad", "on_object", "open", "rules", "strict")

    def __init__(self, rules: Rules, events: dict[str, tuple[str, str]], known: Mapping[str, dict[str, ObjState]],
                 emit: Emit, add: Callable[[Finding], None], on_object: OnObject, strict: bool) -> None:
        self.rules = rules
        self.events = events  # every event name of the version -> (kind, part)
        self.event_list = sorted(events)
        self.known = known
        self.emit = emit
        self.add = add
        self.on_object = on_object
        self.strict = strict
        self.open: dict[object, StreamState] = {}
        self.last_bad = NEVER  # index of the last unreadable line

    # -- a stream's life -----------------------------------------------------------------------

    def begin(self, key: object, idx: int, after: int, single: bool) -> None:
        """A stream begins on ``key`` at ``idx`` (the previous one there was ended by the caller)."""
        st = self.open.get(key)
        if st is None:
            st = self.open[key] = StreamState(key)
        st.reset(idx, after)
        st.state = OPEN
        st.single = single

    def is_open(self, key: object) -> bool:
        st = self.open.get(key)
        return st is not None and st.state == OPEN

    def end(self, key: object, source: str | None, idx: int) -> list[Finding]:
        """The response on ``key`` ended: what a stream cut short of ``done`` gives."""
        st = self.open.pop(key, None)
        if st is None or st.state != OPEN:
            return []
        return self.unterminated(st, Where(source, None, idx))

    def gap(self, idx: int) -> None:
        """An unreadable line at ``idx``: it may have been an event of any open stream, or the start of the next."""
        self.last_bad = idx
        for st in self.open.values():
            if st.state == OPEN:
                st.gap_idx = idx
                st.gaps.add("*")

    def restore(self, key: object, begun: tuple[int, int] | None, gap: int, closed: int) -> None:
        """Set the stream on ``key`` as another reader left it: begun at ``(idx, after)`` (with an unreadable
        line at ``gap``), or not open, ``done`` at ``closed`` when not :data:`NEVER`."""
        st = self.open.get(key)
        if st is None:
            st = self.open[key] = StreamState(key)
        if begun is not None:
            st.reset(*begun)
            st.state = OPEN
            if gap != NEVER:
                st.gap_idx = gap
                st.gaps.add("*")
        else:
            st.reset(NEVER, NEVER)
            st.state = DONE if closed != NEVER else FRESH
        st.closed_idx = closed
        st.single = False

    def unterminated(self, st: StreamState, where: Where) -> list[Finding]:
        if st.events == 0 or st.errored:
            return []
        status = f" (run last seen {st.run_status!r})" if st.run_status else ""
        return [where.finding("stream.unterminated", INFO,
                              f"the stream ended without 'done'{status}: closed early by the client, or cut off",
                              st.run_id, "stream")]

    # -- events --------------------------------------------------------------------------------

    def event(
        self, name: str | None, data: object, where: Where,
        key: object, after: int | None, flagged: bool,
    ) -> None:
        idx = where.idx
        st = self.open.get(key)
        if st is None:
            st = self.open[key] = StreamState(key)
        if name is None:
            name = spec.EVENT_DONE if data == DONE_DATA else "message"
        elif name.__class__ is not str:
            self.add(InputError(f"an event name must be a string, not {type_name(name)}", source=where.source, line=where.line,
                                 code="input.type").finding(where.idx))
            return
        previous = st.state
        if previous != OPEN:
            st.reset(idx, idx - 1 if after is None else after)
            st.state = OPEN
            if self.last_bad > st.closed_idx:  # its first events may have been on an unreadable line
                st.gap_idx = idx - 1
                st.gaps.add("*")
            if previous == DONE and st.single:
                self.emit("stream.after_done", ERROR,
                           f"event {short(name)} after 'done' in the same response; nothing may follow 'done'",
                           st.run_id, "stream", where)
                st.gaps.add("*")  # said once; what follows is still checked as objects
        meta = self.events.get(name)
        if name == spec.EVENT_DONE:
            self._done(st, data, previous, where)
            return
        if name == spec.EVENT_ERROR:
            st.errored = True
            self.emit("stream.error_event", INFO,
                       f"the stream sent an error event: {short(error_text(data))}", st.run_id, "stream", where)
            return
        if meta is None and name != spec.EVENT_THREAD_CREATED:
            close = difflib.get_close_matches(name, self.event_list, n=1, cutoff=0.8) if len(name) < 80 else []
            hint = f" Did you mean {close[0]!r}?" if close else ""
            self.emit("stream.unknown_event", WARNING,
                       f"unknown event {short(name)} (skipped; new event names may appear).{hint}",
                       st.run_id, "stream", where)
            return
        kind, part = meta if meta is not None else ("thread", CREATED)
        if st.events and part == CREATED and (kind == "thread" or (kind == "run" and not st.expect_run_created)):
            if st.single:
                self.emit("stream.order", ERROR,
                           f"{name!r} in the middle of a response; a response carries one stream, which it opens",
                           st.run_id, "stream", where)
            else:
                # a create stream begins while the last one never said 'done': that one was abandoned
                # (the client stopped reading) or its end was unreadable
                for f in self.unterminated(st, Where(where.source, None, idx - 1)):
                    self.add(f)
                st.reset(idx, idx - 1 if after is None else after)
                previous = OPEN
        self._stream_start(st, name, kind, part, previous, where)
        st.events += 1
        # the data
        if data is None:
            if not flagged:
                self.add(InputError(f"event {name!r} has no data", source=where.source, line=where.line,
                                     code="input.sse").finding(where.idx))
            self.named_gap(st, kind, part, where.idx)
            return
        try:
            if isinstance(data, str):
                value, warn = loads_lenient(data, source=where.source, line=where.line)
                if warn is not None:
                    self.add(warn.finding(where.idx))
            else:
                value = coerce(data, source=where.source, line=where.line)
        except InputError as exc:
            self.add(exc.finding(where.idx))
            self.named_gap(st, kind, part, where.idx)
            return
        if not isinstance(value, dict):
            self.add(InputError(f"the data of event {name!r} is {type_name(value)}, not an object",
                                 source=where.source, line=where.line, code="input.type").finding(where.idx))
            self.named_gap(st, kind, part, where.idx)
            return
        obj_type = value.get(OBJECT)
        if kind == "thread":
            self._thread_created(st, value, where)
            return
        want = _DELTA_OBJECTS[kind] if part == DELTA else spec.OBJECT_TYPES[kind]
        if obj_type is not None and obj_type != want:
            self.emit("stream.event_object", ERROR,
                       f"event {name!r} carries a {short(obj_type)} object, expected {want!r}",
                       str_or_none(value.get("id")), "stream", where)
            self.named_gap(st, kind, part, where.idx)
            return
        if part == DELTA:
            self._delta(st, kind, value, name, where)
        else:
            self.on_object(kind, value, where, st, part)

    def _stream_start(
        self, st: StreamState, name: str, kind: str, part: str, previous: int, where: Where,
    ) -> None:
        """Order rules for the first events of a stream."""
        if st.events == 0:
            if kind == "thread":
                st.expect_run_created = True
            elif kind == "run" and part == CREATED:
                pass
            elif kind == "run_step" and part in self.rules.anchors.step_recorded_end:
                st.submit = True
                paused = self.rules.run_lc.paused
                if len(paused) == 1:
                    st.run_status = next(iter(paused))
                    st.run_idx = where.idx
            elif "*" not in st.gaps:
                after_done = previous == DONE
                self.emit(
                    "stream.after_done" if after_done else "stream.start", ERROR,
                    (f"event {name!r} after 'done': nothing may follow done except a new stream, and a stream "
                     if after_done else f"the stream starts with {name!r}; a stream ")
                    + f"starts with {spec.EVENT_THREAD_CREATED!r} or {ev('run', CREATED)!r}, or, returned by "
                    f"submit_tool_outputs, with the tool step's completion",
                    st.run_id, "stream", where)
        elif st.expect_run_created:
            st.expect_run_created = False
            if not (kind == "run" and part == CREATED) and "*" not in st.gaps:
                self.emit("stream.order", ERROR,
                           f"{name!r} right after {spec.EVENT_THREAD_CREATED!r}; expected {ev('run', CREATED)!r}",
                           st.run_id, "stream", where)

    def _thread_created(self, st: StreamState, value: Mapping[str, Any], where: Where) -> None:
        tid = value.get("id")
        if value.get(OBJECT) not in (None, "thread"):
            self.emit("stream.event_object", ERROR,
                       f"event {spec.EVENT_THREAD_CREATED!r} carries a {short(value.get(OBJECT))} object, "
                       "expected 'thread'", str_or_none(tid), "stream", where)
        st.thread_id = tid if tid.__class__ is str else None

    def named_gap(self, st: StreamState, kind: str, part: str, idx: int) -> None:
        """An event whose data could not be read: keep what its name says."""
        if kind == "run" and part != DELTA:
            status = self.rules.run_lc.status_named.get(part)
            if status is not None:
                st.run_status = status
                st.run_idx = idx
                st.run_created = part == CREATED
                st.run_seen = True
                return
        st.gaps.add(kind)

    def run_event(
        self, st: StreamState, d: Mapping[str, Any], oid: str, status: str, part: str | None, where: Where,
    ) -> str | None:
        """Stream rules of one run event; returns the run's previous status in this stream (None: unknown)."""
        wrong = event_status(self.rules.run_lc, part, oid, status, self.rules.aliases, where)
        if wrong is not None:
            self.add(wrong)
        if st.run_id is None:
            st.run_id = oid
        elif st.run_id != oid:
            self.emit("stream.mixed_runs", ERROR,
                       f"run {oid} in a stream about run {st.run_id}; a stream carries one run",
                       oid, "stream", where)
            return None
        tid = d.get(THREAD_ID)
        if st.thread_id is not None and tid.__class__ is str and tid != st.thread_id:
            self.emit("stream.thread_mismatch", ERROR,
                       f"run {oid} is on thread {tid} but the stream created thread {st.thread_id}",
                       oid, "stream", where)
            st.thread_id = None
        if part == CREATED and st.run_seen:
            self.emit("stream.order", ERROR,
                       f"{ev('run', CREATED)!r} for run {oid} after other run events of this stream; "
                       "it must be the first", oid, "stream", where)
        local = st.run_status if st.run_idx >= st.gap_idx else None
        if local is not None and local == status and not (st.run_created and part != CREATED):
            self.emit("stream.repeated_status", WARNING,
                       f"event {ev('run', part)!r} repeats run {oid}'s status {status!r} without a change",
                       oid, "stream", where)
        st.run_status = status
        st.run_idx = where.idx
        st.run_created = part == CREATED
        st.run_seen = True
        return local

    def child_event(
        self, st: StreamState, kind: str, d: Mapping[str, Any], oid: str, status: str, run_id: object,
        part: str | None, where: Where, state: ObjState,
    ) -> str | None:
        """Stream rules of one step or message event; returns its previous status in this stream."""
        lc = self.rules.checks[kind].lifecycle
        label = KIND_LABEL[kind]
        if d.get(STATUS) is not None:
            wrong = event_status(lc, part, oid, status, self.rules.aliases, where)
            if wrong is not None:
                self.add(wrong)
        if run_id.__class__ is str:
            if st.run_id is None:
                st.run_id = run_id
            elif run_id != st.run_id:
                self.emit("stream.mixed_runs", ERROR,
                           f"{label} {oid} belongs to run {run_id} but the stream is about run {st.run_id}",
                           oid, "stream", where)
        table = st.steps if kind == "run_step" else st.messages
        loc = table.get(oid)
        relaxed = kind in st.gaps or "*" in st.gaps
        prev: str | None = None
        if loc is None:
            if part == CREATED:
                working = self.rules.anchors.run_working
                rs = st.run_status if st.run_idx >= st.gap_idx else None
                if working is not None and rs is not None and rs != working:
                    self.emit("stream.order", ERROR,
                               f"{ev(kind, CREATED)!r} for {label} {oid} while the run is {rs!r}; steps and "
                               f"messages are created while the run is {working!r}", oid, "stream", where)
                if kind == "run_step":
                    self._step_created(st, oid, relaxed, where)
                else:
                    self._message_created(st, oid, relaxed, where)
            elif state.status is not None:
                prev = None  # known from before this stream: checked by reachability
            elif not relaxed and not (st.submit and st.events == 1):
                self.emit("stream.order", ERROR,
                           f"first event for {label} {oid} is {ev(kind, part)!r}; expected "
                           f"{ev(kind, CREATED)!r} before it", oid, "stream", where)
            loc = table[oid] = LocalState(status, where.idx, part == CREATED)
        else:
            if part == CREATED:
                self.emit("stream.order", ERROR,
                           f"{ev(kind, CREATED)!r} for {label} {oid} a second time in one stream",
                           oid, "stream", where)
            prev = loc.status if loc.idx >= st.gap_idx else None
            if prev is not None and prev == status and not (loc.created and part != CREATED):
                self.emit("stream.repeated_status", WARNING,
                           f"event {ev(kind, part)!r} repeats {label} {oid}'s status {status!r} without a change",
                           oid, "stream", where)
            loc.status, loc.idx, loc.created = status, where.idx, part == CREATED
        if kind == "run_step":
            loc.step_type = str_or_none(d.get(TYPE))
            loc.message_id = message_of_step(d)
            if st.submit and st.events == 1:
                self._submit_start(st, oid, d, where)
            if status in lc.terminal and loc.message_id is not None:
                msg = st.messages.get(loc.message_id)
                if (msg is not None and msg.idx >= st.gap_idx and "message" not in st.gaps
                        and msg.status in self.rules.msg_lc.active):
                    self._message_outlives_step(oid, status, loc.message_id, msg.status, where)
        return prev

    def _step_created(self, st: StreamState, oid: str, relaxed: bool, where: Where) -> None:
        active = self.rules.step_lc.active
        for sid, loc in st.steps.items():
            if loc.status in active and sid != oid and not relaxed:
                self.emit("stream.step_overlap", ERROR,
                           f"run step {oid} was created while step {sid} was still {loc.status!r}; "
                           "steps run one at a time", oid, "stream", where)
                break

    def _message_created(self, st: StreamState, oid: str, relaxed: bool, where: Where) -> None:
        if relaxed or "run_step" in st.gaps:
            return
        active = self.rules.step_lc.active
        for loc in st.steps.values():
            if loc.message_id == oid and loc.status in active:
                return
        self.emit("stream.order", ERROR,
                   f"message {oid} was created outside its message_creation step (no step in progress in this "
                   "stream names it); the step is created before its message", oid, "stream", where)

    def _submit_start(self, st: StreamState, oid: str, d: Mapping[str, Any], where: Where) -> None:
        if not function_calls(d):
            self.emit("stream.start", ERROR,
                       f"the stream starts with run step {oid} completing, which makes it the stream of "
                       "submit_tool_outputs, but that step has no function tool calls",
                       oid, "stream", where)

    def _delta(self, st: StreamState, kind: str, value: Mapping[str, Any], name: str, where: Where) -> None:
        oid = value.get("id")
        if oid.__class__ is not str:
            self.add(InputError(f"the data of event {name!r} has no string 'id'", source=where.source, line=where.line,
                                 code="input.missing_key").finding(where.idx))
            return
        table = st.steps if kind == "run_step" else st.messages
        lc = self.rules.checks[kind].lifecycle
        loc = table.get(oid)
        label = KIND_LABEL[kind]
        if loc is None:
            known = self.known[kind].get(oid)
            if known is not None and known.status in lc.terminal:
                self.emit("stream.order", ERROR, f"{name!r} for {label} {oid}, which already ended {known.status!r}",
                           oid, "stream", where)
            elif known is None and kind not in st.gaps and "*" not in st.gaps:
                self.emit("stream.order", ERROR, f"{name!r} for {label} {oid} before its {ev(kind, CREATED)!r}",
                           oid, "stream", where)
        elif loc.status in lc.terminal:
            self.emit("stream.order", ERROR, f"{name!r} for {label} {oid} after it ended {loc.status!r}",
                       oid, "stream", where)

    def _message_outlives_step(self, sid: str, status: str, mid: str, msg_status: str, where: Where) -> None:
        """A step ended while its message was still being written.

        Before a step completes, its message completes (recorded order).  A step that
        ends otherwise (the run was cancelled, failed, expired) ends its message first
        by inference; in API v1 a message cannot end then at all, so nothing is expected."""
        recorded = status in self.rules.anchors.step_recorded_end
        if not recorded and not self.rules.anchors.message_ends_with_run:
            return
        sev = ERROR if recorded or self.strict else INFO
        self.emit("stream.order", sev,
                   f"run step {sid} ended {status!r} while its message {mid} was still {msg_status!r}; "
                   f"a message ends before its step ({'recorded' if recorded else 'inferred'} order)",
                   sid, "stream", where)

    def open_at_run_end(self, st: StreamState, oid: str, status: str, where: Where) -> None:
        """The run ended in this stream: its steps and messages must have ended first."""
        for kind, table in (("message", st.messages), ("run_step", st.steps)):
            if kind in st.gaps or "*" in st.gaps:
                continue
            active = self.rules.checks[kind].lifecycle.active
            documented = status in self.rules.anchors.ordered_end[kind]
            if kind == "message" and not documented and not self.rules.anchors.message_ends_with_run:
                continue  # API v1: a message cannot end unless it completes
            for cid, loc in table.items():
                if loc.status not in active:
                    continue
                sev = ERROR if documented or self.strict else INFO
                grade = "recorded" if documented else "inferred"
                self.emit("stream.open_at_run_end", sev,
                           f"run {oid} ended {status!r} while its {KIND_LABEL[kind]} {cid} was still {loc.status!r} "
                           f"in this stream; it should end first ({grade} order)", cid, "stream", where)

    def _done(self, st: StreamState, data: object, previous: int, where: Where) -> None:
        if st.events == 0 and not st.errored:
            self.emit("stream.after_done" if previous == DONE else "stream.start", ERROR,
                       "'done' with no stream events before it" + (" (a second 'done')" if previous == DONE else ""),
                       st.run_id, "stream", where)
        elif not st.errored:
            rs = st.run_status if st.run_idx >= st.gap_idx else None
            if rs is not None and rs not in self.rules.run_stop:
                self.emit("stream.done_early", ERROR,
                           f"'done' while run {st.run_id or '?'} is {rs!r}; a stream ends only after a terminal or "
                           f"{'/'.join(sorted(self.rules.run_lc.paused))} run event", st.run_id, "stream", where)
            elif rs is None and not st.gaps and st.run_status is None:
                self.emit("stream.done_early", ERROR, "'done' in a stream that never sent a run event",
                           st.run_id, "stream", where)
        if data is not None and data != DONE_DATA:
            self.emit("stream.done_data", WARNING, f"'done' carries {short(data)}, expected {DONE_DATA!r}",
                       st.run_id, "stream", where)
        st.reset(NEVER, NEVER)
        st.state = DONE
        st.closed_idx = where.idx


def ev(kind: str, part: str | None) -> str:
    """The event name of ``kind`` for ``part`` (a status, ``created`` or ``delta``)."""
    return f"{spec.EVENT_PREFIXES[kind]}.{part}"


def str_or_none(value: object) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def error_text(data: object) -> object:
    """The message of an ``error`` event's data, as far as it can be read."""
    if isinstance(data, str):
        try:
            data = loads_lenient(data)[0]
        except InputError:
            return data
    if isinstance(data, dict):
        inner = data.get("error", data)
        return inner.get("message", inner) if isinstance(inner, dict) else inner
    return data
