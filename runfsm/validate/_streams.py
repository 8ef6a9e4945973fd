"""Event order in streams (LIFECYCLE.md section 6), as a base class of the tracker.

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
from collections.abc import Mapping
from typing import Any

from .. import spec
from ..lifecycle import Lifecycle
from ._checks import (
    KIND_LABEL,
    OBJECT,
    STATUS,
    THREAD_ID,
    TYPE,
    Anchors,
    ObjectChecks,
    Problem,
    function_calls,
    message_of_step,
    short,
    type_name,
)
from ._findings import ERROR, INFO, WARNING, Finding, InputError
from ._reader import DONE_DATA, coerce, loads_lenient
from ._state import DONE, NEVER, OPEN, LocalState, ObjState, StreamState

__all__ = ["CREATED", "DELTA", "StreamRules", "error_text", "ev", "str_or_none"]

CREATED = "created"
DELTA = "delta"
_DELTA_OBJECTS = {k: f"{v}.delta" for k, v in spec.OBJECT_TYPES.items()}


class StreamRules:
    """The stream checks; :class:`~runfsm.validate.Tracker` supplies the state and the object checks."""

    strict: bool
    _streams: dict[object, StreamState]
    _events: dict[str, tuple[str, str]]
    _event_list: list[str]
    _anchors: Anchors
    _checks: dict[str, ObjectChecks]
    _run_lc: Lifecycle
    _step_lc: Lifecycle
    _msg_lc: Lifecycle
    _run_stop: frozenset[str]
    _aliases: Mapping[str, frozenset[str]]  # event name -> statuses it may carry besides its own (by period)
    _steps: dict[str, ObjState]
    _messages: dict[str, ObjState]
    _last_bad: int
    _new: list[Finding]

    # -- provided by the tracker -------------------------------------------------------------

    def _run(self, d: dict[str, Any], idx: int, source: str | None, line: int | None, after: int,
             st: StreamState | None, part: str | None) -> None:
        raise NotImplementedError

    def _step(self, d: dict[str, Any], idx: int, source: str | None, line: int | None, after: int,
              st: StreamState | None, part: str | None) -> None:
        raise NotImplementedError

    def _message(self, d: dict[str, Any], idx: int, source: str | None, line: int | None, after: int,
                 st: StreamState | None, part: str | None) -> None:
        raise NotImplementedError

    # -- findings ------------------------------------------------------------------------------

    def _add(self, finding: Finding) -> None:
        self._new.append(finding)

    def _emit(
        self, code: str, severity: str, message: str, oid: str | None, kind: str | None,
        source: str | None, line: int | None, idx: int, rule: str | None = None,
    ) -> None:
        self._new.append(Finding(code, severity, message, oid, kind, source, line, idx, rule))

    def _problems(
        self, problems: list[Problem], oid: str, kind: str, source: str | None, line: int | None, idx: int
    ) -> None:
        for p in problems:
            self._new.append(Finding(p.code, p.severity, p.message, oid, kind, source, line, idx, p.rule))

    def _unterminated(self, st: StreamState, source: str | None, idx: int) -> list[Finding]:
        if st.events == 0 or st.errored:
            return []
        status = f" (run last seen {st.run_status!r})" if st.run_status else ""
        return [Finding("stream.unterminated", INFO,
                        f"the stream ended without 'done'{status}: closed early by the client, or cut off",
                        st.run_id, "stream", source, None, idx)]

    # -- events --------------------------------------------------------------------------------

    def _event(
        self, name: str | None, data: object, idx: int, source: str | None, line: int | None,
        key: object, after: int | None, flagged: bool,
    ) -> None:
        st = self._streams.get(key)
        if st is None:
            st = self._streams[key] = StreamState(key)
        if name is None:
            name = spec.EVENT_DONE if data == DONE_DATA else "message"
        elif name.__class__ is not str:
            self._add(InputError(f"an event name must be a string, not {type_name(name)}", source=source, line=line,
                                 code="input.type").finding(idx))
            return
        previous = st.state
        if previous != OPEN:
            st.reset(idx, idx - 1 if after is None else after)
            st.state = OPEN
            if self._last_bad > st.closed_idx:  # its first events may have been on an unreadable line
                st.gap_idx = idx - 1
                st.gaps.add("*")
            if previous == DONE and st.single:
                self._emit("stream.after_done", ERROR,
                           f"event {short(name)} after 'done' in the same response; nothing may follow 'done'",
                           st.run_id, "stream", source, line, idx)
                st.gaps.add("*")  # said once; what follows is still checked as objects
        meta = self._events.get(name)
        if name == spec.EVENT_DONE:
            self._done(st, data, previous, idx, source, line)
            return
        if name == spec.EVENT_ERROR:
            st.errored = True
            self._emit("stream.error_event", INFO,
                       f"the stream sent an error event: {short(error_text(data))}", st.run_id, "stream", source,
                       line, idx)
            return
        if meta is None and name != spec.EVENT_THREAD_CREATED:
            close = difflib.get_close_matches(name, self._event_list, n=1, cutoff=0.8) if len(name) < 80 else []
            hint = f" Did you mean {close[0]!r}?" if close else ""
            self._emit("stream.unknown_event", WARNING,
                       f"unknown event {short(name)} (skipped; new event names may appear).{hint}",
                       st.run_id, "stream", source, line, idx)
            return
        kind, part = meta if meta is not None else ("thread", CREATED)
        if st.events and part == CREATED and (kind == "thread" or (kind == "run" and not st.expect_run_created)):
            if st.single:
                self._emit("stream.order", ERROR,
                           f"{name!r} in the middle of a response; a response carries one stream, which it opens",
                           st.run_id, "stream", source, line, idx)
            else:
                # a create stream begins while the last one never said 'done': that one was abandoned
                # (the client stopped reading) or its end was unreadable
                self._new.extend(self._unterminated(st, source, idx - 1))
                st.reset(idx, idx - 1 if after is None else after)
                previous = OPEN
        self._stream_start(st, name, kind, part, previous, idx, source, line)
        st.events += 1
        # the data
        if data is None:
            if not flagged:
                self._add(InputError(f"event {name!r} has no data", source=source, line=line,
                                     code="input.sse").finding(idx))
            self._named_gap(st, kind, part, idx)
            return
        try:
            if isinstance(data, str):
                value, warn = loads_lenient(data, source=source, line=line)
                if warn is not None:
                    self._add(warn.finding(idx))
            else:
                value = coerce(data, source=source, line=line)
        except InputError as exc:
            self._add(exc.finding(idx))
            self._named_gap(st, kind, part, idx)
            return
        if not isinstance(value, dict):
            self._add(InputError(f"the data of event {name!r} is {type_name(value)}, not an object",
                                 source=source, line=line, code="input.type").finding(idx))
            self._named_gap(st, kind, part, idx)
            return
        obj_type = value.get(OBJECT)
        if kind == "thread":
            self._thread_created(st, value, idx, source, line)
            return
        want = _DELTA_OBJECTS[kind] if part == DELTA else spec.OBJECT_TYPES[kind]
        if obj_type is not None and obj_type != want:
            self._emit("stream.event_object", ERROR,
                       f"event {name!r} carries a {short(obj_type)} object, expected {want!r}",
                       str_or_none(value.get("id")), "stream", source, line, idx)
            self._named_gap(st, kind, part, idx)
            return
        if part == DELTA:
            self._delta(st, kind, value, name, idx, source, line)
        elif kind == "run":
            self._run(value, idx, source, line, st.after, st, part)
        elif kind == "run_step":
            self._step(value, idx, source, line, st.after, st, part)
        else:
            self._message(value, idx, source, line, st.after, st, part)

    def _stream_start(
        self, st: StreamState, name: str, kind: str, part: str, previous: int, idx: int,
        source: str | None, line: int | None,
    ) -> None:
        """Order rules for the first events of a stream."""
        if st.events == 0:
            if kind == "thread":
                st.expect_run_created = True
            elif kind == "run" and part == CREATED:
                pass
            elif kind == "run_step" and part in self._anchors.step_recorded_end:
                st.submit = True
                paused = self._run_lc.paused
                if len(paused) == 1:
                    st.run_status = next(iter(paused))
                    st.run_idx = idx
            elif "*" not in st.gaps:
                after_done = previous == DONE
                self._emit(
                    "stream.after_done" if after_done else "stream.start", ERROR,
                    (f"event {name!r} after 'done': nothing may follow done except a new stream, and a stream "
                     if after_done else f"the stream starts with {name!r}; a stream ")
                    + f"starts with {spec.EVENT_THREAD_CREATED!r} or {ev('run', CREATED)!r}, or, returned by "
                    f"submit_tool_outputs, with the tool step's completion",
                    st.run_id, "stream", source, line, idx)
        elif st.expect_run_created:
            st.expect_run_created = False
            if not (kind == "run" and part == CREATED) and "*" not in st.gaps:
                self._emit("stream.order", ERROR,
                           f"{name!r} right after {spec.EVENT_THREAD_CREATED!r}; expected {ev('run', CREATED)!r}",
                           st.run_id, "stream", source, line, idx)

    def _thread_created(self, st: StreamState, value: Mapping[str, Any], idx: int, source: str | None,
                        line: int | None) -> None:
        tid = value.get("id")
        if value.get(OBJECT) not in (None, "thread"):
            self._emit("stream.event_object", ERROR,
                       f"event {spec.EVENT_THREAD_CREATED!r} carries a {short(value.get(OBJECT))} object, "
                       "expected 'thread'", str_or_none(tid), "stream", source, line, idx)
        st.thread_id = tid if tid.__class__ is str else None

    def _named_gap(self, st: StreamState, kind: str, part: str, idx: int) -> None:
        """An event whose data could not be read: keep what its name says."""
        if kind == "run" and part != DELTA:
            status = self._run_lc.initial if part == CREATED else part
            if status in self._run_lc.statuses:
                st.run_status = status
                st.run_idx = idx
                st.run_created = part == CREATED
                st.run_seen = True
                return
        st.gaps.add(kind)

    def _run_event(
        self, st: StreamState, d: Mapping[str, Any], oid: str, status: str, part: str | None, idx: int,
        source: str | None, line: int | None,
    ) -> str | None:
        """Stream rules of one run event; returns the run's previous status in this stream (None: unknown)."""
        lc = self._run_lc
        expected = lc.initial if part == CREATED else part
        if status != expected and status not in self._aliases.get(ev("run", part), ()):
            self._emit("stream.event_status", ERROR,
                       f"event {ev('run', part)!r} carries run {oid} in status {status!r}; "
                       f"the event name says {expected!r}", oid, "stream", source, line, idx)
        if st.run_id is None:
            st.run_id = oid
        elif st.run_id != oid:
            self._emit("stream.mixed_runs", ERROR,
                       f"run {oid} in a stream about run {st.run_id}; a stream carries one run",
                       oid, "stream", source, line, idx)
            return None
        tid = d.get(THREAD_ID)
        if st.thread_id is not None and tid.__class__ is str and tid != st.thread_id:
            self._emit("stream.thread_mismatch", ERROR,
                       f"run {oid} is on thread {tid} but the stream created thread {st.thread_id}",
                       oid, "stream", source, line, idx)
            st.thread_id = None
        if part == CREATED and st.run_seen:
            self._emit("stream.order", ERROR,
                       f"{ev('run', CREATED)!r} for run {oid} after other run events of this stream; "
                       "it must be the first", oid, "stream", source, line, idx)
        local = st.run_status if st.run_idx >= st.gap_idx else None
        if local is not None and local == status and not (st.run_created and part != CREATED):
            self._emit("stream.repeated_status", WARNING,
                       f"event {ev('run', part)!r} repeats run {oid}'s status {status!r} without a change",
                       oid, "stream", source, line, idx)
        st.run_status = status
        st.run_idx = idx
        st.run_created = part == CREATED
        st.run_seen = True
        return local

    def _child_event(
        self, st: StreamState, kind: str, d: Mapping[str, Any], oid: str, status: str, run_id: object,
        part: str | None, idx: int, source: str | None, line: int | None, state: ObjState,
    ) -> str | None:
        """Stream rules of one step or message event; returns its previous status in this stream."""
        lc = self._checks[kind].lifecycle
        label = KIND_LABEL[kind]
        expected = lc.initial if part == CREATED else part
        if d.get(STATUS) is not None and status != expected and status not in self._aliases.get(ev(kind, part), ()):
            self._emit("stream.event_status", ERROR,
                       f"event {ev(kind, part)!r} carries {label} {oid} in status {status!r}; "
                       f"the event name says {expected!r}", oid, "stream", source, line, idx)
        if run_id.__class__ is str:
            if st.run_id is None:
                st.run_id = run_id
            elif run_id != st.run_id:
                self._emit("stream.mixed_runs", ERROR,
                           f"{label} {oid} belongs to run {run_id} but the stream is about run {st.run_id}",
                           oid, "stream", source, line, idx)
        table = st.steps if kind == "run_step" else st.messages
        loc = table.get(oid)
        relaxed = kind in st.gaps or "*" in st.gaps
        prev: str | None = None
        if loc is None:
            if part == CREATED:
                working = self._anchors.run_working
                rs = st.run_status if st.run_idx >= st.gap_idx else None
                if working is not None and rs is not None and rs != working:
                    self._emit("stream.order", ERROR,
                               f"{ev(kind, CREATED)!r} for {label} {oid} while the run is {rs!r}; steps and "
                               f"messages are created while the run is {working!r}", oid, "stream", source, line, idx)
                if kind == "run_step":
                    self._step_created(st, oid, relaxed, source, line, idx)
                else:
                    self._message_created(st, oid, relaxed, source, line, idx)
            elif state.status is not None:
                prev = None  # known from before this stream: checked by reachability
            elif not relaxed and not (st.submit and st.events == 1):
                self._emit("stream.order", ERROR,
                           f"first event for {label} {oid} is {ev(kind, part)!r}; expected "
                           f"{ev(kind, CREATED)!r} before it", oid, "stream", source, line, idx)
            loc = table[oid] = LocalState(status, idx, part == CREATED)
        else:
            if part == CREATED:
                self._emit("stream.order", ERROR,
                           f"{ev(kind, CREATED)!r} for {label} {oid} a second time in one stream",
                           oid, "stream", source, line, idx)
            prev = loc.status if loc.idx >= st.gap_idx else None
            if prev is not None and prev == status and not (loc.created and part != CREATED):
                self._emit("stream.repeated_status", WARNING,
                           f"event {ev(kind, part)!r} repeats {label} {oid}'s status {status!r} without a change",
                           oid, "stream", source, line, idx)
            loc.status, loc.idx, loc.created = status, idx, part == CREATED
        if kind == "run_step":
            loc.step_type = str_or_none(d.get(TYPE))
            loc.message_id = message_of_step(d)
            if st.submit and st.events == 1:
                self._submit_start(st, oid, d, source, line, idx)
            if status in lc.terminal and loc.message_id is not None:
                msg = st.messages.get(loc.message_id)
                if (msg is not None and msg.idx >= st.gap_idx and "message" not in st.gaps
                        and msg.status in self._msg_lc.active):
                    self._message_outlives_step(oid, status, loc.message_id, msg.status, source, line, idx)
        return prev

    def _step_created(self, st: StreamState, oid: str, relaxed: bool, source: str | None, line: int | None,
                      idx: int) -> None:
        active = self._step_lc.active
        for sid, loc in st.steps.items():
            if loc.status in active and sid != oid and not relaxed:
                self._emit("stream.step_overlap", ERROR,
                           f"run step {oid} was created while step {sid} was still {loc.status!r}; "
                           "steps run one at a time", oid, "stream", source, line, idx)
                break

    def _message_created(self, st: StreamState, oid: str, relaxed: bool, source: str | None, line: int | None,
                         idx: int) -> None:
        if relaxed or "run_step" in st.gaps:
            return
        active = self._step_lc.active
        for loc in st.steps.values():
            if loc.message_id == oid and loc.status in active:
                return
        self._emit("stream.order", ERROR,
                   f"message {oid} was created outside its message_creation step (no step in progress in this "
                   "stream names it); the step is created before its message", oid, "stream", source, line, idx)

    def _submit_start(self, st: StreamState, oid: str, d: Mapping[str, Any], source: str | None, line: int | None,
                      idx: int) -> None:
        if not function_calls(d):
            self._emit("stream.start", ERROR,
                       f"the stream starts with run step {oid} completing, which makes it the stream of "
                       "submit_tool_outputs, but that step has no function tool calls",
                       oid, "stream", source, line, idx)

    def _delta(self, st: StreamState, kind: str, value: Mapping[str, Any], name: str, idx: int, source: str | None,
               line: int | None) -> None:
        oid = value.get("id")
        if oid.__class__ is not str:
            self._add(InputError(f"the data of event {name!r} has no string 'id'", source=source, line=line,
                                 code="input.missing_key").finding(idx))
            return
        table = st.steps if kind == "run_step" else st.messages
        lc = self._checks[kind].lifecycle
        loc = table.get(oid)
        label = KIND_LABEL[kind]
        if loc is None:
            known = (self._steps if kind == "run_step" else self._messages).get(oid)
            if known is not None and known.status in lc.terminal:
                self._emit("stream.order", ERROR, f"{name!r} for {label} {oid}, which already ended {known.status!r}",
                           oid, "stream", source, line, idx)
            elif known is None and kind not in st.gaps and "*" not in st.gaps:
                self._emit("stream.order", ERROR, f"{name!r} for {label} {oid} before its {ev(kind, CREATED)!r}",
                           oid, "stream", source, line, idx)
        elif loc.status in lc.terminal:
            self._emit("stream.order", ERROR, f"{name!r} for {label} {oid} after it ended {loc.status!r}",
                       oid, "stream", source, line, idx)

    def _message_outlives_step(self, sid: str, status: str, mid: str, msg_status: str, source: str | None,
                               line: int | None, idx: int) -> None:
        """A step ended while its message was still being written.

        Before a step completes, its message completes (recorded order).  A step that
        ends otherwise (the run was cancelled, failed, expired) ends its message first
        by inference; in API v1 a message cannot end then at all, so nothing is expected."""
        recorded = status in self._anchors.step_recorded_end
        if not recorded and not self._anchors.message_ends_with_run:
            return
        sev = ERROR if recorded or self.strict else INFO
        self._emit("stream.order", sev,
                   f"run step {sid} ended {status!r} while its message {mid} was still {msg_status!r}; "
                   f"a message ends before its step ({'recorded' if recorded else 'inferred'} order)",
                   sid, "stream", source, line, idx)

    def _open_at_run_end(self, st: StreamState, oid: str, status: str, source: str | None, line: int | None,
                         idx: int) -> None:
        """The run ended in this stream: its steps and messages must have ended first."""
        for kind, table in (("message", st.messages), ("run_step", st.steps)):
            if kind in st.gaps or "*" in st.gaps:
                continue
            active = self._checks[kind].lifecycle.active
            documented = status in self._anchors.ordered_end[kind]
            if kind == "message" and not documented and not self._anchors.message_ends_with_run:
                continue  # API v1: a message cannot end unless it completes
            for cid, loc in table.items():
                if loc.status not in active:
                    continue
                sev = ERROR if documented or self.strict else INFO
                grade = "recorded" if documented else "inferred"
                self._emit("stream.open_at_run_end", sev,
                           f"run {oid} ended {status!r} while its {KIND_LABEL[kind]} {cid} was still {loc.status!r} "
                           f"in this stream; it should end first ({grade} order)", cid, "stream", source, line, idx)

    def _done(self, st: StreamState, data: object, previous: int, idx: int, source: str | None, line: int | None) -> None:
        if st.events == 0 and not st.errored:
            self._emit("stream.after_done" if previous == DONE else "stream.start", ERROR,
                       "'done' with no stream events before it" + (" (a second 'done')" if previous == DONE else ""),
                       st.run_id, "stream", source, line, idx)
        elif not st.errored:
            rs = st.run_status if st.run_idx >= st.gap_idx else None
            if rs is not None and rs not in self._run_stop:
                self._emit("stream.done_early", ERROR,
                           f"'done' while run {st.run_id or '?'} is {rs!r}; a stream ends only after a terminal or "
                           f"{'/'.join(sorted(self._run_lc.paused))} run event", st.run_id, "stream", source, line,
                           idx)
            elif rs is None and not st.gaps and st.run_status is None:
                self._emit("stream.done_early", ERROR, "'done' in a stream that never sent a run event",
                           st.run_id, "stream", source, line, idx)
        if data is not None and data != DONE_DATA:
            self._emit("stream.done_data", WARNING, f"'done' carries {short(data)}, expected {DONE_DATA!r}",
                       st.run_id, "stream", source, line, idx)
        st.reset(NEVER, NEVER)
        st.state = DONE
        st.closed_idx = idx


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
