"""The stateful checker: feed it runs, steps, messages and stream events as they arrive.

Theory of operation
-------------------
Every record or event fed gets the next *index* (its position in the fed
sequence; a list page's items share one).  Indexes order what the observer
received; they are all the tracker knows about time besides the objects' own
timestamps.

**Two views, one history.**  A polled snapshot is checked against the object's
last known status by *reachability* (a poller may miss statuses: ``queued``
straight to ``completed`` is normal).  A stream event is checked against the
previous event of the same object *in the same stream* as *one edge* (a stream
shows every change, so nothing may be skipped).  Both feed the same per-run
history, so a log that mixes polls and streams is checked as one story.  The
first event of an object in a stream, and the first after an unreadable line in
that stream, is checked by reachability, since something may have happened
unseen before it.

**Concurrent observations.**  An observation carries ``after``: the index of
the last record received before its request was sent (default: the record
just before it for a poll, the record just before the stream's first event for
a stream event; the guard passes the real value).  When an object's last
update arrived after that point from another channel, the two observations are
concurrent and either may be older: a status the other can reach is then
accepted as stale instead of reported as a move backwards.

**The thread lock.**  A thread never has two active runs at once:
:mod:`runfsm.validate._runs` tells when two runs certainly overlapped, and
keeps each run's state, its threads, and the checks of a run's snapshots.

**Costs.**  Each object costs a constant number of dict lookups (the rules per
status are precompiled by :class:`~runfsm.validate._checks.ObjectChecks`); the
state per run is a few fields plus its history, capped at ``history_limit``
moves.  :meth:`Tracker.forget` drops a finished run with its steps and
messages; ``keep_finished`` does it automatically for the oldest finished runs.

**Threads.**  A tracker is not thread-safe: use one per thread, or serialise
calls with a lock (the live-client guard does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import spec
from ..lifecycle import Profile, as_of_day, periods, profile
from ._checks import OBJECT, short, type_name
from ._children import Children
from ._findings import ERROR, Finding, InputError, Report
from ._reader import Bad, Event, Item, Record, coerce, read_bytes
from ._rules import RuleBook, Rules
from ._runs import Runs, Share
from ._state import ObjState, StreamState, Where, new_where
from ._streams import Streams, str_or_none

__all__ = ["LISTED_PER_FILE", "Tracker", "input_only", "stream_key", "unlisted"]

LISTED_PER_FILE = 10_000
"""Unreadable lines listed per file; beyond, they are counted in one ``input.unlisted`` finding, so endless
garbage (``yes '{}' | runfsm validate -``) costs no memory."""


def input_only(value: object) -> bool:
    """A JSON value read from a file that can only be an input finding (a scalar, or an object that is
    neither an API object, a list page, an event record nor a stream event carrying its own ``type``):
    counted like an unreadable line."""
    if value.__class__ is dict:
        obj = value.get(OBJECT)
        return obj.__class__ is not str and "error" not in value and not (
            obj is None and (("event" in value and "data" in value) or value.get("type").__class__ is str))
    return not isinstance(value, list)


def unlisted(source: str | None, n: int) -> Finding:
    """The finding that counts the unreadable lines of a file beyond :data:`LISTED_PER_FILE`."""
    return Finding("input.unlisted", ERROR, f"{n} more unreadable line(s) after the first {LISTED_PER_FILE}; "
                   "they were checked as gaps but not listed one by one", None, "input", source)


def stream_key(stream: object) -> object:
    """A stream key usable as one: an unhashable value (a list, a dict) stands for itself by its repr."""
    try:
        hash(stream)
    except TypeError:
        return f"{type(stream).__name__}:{short(stream, 200)}"
    return stream

_KIND_OF_OBJECT = {v: k for k, v in spec.OBJECT_TYPES.items()}
_LIST = "list"
_RUN_OBJECT = spec.OBJECT_TYPES["run"]


class Tracker:
    """Check runs, run steps, messages and stream events one at a time, as they arrive.

    >>> t = Tracker()
    >>> t.feed({"object": "thread.run", "id": "run_1", "thread_id": "thread_1", "status": "completed",
    ...         "created_at": 1, "completed_at": 2, "started_at": 1})  # doctest: +ELLIPSIS
    [Finding(code='run.missing_keys', severity='warning', ...)]
    >>> t.history("run_1")
    ['completed']

    ``strict=True`` reports transitions that exist only as inferred edges as
    errors; the default (tolerant) accepts them and reports them as ``info``.
    Each run, step and message is judged by the rules in force on the day of
    its ``created_at`` (LIFECYCLE.md section 7); ``as_of`` (a ``YYYY-MM-DD``
    day, a date or Unix seconds) judges everything by one day's rules instead.
    ``keep_finished`` bounds memory in long sessions: beyond that many
    finished runs, the oldest is forgotten (with its steps and messages).
    ``model`` judges everything by that compiled :class:`~runfsm.lifecycle.Profile`
    instead of the spec's (how the explorer checks the simulator against a
    modified lifecycle); it excludes ``as_of``.
    Findings accumulate in :attr:`findings` (clear that list at will); every
    ``feed*`` method also returns the findings it produced.
    """

    def __init__(
        self,
        strict: bool = False,
        version: str = spec.DEFAULT_VERSION,
        *,
        keep_finished: int | None = None,
        history_limit: int = 1000,
        as_of: object = None,
        model: Profile | None = None,
    ) -> None:
        if not isinstance(strict, bool):
            raise ValueError(f"Tracker(strict=...) takes True or False, not {short(strict)}")
        if keep_finished is not None and (isinstance(keep_finished, bool) or not isinstance(keep_finished, int)
                                          or keep_finished < 0):
            raise ValueError(f"Tracker(keep_finished=...) takes None (keep every finished run) or a count >= 0, "
                             f"not {short(keep_finished)}")
        if isinstance(history_limit, bool) or not isinstance(history_limit, int) or history_limit < 1:
            raise ValueError(f"Tracker(history_limit=...) takes a number of moves >= 1, not {short(history_limit)}")
        if model is not None and as_of is not None:
            raise ValueError("Tracker(model=...) fixes the rules; it takes no as_of")
        if model is not None:
            version = model.version
        if as_of is not None:
            try:
                as_of = as_of_day(as_of)
            except ValueError as exc:
                raise ValueError(f"Tracker(as_of=...): {exc}") from None
        self.strict = strict
        self.version = version
        self.as_of: str | None = as_of
        self.profile = prof = model if model is not None else profile(version, as_of)
        self.findings: list[Finding] = []
        # One set of compiled rules per period of the spec's dates, made when first needed; an object
        # is judged by the period of its created_at unless as_of fixes one.
        self._dated = as_of is None and model is None and len(periods(version)) > 1
        self._book = RuleBook(prof, version, self._dated)
        self._current: Rules = self._book.default
        # every event name of the version, whatever the period (an object's period is known once it is read)
        events: dict[str, tuple[str, str]] = {}
        for p in periods(version) if model is None else (model,):
            events.update(p.event_names())
        self._count = 0
        self._new: list[Finding] = []
        # the streams, the runs, and the steps and messages are held, each with its own state and rules
        known: dict[str, dict[str, ObjState]] = {}
        self._streams = Streams(self._current, events, known, self._emit, self._add, self._streamed, strict)
        self._runs = runs = Runs(self._book, self._dated, self._streams, self._emit, self._add, self._use,
                                 self.forget, strict, history_limit, keep_finished)
        self._run: Callable[..., None] = runs.run  # the hot path, one lookup away
        self._children = Children(self._current, runs.by_id, self._streams, self._emit, self._add, self._judge_at,
                                  self._dated, strict)
        runs.expired = self._children.expired  # a step seen expired is judged when its run ends
        known["run_step"], known["message"] = self._children.steps, self._children.messages
        self._use(self._current)

    # === the rules in force =================================================================

    def _use(self, rules: Rules) -> None:
        """Judge what follows by ``rules`` (a few attribute stores, done only when the period changes)."""
        self._current = self._streams.rules = self._children.rules = rules
        self._runs.judge_by(rules)

    def _judge_at(self, created: object) -> None:
        """Judge what follows by the rules in force at ``created``."""
        rules = self._book.at(created)
        if rules is not self._current:
            self._use(rules)

    # === public API ===========================================================================

    def feed(
        self, obj: object, *, source: str | None = None, line: int | None = None, after: int | None = None
    ) -> list[Finding]:
        """A polled object (dict, JSON text, SDK model or list page), or a JSON Lines record.

        ``after`` is the index of the last record received before the request that
        fetched ``obj`` was sent (default: the previous record), see :meth:`mark`.
        """
        new: list[Finding] = []
        self._new = new
        idx = self._count
        self._count = idx + 1
        where = new_where(Where, (source, line, idx))
        if obj.__class__ is dict and obj.get(OBJECT) == _RUN_OBJECT:
            try:  # the hot path: one polled run
                self._run(obj, where, idx - 1 if after is None else after, None, None)
            except Exception as exc:
                self._internal(exc, where)
        else:
            try:
                value = coerce(obj, source=where.source, line=where.line)
            except InputError as exc:
                self._add(exc.finding(where.idx))
            else:
                if isinstance(value, list):  # a sequence of records, one after the other
                    for i, item in enumerate(value):
                        if i:
                            idx = self._count
                            self._count += 1
                            where = Where(source, line, idx)
                        self._guarded(where, self._dispatch, item, where, idx - 1 if after is None else after)
                else:
                    self._guarded(where, self._dispatch, value, where, idx - 1 if after is None else after)
        if new:
            self.findings.extend(new)
        return new

    def feed_record(self, record: object, *, source: str | None = None, line: int | None = None) -> list[Finding]:
        """One JSON Lines record: an object, a list page, ``{"event": .., "data": ..}``, or an ``(event, data)`` pair."""
        if isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], str):
            return self.feed_event(record[0], record[1], source=source, line=line)
        return self.feed(record, source=source, line=line)

    def feed_event(
        self,
        event: str,
        data: object,
        *,
        source: str | None = None,
        line: int | None = None,
        stream: object = None,
        after: int | None = None,
    ) -> list[Finding]:
        """One stream event: its name and its data (a dict, JSON text, an SDK model, or ``"[DONE]"``).

        Events with the same ``stream`` key form one stream (default: a single
        shared stream); a new stream starts at the first event after ``done``.
        """
        new: list[Finding] = []
        self._new = new
        idx = self._count
        self._count += 1
        where = Where(source, line, idx)
        self._guarded(where, self._event, event, data, where, stream_key(stream), after, False)
        self.findings.extend(new)
        return new

    def feed_sse(self, text: str | bytes, *, source: str | None = None, stream: object = None) -> list[Finding]:
        """A whole SSE response (``event:`` / ``data:`` lines): one stream, begun and ended here."""
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
        out: list[Finding] = []
        out += self.begin_stream(stream)
        out += self.feed_items(read_bytes(data, source), source=source, stream=stream_key(stream))
        out += self.end_stream(stream, source=source)
        return out

    def feed_items(
        self, items: Iterable[Item], *, source: str | None = None, stream: object = None
    ) -> list[Finding]:
        """Items from :mod:`runfsm.validate._reader`: records, SSE events (on ``stream``) and unreadable lines."""
        stream = stream_key(stream)
        out: list[Finding] = []
        for item in items:
            if isinstance(item, Record):
                out += self.feed(item.value, source=source, line=item.line)
            elif isinstance(item, Event):
                new: list[Finding] = []
                self._new = new
                idx = self._count
                self._count += 1
                where = Where(source, item.line, idx)
                self._guarded(where, self._event, item.name, item.data, where, stream, None, item.flagged)
                self.findings.extend(new)
                out += new
            else:
                out += self._feed_bad(item, stream)
        return out

    def feed_counted(self, items: Iterable[Item], *, source: str | None = None, stream: object = None) -> int:
        """:meth:`feed_items` for a whole file: returns how many items there were, not the findings (they
        are in :attr:`findings`), so a big file costs no list of its own."""
        n = bad = 0
        feed = self.feed
        self._runs.from_files = True
        stream = stream_key(stream)
        for item in items:
            n += 1
            if item.__class__ is Record:
                value = item.value
                if value.__class__ is dict and value.get(OBJECT) == _RUN_OBJECT:
                    self._poll(value, source, item.line)
                elif input_only(value):  # a JSON value that is no record at all: counted like a bad line
                    bad += 1
                    before = len(self.findings)
                    feed(value, source=source, line=item.line)
                    if bad > LISTED_PER_FILE:
                        del self.findings[before:]
                else:
                    feed(value, source=source, line=item.line)
            elif item.__class__ is Bad:
                bad += 1
                self._feed_bad(item, stream, bad <= LISTED_PER_FILE)
            else:
                self.feed_items((item,), source=source, stream=stream)
        if bad > LISTED_PER_FILE:
            self.findings.append(unlisted(source, bad - LISTED_PER_FILE))
        return n

    def _poll(self, d: dict[str, Any], source: str | None, line: int | None) -> None:
        """A polled run read from a file: :meth:`feed`'s hot path, with the repeated-snapshot shortcut."""
        new: list[Finding] = []
        self._new = new
        idx = self._count
        self._count = idx + 1
        where = new_where(Where, (source, line, idx))
        try:
            self._run(d, where, idx - 1, None, None, True)
        except Exception as exc:
            self._internal(exc, where)
        if new:
            self.findings.extend(new)

    def begin_stream(self, stream: object = None, *, after: int | None = None, single: bool = False) -> list[Finding]:
        """Start a new stream on ``stream``; the previous one there ends.

        ``single=True`` says the events that follow are one HTTP response, so they
        hold exactly one stream: nothing may follow its ``done``, and no second
        stream may open inside it.  Otherwise (a file of responses back to back)
        a new stream may follow ``done``, or begin where an abandoned one stopped.
        """
        stream = stream_key(stream)
        out = self.end_stream(stream) if self._streams.is_open(stream) else []
        self._streams.begin(stream, self._count, self._count - 1 if after is None else after, single)
        return out

    def end_stream(self, stream: object = None, *, source: str | None = None) -> list[Finding]:
        """The response on ``stream`` ended; a stream cut short of ``done`` is noted (info) and closed."""
        new = self._streams.end(stream_key(stream), source, self._count - 1)
        self.findings.extend(new)
        return new

    def close(self, *, source: str | None = None) -> list[Finding]:
        """End every open stream (the input is over)."""
        out: list[Finding] = []
        for key in list(self._streams.open):
            out += self.end_stream(key, source=source)
        return out

    def continue_at(self, index: int) -> None:
        """Number the next record ``index`` (a tracker checking some records of a longer sequence)."""
        self._count = index

    def unreadable_at(self, index: int) -> None:
        """An unreadable line at ``index``, seen by another reader: every open stream has a gap there."""
        self._streams.gap(index)

    def restore_stream(self, stream: object, begun: tuple[int, int] | None, gap: int, closed: int) -> None:
        """Set ``stream`` as another reader left it: begun at ``(index, after)`` with an unreadable line at
        ``gap`` (-2: none), or not open, its last ``done`` at ``closed`` (-2: none)."""
        self._streams.restore(stream, begun, gap, closed)

    def mark(self) -> int:
        """Index of the last record received so far: pass it as ``after`` for a request sent now."""
        return self._count - 1

    def history(self, run_id: str) -> list[str]:
        """Observed statuses of a run, in order, consecutive repeats collapsed."""
        state = self._runs.by_id.get(run_id)
        return list(state.history) if state is not None else []

    def moves(self, run_id: str) -> list[tuple[str, str, bool]]:
        """Observed status changes of a run: ``(source, dest, legal)`` in order."""
        state = self._runs.by_id.get(run_id)
        return list(state.moves) if state is not None else []

    def status(self, run_id: str) -> str | None:
        """The last known status of a run."""
        state = self._runs.by_id.get(run_id)
        return state.status if state is not None else None

    def run_ids(self) -> list[str]:
        """The runs currently tracked, in the order first seen."""
        return list(self._runs.by_id)

    def forget(self, run_id: str) -> None:
        """Drop a run's state, with its steps and messages (for a finished run).

        A run that had ended keeps a tombstone (its id and final status, about 100 bytes), so a
        later snapshot that leaves that status is still reported as ``run.terminal_left``."""
        self._runs.forget(run_id)
        self._children.forget(run_id)

    def report(self) -> Report:
        """Everything so far as a :class:`Report`."""
        return self._runs.share().report(self.findings, strict=self.strict, version=self.version, as_of=self.as_of)

    @property
    def keep_finished(self) -> int | None:
        """How many finished runs are kept (None: all); set when the tracker is made."""
        return self._runs.keep_finished

    @property
    def history_limit(self) -> int:
        """How many moves of each run's history are kept; set when the tracker is made."""
        return self._runs.history_limit

    def share(self) -> Share:
        """What is known of the runs, as plain values (for a report made of several trackers' shares)."""
        return self._runs.share()

    def sources_are_files(self) -> None:
        """Say that what is fed comes from files (:meth:`feed_counted` says it too): one run id seen in two
        files, on two threads or created twice, is then two runs (``run.id_reused``), not one that changed."""
        self._runs.from_files = True

    # === plumbing =============================================================================

    def _feed_bad(self, item: Bad, stream: object, listed: bool = True) -> list[Finding]:
        new: list[Finding] = []
        self._new = new
        idx = self._count
        self._count += 1
        if listed:
            self._add(item.error.finding(idx))
        self.unreadable_at(idx)
        self.findings.extend(new)
        return new

    def _guarded(self, where: Where, fn: Any, *args: Any) -> None:
        """Run one record's checks; a failure inside the validator becomes a finding, never a crash."""
        try:
            fn(*args)
        except Exception as exc:  # a bug here must not take the caller (or a guarded client) down
            self._internal(exc, where)

    def _internal(self, exc: Exception, where: Where) -> None:
        self._add(Finding("internal.error", ERROR,
                          f"the validator failed on this record ({type(exc).__name__}: {exc}); "
                          "please report it with the record", None, None,
                          where.source, where.line, where.idx))

    def _add(self, finding: Finding) -> None:
        self._new.append(finding)

    def _emit(self, code: str, severity: str, message: str, oid: str | None, kind: str | None, where: Where,
              rule: str | None = None) -> None:
        self._new.append(Finding(code, severity, message, oid, kind, where.source, where.line, where.idx, rule))

    def _event(self, name: str | None, data: object, where: Where, key: object, after: int | None,
               flagged: bool) -> None:
        """One stream event, to the streams."""
        self._streams.event(name, data, where, key, after, flagged)

    def _streamed(self, kind: str, d: dict[str, Any], where: Where, st: StreamState, part: str) -> None:
        """The object a stream event carries, checked as the stream's own observation of it."""
        if kind == "run":
            self._run(d, where, st.after, st, part)
        elif kind == "run_step":
            self._children.step(d, where, st.after, st, part)
        else:
            self._children.message(d, where, st.after, st, part)

    def _dispatch(self, value: Any, where: Where, after: int) -> None:
        if not isinstance(value, dict):
            self._add(InputError(f"expected a JSON object, got {type_name(value)}", source=where.source, line=where.line,
                                 code="input.type").finding(where.idx))
            return
        obj = value.get(OBJECT)
        if obj == _LIST:
            data = value.get("data")
            if not isinstance(data, list):
                self._add(InputError(f"list page whose 'data' is {type_name(data)}, not a list", source=where.source,
                                     line=where.line, code="input.type").finding(where.idx))
                return
            for item in data:
                if isinstance(item, dict):
                    self._object(item, where, after)
                else:
                    self._add(InputError(f"list page item is {type_name(item)}, not an object", source=where.source,
                                         line=where.line, code="input.type").finding(where.idx))
            self._children.parallel_steps(data, where)
            return
        if obj is None and "event" in value and "data" in value:
            name = value["event"]
            if name.__class__ is not str:
                self._add(InputError(f"event record whose 'event' is {type_name(name)}, not a string",
                                     source=where.source, line=where.line, code="input.type").finding(where.idx))
                return
            stream = stream_key(value.get("stream"))
            self._event(name, value["data"], where, stream, None, False)
            return
        self._object(value, where, after)

    def _object(self, d: dict[str, Any], where: Where, after: int) -> None:
        obj = d.get(OBJECT)
        kind = _KIND_OF_OBJECT.get(obj) if obj.__class__ is str else None
        if kind == "run":
            self._run(d, where, after, None, None)
        elif kind == "run_step":
            self._children.step(d, where, after, None, None)
        elif kind == "message":
            self._children.message(d, where, after, None, None)
        elif obj.__class__ is not str and "error" not in d:
            # other objects (threads, assistants, deltas, API error bodies) are skipped quietly
            what = "has no 'object' key" if obj is None else f"has an 'object' of type {type_name(obj)}, not a string"
            self._add(InputError(
                f"this JSON object {what}, so it is not a run, run step, message or list page"
                f" (keys: {', '.join(sorted(map(str, d))[:6]) or 'none'})",
                source=where.source, line=where.line, code="input.object", object_id=str_or_none(d.get("id"))).finding(where.idx))
