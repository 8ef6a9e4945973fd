"""Validation of Responses API objects and streams: the generic checks plus the stream's own rules.

:class:`ResponsesTracker` is a :class:`~runfsm.validate.LifecycleTracker` over
:data:`runfsm.responses_spec.PROTOCOL` that also reads Responses stream events
(``{"type": "response.created", "sequence_number": 0, "response": {...}}``)
and checks, per stream: sequence numbers strictly increasing by one, a resumed
stream's first event exactly after its cursor (when known), one terminal event
and nothing after it, and the response id of every event that names one.  A
status read after a terminal one that the spec lists as observed in practice
(a cancel that lost its race) is info in tolerant mode and an error in strict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from .. import responses_spec as rspec
from ..lifecycle import Lifecycle, Profile, compile_protocol
from ._findings import ERROR, INFO, WARNING, Finding, InputError, Report
from ._generic import LifecycleTracker
from ._reader import coerce
from ._state import Where
from ._tracker import stream_key

__all__ = ["ResponsesTracker", "is_responses_record", "validate_responses"]

_STATUS_EVENTS = frozenset(f"{rspec.EVENT_PREFIX}.{s}" for s in rspec.STREAMED_STATUSES) | {rspec.EVENT_CREATED}
_TERMINAL = frozenset(rspec.TERMINAL_EVENTS)
_ITEMS = frozenset(rspec.ITEM_EVENTS)
_OBSERVED = {(m.source, m.dest): m for m in rspec.OBSERVED_MOVES}
_STAMPS = ("created_at", "completed_at")
_SEQ = rspec.SEQUENCE_KEY


def is_responses_record(value: object) -> bool:
    """True for a Responses object or stream event, recognised by content."""
    if value.__class__ is not dict:
        return False
    obj = value.get("object")
    if obj == rspec.RESPONSE.object_type:
        return True
    kind = value.get("type")
    return obj is None and kind.__class__ is str and kind.startswith(rspec.EVENT_PREFIX + ".")


def _whole_seconds(value: dict[str, Any]) -> dict[str, Any]:
    """The SDK types timestamps as numbers: a finite float is read as its whole second."""
    out = value
    for key in _STAMPS:
        v = value.get(key)
        if v.__class__ is float and math.isfinite(v):
            if out is value:
                out = dict(value)
            out[key] = math.floor(v)
    return out


def _plain(obj: object) -> object:
    """An SDK model as plain data; the stream helper's parsed models warn when dumped, which says nothing here."""
    dump = getattr(obj, "model_dump", None)
    if callable(dump) and not isinstance(obj, (dict, list, str, bytes, bytearray)):
        try:
            return dump(warnings=False)
        except Exception:  # not a pydantic model after all, or a broken one: coerce says so
            return obj
    return obj


class _Stream:
    __slots__ = ("cursor", "ended", "events", "fresh", "last", "response_id")

    def __init__(self, cursor: int | None, fresh: bool) -> None:
        self.cursor = cursor  # starting_after of a resumed stream, when known
        self.fresh = fresh  # known to be a new stream (not resumed): its first event is 0
        self.last: int | None = None  # the last sequence number seen
        self.ended: str | None = None  # the terminal (or error) event that ended it
        self.response_id: str | None = None
        self.events = 0


class ResponsesTracker(LifecycleTracker):
    """Check Responses objects (polled) and stream events as they arrive.

    Streams are told apart by the ``stream`` key given to :meth:`feed_event`;
    :meth:`begin_stream` with ``starting_after`` marks a resumed stream and its
    cursor.  Findings accumulate in :attr:`findings`.
    """

    _immutable: ClassVar[Mapping[str, tuple[str, ...]]] = {"response": rspec.IMMUTABLE_FIELDS}

    def __init__(self, rules: Profile | None = None, *, strict: bool = False) -> None:
        super().__init__(rules if rules is not None else compile_protocol(rspec.PROTOCOL), strict=strict)
        self._wire: dict[object, _Stream] = {}

    # -- feeding ------------------------------------------------------------------------------

    def feed(self, obj: object, *, source: str | None = None, line: int | None = None) -> list[Finding]:
        """One polled response (a dict, JSON text or SDK model), or a stream event record."""
        obj = _plain(obj)
        try:
            value = coerce(obj, source=source, line=line)
        except InputError:
            return super().feed(obj, source=source, line=line)
        if isinstance(value, dict) and value.get("object") is None and isinstance(value.get("type"), str):
            return self.feed_event(value["type"], value, source=source, line=line)
        return super().feed(_whole_seconds(value) if isinstance(value, dict) else value, source=source, line=line)

    def begin_stream(self, stream: object = None, *, starting_after: int | None = None) -> None:
        """A new stream on ``stream``: fresh, or resumed after the event ``starting_after``."""
        if starting_after is not None and (starting_after.__class__ is not int or starting_after < -1):
            raise ValueError(f"starting_after is the sequence number of an event (an int >= -1), "
                             f"not {starting_after!r}")
        stream = stream_key(stream)
        self._wire[stream] = _Stream(starting_after, starting_after is None)
        self._streams.pop(stream, None)

    def end_stream(self, stream: object = None, *, source: str | None = None) -> list[Finding]:
        """The stream on ``stream`` ended; one that sent events but no terminal event is noted (info)."""
        stream = stream_key(stream)
        st = self._wire.pop(stream, None)
        self._streams.pop(stream, None)
        new: list[Finding] = []
        if st is not None and st.events and st.ended is None:
            new.append(Finding("stream.unterminated", INFO,
                               f"the stream of response {st.response_id or '(unknown)'} ended after "
                               f"{st.events} event(s) without a terminal event (dropped, or resumable)",
                               st.response_id, "stream", source, None, self._count - 1))
        self.findings.extend(new)
        return new

    def close(self, *, source: str | None = None) -> list[Finding]:
        """End every open stream (the input is over)."""
        out: list[Finding] = []
        for key in list(self._wire):
            out += self.end_stream(key, source=source)
        return out

    def feed_event(self, name: str | None, data: object, *, stream: object = None, source: str | None = None,
                   line: int | None = None) -> list[Finding]:
        """One stream event: its name (``None``: read ``type``) and its data, the whole event object."""
        return self._record(self._event, name, data, stream_key(stream), source, line)

    def streaming(self, stream: object) -> bool:
        """True when ``stream`` (a key as :meth:`feed_event` takes it) carries a Responses stream."""
        return stream_key(stream) in self._wire

    # -- the stream's rules ---------------------------------------------------------------------

    def _event(self, where: Where, name: str | None, data: object, stream: object) -> None:
        source, line = where.source, where.line
        if name is not None and name.__class__ is not str:
            raise InputError(f"an event name must be a string, not {type(name).__name__}", source=source,
                             line=line, code="input.type")
        value = coerce(_plain(data), source=source, line=line)
        if not isinstance(value, dict):
            raise InputError(f"a stream event whose data is {type(value).__name__}, not an object", source=source,
                             line=line, code="input.type")
        typ = value.get("type")
        if name is None:
            if typ.__class__ is not str:
                raise InputError("a stream event with neither an event name nor a string 'type'", source=source,
                                 line=line, code="input.missing_key")
            name = typ
        elif typ is not None and typ != name:
            self._emit("stream.event_type", ERROR, f"event {name!r} carries data of type {typ!r}", None, "stream",
                       where)
        st = self._wire.get(stream)
        if st is None or (name == rspec.EVENT_CREATED and st.ended is not None):
            # a log of streams back to back: a response created after one ended begins the next
            st = self._wire[stream] = _Stream(None, name == rspec.EVENT_CREATED)
            self._streams.pop(stream, None)
        self._sequence(st, name, value.get(_SEQ), where)
        st.events += 1
        if st.ended is not None:
            self._emit("stream.after_terminal", ERROR,
                       f"event {name!r} came after {st.ended!r}, which ended the stream of response "
                       f"{st.response_id or '(unknown)'}", st.response_id, "stream", where)
        rid = value.get("response_id")
        if name in _STATUS_EVENTS:
            resp = value.get("response")
            if not isinstance(resp, dict):
                raise InputError(f"event {name!r} has no 'response' object", source=source, line=line,
                                 code="input.missing_key")
            rid = resp.get("id")
            self._same_response(st, rid, name, where)
            if name in _TERMINAL and st.ended is None:
                st.ended = name
            status = resp.get("status")
            generic: str | None = name
            if name == rspec.EVENT_CREATED and status != self.profile.primary.initial:
                generic = None  # a foreground response is created in_progress: a first sighting, no edge
            self._one(where, _whole_seconds(resp), generic, stream)
            if generic is None:
                seen = self._streams.setdefault(stream, {})
                if status.__class__ is str and rid.__class__ is str:
                    seen[("response", rid)] = status
            return
        if rid is not None:
            self._same_response(st, rid, name, where)
        if name == rspec.EVENT_ERROR:
            if st.ended is None:
                st.ended = name
        elif name == f"{rspec.EVENT_PREFIX}.cancelled":
            self._emit("stream.cancelled_event", ERROR,
                       "event 'response.cancelled' is not a stream event of the API (a cancel is announced by a "
                       "webhook only)", st.response_id, "stream", where)
        elif name not in _ITEMS:
            self._emit("stream.unknown_event", WARNING, f"unknown event {name!r} (skipped)", st.response_id,
                       "stream", where)

    def _sequence(self, st: _Stream, name: str, seq: object, where: Where) -> None:
        if seq.__class__ is not int:
            what = "no sequence_number" if seq is None else f"a sequence_number of type {type(seq).__name__}"
            self._emit("stream.sequence_missing", ERROR, f"event {name!r} has {what}; every event has an integer one",
                       st.response_id, "stream", where)
            return
        assert isinstance(seq, int)
        last = st.last
        if last is None:
            if st.fresh and seq != 0:
                self._emit("stream.sequence_start", ERROR,
                           f"the new stream begins at sequence_number {seq}, not 0"
                           + (f" ({seq} event(s) missing)" if seq > 0 else "")
                           + "; a stream that is not resumed numbers its events from 0",
                           st.response_id, "stream", where)
            elif st.cursor is not None and seq != st.cursor + 1:
                self._emit("stream.resume_start", ERROR,
                           f"the stream resumed after event {st.cursor} begins at {seq}, not {st.cursor + 1}"
                           + (" (events were missed)" if seq > st.cursor + 1 else " (events were sent twice)"),
                           st.response_id, "stream", where)
        elif seq <= last:
            self._emit("stream.sequence_order", ERROR,
                       f"event {name!r} has sequence_number {seq} after {last}; "
                       + ("it repeats" if seq == last else "it goes back") + " (sequence numbers strictly increase)",
                       st.response_id, "stream", where)
            return
        elif seq != last + 1:
            self._emit("stream.sequence_gap", ERROR,
                       f"event {name!r} has sequence_number {seq} after {last}: {seq - last - 1} event(s) missing",
                       st.response_id, "stream", where)
        st.last = seq

    def _same_response(self, st: _Stream, rid: object, name: str, where: Where) -> None:
        if rid.__class__ is not str:
            return
        assert isinstance(rid, str)
        if st.response_id is None:
            st.response_id = rid
        elif rid != st.response_id:
            self._emit("stream.response_id", ERROR,
                       f"event {name!r} names response {rid} in the stream of response {st.response_id}",
                       rid, "stream", where)

    # -- a status read after a terminal one, as observed in practice ------------------------------

    def _observed(self, kind: str, oid: str, src: str, dst: str, where: Where) -> bool | None:
        move = _OBSERVED.get((src, dst))
        if move is None or self.strict:
            return None
        self._emit(f"{kind}.observed_transition", INFO,
                   f"response {oid} was {src!r} and is now {dst!r}: {move.why} ({move.grade} in practice; "
                   "accepted in tolerant mode, an error in strict mode)", oid, kind, where)
        return True

    def _edge(self, lc: Lifecycle, kind: str, oid: str, src: str, dst: str, where: Where) -> bool:
        seen = self._observed(kind, oid, src, dst, where)
        return seen if seen is not None else super()._edge(lc, kind, oid, src, dst, where)

    def _reach(self, lc: Lifecycle, kind: str, oid: str, src: str, dst: str, where: Where) -> bool:
        seen = self._observed(kind, oid, src, dst, where)
        return seen if seen is not None else super()._reach(lc, kind, oid, src, dst, where)

    # -- reading back ---------------------------------------------------------------------------

    def status(self, response_id: str) -> str | None:
        """The last status the response was seen in."""
        state = self._states.get(("response", response_id))
        return state.status if state is not None else None


def validate_responses(items: Any, *, strict: bool = False) -> Report:
    """Check a whole Responses trace: response objects and stream events (one stream), in order."""
    tracker = ResponsesTracker(strict=strict)
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            tracker.feed_event(item[0], item[1])
        else:
            tracker.feed(item)
    tracker.close()
    return tracker.report()
