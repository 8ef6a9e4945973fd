"""Runs: what a tracker keeps of each run and of the threads they run on, and the checks of a run's snapshots.

A run's snapshot is checked for its own fields, then for its move from the last
known status (:class:`~runfsm.validate._moves.MoveRules`), its timestamps, and
the thread lock; :class:`Runs` keeps, besides each run's state, the runs that
ended (to forget the oldest), tombstones of forgotten runs that had ended, the
statuses no lifecycle knows, and how many runs each period's rules judged.

**The thread lock.**  Two runs of one thread overlap for certain only when each
began before the other ended.  "A began before B ended" is known when A was
received before a request that then saw B active (``A.first <= B.active_after``,
or both in one list page), when A's ``created_at`` is a second earlier than
B's, or when A's ``created_at`` is earlier than the timestamp B ended with
(``completed_at``, ``failed_at``, ``cancelled_at``).  So polling run 1, creating
run 2 and then seeing run 1 ``completed`` never raises a false alarm (run 1 may
have ended between the two observations), while seeing run 1 active again after
run 2 appeared, or a list page with two active runs, is reported.  Each thread
keeps its eight most recently seen runs.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NamedTuple

from .. import spec
from .._rows import CREATED
from ._checks import ASSISTANT_ID, CREATED_AT, ID, STARTED_AT, STATUS, THREAD_ID, required_call_ids, short
from ._findings import ERROR, WARNING, Finding, InputError, Report
from ._moves import MoveRules, immutables
from ._rules import RuleBook, Rules
from ._state import NEVER, StreamState, Where
from ._streams import Emit, Streams, ev

__all__ = ["THREAD_RECENT", "RunState", "Runs", "Share", "ThreadState"]

THREAD_RECENT = 8
"""How many recently seen runs of a thread the thread-lock check compares."""


class RunState:
    """One run: identity, last status (and where it came from), history, thread-lock evidence."""

    __slots__ = (
        "active_after",
        "active_idx",
        "assistant_id",
        "channel",
        "created_at",
        "end_stamp",
        "first_idx",
        "history",
        "id",
        "last_idx",
        "line",
        "moves",
        "problems",
        "required_ids",
        "rules",
        "snapshot",
        "source",
        "started_at",
        "status",
        "terminal_idx",
        "thread",
        "thread_id",
    )

    def __init__(self, oid: str, idx: int, limit: int) -> None:
        self.id = oid
        self.thread_id: Any = None
        self.assistant_id: Any = None
        self.created_at: Any = None
        self.status: str | None = None
        self.last_idx = NEVER
        self.channel: object = None
        self.started_at: int | None = None
        self.history: deque[str] = deque(maxlen=limit)
        self.moves: deque[tuple[str, str, bool]] = deque(maxlen=limit)
        self.first_idx = idx
        self.active_idx = NEVER
        self.active_after = NEVER
        self.end_stamp: int | None = None
        self.terminal_idx = NEVER
        self.required_ids: frozenset[str] = frozenset()
        self.thread: ThreadState | None = None
        self.source: str | None = None  # where the run was first seen (to name both places of a reused id)
        self.line: int | None = None
        self.snapshot: object = None  # the last snapshot read from a file, while the run is active
        self.problems: tuple[Any, ...] = ()  # what its own checks found in that snapshot
        self.rules: Any = None  # the rules of the period it was created in


class ThreadState:
    """One thread: its recently seen runs and the overlaps already reported."""

    __slots__ = ("older", "recent", "reported")

    def __init__(self) -> None:
        self.recent: deque[RunState] = deque(maxlen=THREAD_RECENT)
        self.reported: set[tuple[str, str]] = set()
        # (latest active_after, latest active_idx, latest created_at, latest end_stamp) of every run but the
        # newest; None when it must be recomputed (an older run was observed, or a newer run appeared)
        self.older: tuple[int, int, int, int] | None = None

    def summary_of_older(self) -> tuple[int, int, int, int]:
        if self.older is None:
            after = active = created = end = NEVER
            for i in range(len(self.recent) - 1):
                r = self.recent[i]
                if r.active_after > after:
                    after = r.active_after
                if r.active_idx > active:
                    active = r.active_idx
                if r.created_at.__class__ is int and r.created_at > created:
                    created = r.created_at
                if r.end_stamp is not None and r.end_stamp > end:
                    end = r.end_stamp
            self.older = (after, active, created, end)
        return self.older


class Share(NamedTuple):
    """What a tracker knows of its runs, as plain values: to report, to send to another process, to merge."""

    runs: list[tuple[int, str, list[str], list[tuple[str, str, bool]]]]
    """``(first index, id, history, moves)`` of each run, in the order first seen."""
    unknown: dict[str, dict[str, int]]
    """Run id -> the statuses no lifecycle knows that it was seen in, with counts."""
    periods: dict[str, int]
    """Period label -> how many runs its rules judged."""

    def report(self, findings: list[Finding], *, strict: bool, version: str, as_of: str | None) -> Report:
        """These runs and ``findings`` as one :class:`Report`."""
        runs = self.runs
        report = Report.build(findings, {rid: h for _, rid, h, _ in runs}, {rid: m for _, rid, _, m in runs},
                              strict=strict, version=version)
        report.unknown_statuses = self.unknown
        report.add_periods(self.periods)
        report.as_of = as_of
        return report


class Runs(MoveRules):
    """The runs of one tracker, the threads they run on, and the checks of their snapshots.

    The tracker hands it its rules, its streams, where findings go, ``use`` (which switches the tracker,
    and so :attr:`rules`, to other rules) and ``forget`` (which drops a run with its steps and messages).
    """

    def __init__(self, book: RuleBook, dated: bool, streams: Streams, emit: Emit, add: Callable[[Finding], None],
                 use: Callable[[Rules], None], forget: Callable[[str], None], strict: bool, history_limit: int,
                 keep_finished: int | None) -> None:
        self.book = book
        self.dated = dated
        self.streams = streams
        self.emit = emit
        self.add = add
        self.use = use
        self.forget_run = forget
        self.strict = strict
        self.history_limit = history_limit
        self.keep_finished = keep_finished
        self.by_id: dict[str, RunState] = {}
        self.threads: dict[str, ThreadState] = {}
        self.finished: OrderedDict[str, None] = OrderedDict()
        self.tombstones: dict[str, str] = {}  # run id -> final status, for runs forgotten after they ended
        self.unknown: dict[str, dict[str, int]] = {}  # run id -> unknown statuses seen, with counts
        self.periods: dict[str, int] = {}  # period label -> runs first judged by its rules
        self.from_files = False  # sources are files: an id in two files may be two runs
        self.expired: dict[str, str] = {}  # run id -> a step seen expired before its run ended (the steps' map)
        self.judge_by(book.default)

    def judge_by(self, rules: Rules) -> None:
        """Judge what follows by ``rules`` (the tracker calls it when the period changes)."""
        self.rules = rules
        self.lc = rules.run_lc
        self.rc = rules.rc
        self.anchors = rules.anchors
        self.started_rule = rules.started_rule

    def _emit(self, code: str, severity: str, message: str, oid: str | None, kind: str | None, where: Where,
              rule: str | None = None) -> None:
        self.emit(code, severity, message, oid, kind, where, rule)

    # === what is kept =========================================================================

    def forget(self, run_id: str) -> None:
        """Drop a run's state; one that had ended leaves a tombstone (see :meth:`Tracker.forget`)."""
        state = self.by_id.pop(run_id, None)
        final = state.status if state is not None else None
        if final is not None and final in self.lc.terminal:
            self.tombstones[run_id] = final
        self.finished.pop(run_id, None)
        if state is not None and state.thread_id.__class__ is str:
            thread = self.threads.get(state.thread_id)
            if thread is not None:
                if state in thread.recent:
                    thread.recent.remove(state)
                thread.older = None
                if thread.reported:
                    thread.reported = {p for p in thread.reported if run_id not in p}
                if not thread.recent:
                    del self.threads[state.thread_id]

    def share(self) -> Share:
        """The runs as plain values (copies: the tracker may go on)."""
        return Share([(s.first_idx, rid, list(s.history), list(s.moves)) for rid, s in self.by_id.items()],
                     {rid: dict(seen) for rid, seen in self.unknown.items()}, dict(self.periods))

    def note_unknown(self, oid: str, status: str) -> None:
        """Count a status the lifecycle does not know, for the picture of the run (a few per run, cut short)."""
        seen = self.unknown.get(oid)
        if seen is None:
            seen = self.unknown[oid] = {}
        key = status if len(status) <= 80 else status[:77] + "..."
        if key in seen or len(seen) < 8:
            seen[key] = seen.get(key, 0) + 1

    # === one snapshot =========================================================================

    def run(
        self, d: dict[str, Any], where: Where, after: int,
        st: StreamState | None, part: str | None, same: bool = False,
    ) -> None:
        """A run's snapshot, polled (``st`` None) or carried by a stream event; ``same`` says a snapshot read
        from a file may be the very object read before (a repeated line)."""
        oid = d.get(ID)
        state = self.by_id.get(oid) if oid.__class__ is str else None
        if self.dated:
            rules = state.rules if state is not None else self.book.at(d.get(CREATED_AT))
            if rules is not self.rules:
                self.use(rules)
        rc = self.rc
        if same and state is not None and state.snapshot is d:
            # the very same line again (a poll loop): its own checks gave these problems last time
            if state.problems:
                for f in where.findings(state.problems, state.id, "run"):
                    self.add(f)
            self.run_state(state, d, state.id, d[STATUS], where, after, st, part)
            return
        try:
            oid, status, problems = rc.inspect(d, where.source, where.line, keys=state is None)
        except InputError as exc:
            self.add(exc.finding(where.idx))
            if st is not None and part is not None:
                self.streams.named_gap(st, "run", part, where.idx)
            return
        if problems:
            for f in where.findings(problems, oid, "run"):
                self.add(f)
        lc = self.lc
        if status not in lc.statuses:
            if status is not None:
                self.note_unknown(oid, status)
            if st is not None and part is not None:
                self.streams.named_gap(st, "run", part, where.idx)
            return
        assert status is not None
        if state is not None and self.from_files and state.source != where.source and (
                d.get(CREATED_AT) != state.created_at or d.get(THREAD_ID) != state.thread_id
                or (part == CREATED and st is not None)  # created again, in another file
                or (status == lc.initial and state.status in lc.terminal)):  # begun again after it ended
            self.id_reused(state, d, where)
            state = None
        new = state is None
        if state is None:
            state = self.by_id[oid] = RunState(oid, where.idx, self.history_limit)
            state.rules = self.rules
            label = self.rules.profile.period.label
            self.periods[label] = self.periods.get(label, 0) + 1
            state.thread_id = d.get(THREAD_ID)
            state.assistant_id = d.get(ASSISTANT_ID)
            state.created_at = d.get(CREATED_AT)
            state.source, state.line = where.source, where.line
            if self.tombstones:
                final = self.tombstones.pop(oid, None)
                if final is not None:  # a run evicted after it ended: it is still over
                    state.status = final
                    state.history.append(final)
                    state.terminal_idx = NEVER + 1
                    new = False
        if same:
            state.snapshot = d
            state.problems = tuple(p for p in problems if p.code != "run.missing_keys")
        self.run_state(state, d, oid, status, where, after, st, part, new)

    def run_state(
        self, state: RunState, d: dict[str, Any], oid: str, status: str, where: Where, after: int,
        st: StreamState | None, part: str | None, new: bool = False,
    ) -> None:
        """The run's status, history, timestamps and thread lock, once its own fields are checked."""
        lc = self.lc
        idx = where.idx
        get = d.get
        check_lock = new
        if not new:
            if (get(CREATED_AT) != state.created_at or get(THREAD_ID) != state.thread_id
                    or get(ASSISTANT_ID) != state.assistant_id):
                self.immutables(state, d, where)
            if part == CREATED and st is not None and state.first_idx <= st.after:
                self.emit("stream.order", ERROR,
                          f"{ev('run', CREATED)!r} for run {oid}, which was seen before this stream began; "
                          "a run is created once", oid, "stream", where)

        old = state.status
        if st is None and (old == status or old is None):  # the common poll: no move to judge
            state.last_idx = idx
            state.channel = None
            if old is None:
                state.status = status
                state.history.append(status)
        else:
            channel: object = None
            local: str | None = None
            if st is not None:
                channel = st
                after = st.after
                local = self.streams.run_event(st, d, oid, status, part, where)
            concurrent = state.last_idx > after and (channel is None or channel is not state.channel)
            if not self._move(lc, "run", state, status, local, concurrent, channel, where):
                return  # a stale observation from a concurrent request
            if old != status:
                state.history.append(status)

        started = get(STARTED_AT)
        if started is not None:
            if state.started_at is not None and started < state.started_at:
                self.emit("run.started_at_decreased", ERROR,
                          f"run {oid}: started_at went back from {short(state.started_at)} to {short(started)}; it is re-stamped "
                          "forward each time the run re-enters in_progress and never decreases",
                          oid, "run", where)
            else:
                state.started_at = started
        elif state.started_at is not None and status not in self.started_rule:
            self.emit("run.started_at_cleared", WARNING,
                      f"run {oid} is {status!r} with started_at null after it was {short(state.started_at)}; "
                      "once set it keeps its value", oid, "run", where)

        if status in lc.active:
            check_lock = True
            if idx > state.active_idx:
                state.active_idx = idx
            if after > state.active_after:
                state.active_after = after
            if status in lc.paused:
                ids = required_call_ids(d)
                if ids:
                    state.required_ids = ids
        else:
            state.snapshot = None  # an ended run is polled no more: keep it small
            state.problems = ()
            if state.terminal_idx == NEVER:
                state.terminal_idx = idx
                if self.keep_finished is not None:
                    self.finished[oid] = None
            field = self.anchors.end_stamp.get(status)
            stamp = get(field) if field is not None else None
            if stamp is not None and stamp != state.end_stamp:
                state.end_stamp = stamp
                check_lock = True
            if self.expired:
                pending = self.expired.pop(oid, None)
                if pending is not None and status != self.anchors.run_clock_end:
                    self.emit("run_step.expired_run_not_expired", ERROR,
                              f"run step {pending} expired but its run {oid} ended {status!r}; a step is "
                              "considered expired only if its run expired", pending, "run_step", where)
            if st is not None and st.run_id == oid:
                self.streams.open_at_run_end(st, oid, status, where)
        # a thread with one run seen (the usual case) has nothing to compare
        if check_lock and state.thread_id.__class__ is str and (state.thread is None or len(state.thread.recent) > 1):
            self.thread_lock(state, where)
        if self.keep_finished is not None and len(self.finished) > self.keep_finished:
            self.forget_run(next(iter(self.finished)))

    def id_reused(self, state: RunState, d: Mapping[str, Any], where: Where) -> None:
        """One id, two runs (different files, different thread or creation time): said once, then the new
        one is tracked on its own instead of as a run that changed its identity."""
        here = f"{where.source}:{where.line}" if where.line is not None else where.source
        there = f"{state.source}:{state.line}" if state.line is not None else state.source
        if d.get(CREATED_AT) != state.created_at or d.get(THREAD_ID) != state.thread_id:
            what = (f"in {there} it is on thread {short(state.thread_id)} created at {short(state.created_at)}, "
                    f"in {here} on thread {short(d.get(THREAD_ID))} created at {short(d.get(CREATED_AT))}")
        else:
            what = (f"it ended {state.status!r} in {there} (first seen there) and begins again "
                    f"{d.get(STATUS)!r} in {here}")
        self.emit("run.id_reused", ERROR,
                  f"run id {state.id} names two different runs: {what}. If these files come from separate "
                  "sessions or systems, check them with --separate (validate_paths(..., separate=True))",
                  state.id, "run", where)
        self.forget_run(state.id)
        self.tombstones.pop(state.id, None)

    def immutables(self, state: RunState, d: Mapping[str, Any], where: Where) -> None:
        for f in immutables(spec.RUN_IMMUTABLE_FIELDS, "run", "run", state.id, partial(getattr, state),
                            partial(setattr, state), d, where):
            self.add(f)

    def thread_lock(self, state: RunState, where: Where) -> None:
        """Never two active runs on one thread (see the module docstring for the rule)."""
        thread = state.thread
        if thread is None:
            thread = self.threads.get(state.thread_id)
            if thread is None:
                thread = self.threads[state.thread_id] = ThreadState()
            thread.recent.append(state)
            thread.older = None
            state.thread = thread
        recent = thread.recent
        if len(recent) < 2:
            return
        s_first, s_active, s_after, s_end = state.first_idx, state.active_idx, state.active_after, state.end_stamp
        s_created = state.created_at if state.created_at.__class__ is int else None
        if state is recent[-1]:
            # the usual case, the newest run: it can overlap an older one only if it began before one
            # of them ended, which the summary of the older runs rules out in one go
            after, active, created, end = thread.summary_of_older()
            if s_first > after and s_first > active and (s_created is None or (s_created >= created
                                                                                and s_created >= end)):
                return
        else:
            thread.older = None
        for o in recent:
            if o is state:
                continue
            # did this run certainly begin before the other ended?
            o_created = o.created_at if o.created_at.__class__ is int else None
            if not (s_first <= o.active_after or s_first == o.active_idx or (s_created is not None and (
                    (o_created is not None and s_created < o_created)
                    or (o.end_stamp is not None and s_created < o.end_stamp)))):
                continue
            # and did the other certainly begin before this one ended?
            if not (o.first_idx <= s_after or o.first_idx == s_active or (o_created is not None and (
                    (s_created is not None and o_created < s_created)
                    or (s_end is not None and o_created < s_end)))):
                continue
            pair = (state.id, o.id) if state.id < o.id else (o.id, state.id)
            if pair in thread.reported:
                continue
            thread.reported.add(pair)
            self.emit("run.thread_locked", ERROR,
                      f"runs {o.id} and {state.id} were both active on thread {state.thread_id} at the "
                      "same time; a thread has at most one active run (the API refuses the second run)",
                      state.id, "run", where)
