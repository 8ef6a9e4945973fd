"""``validate_paths(..., jobs=N)``: the threads of a log checked in N processes, with one process's report.

Every rule of the lifecycle is about one run, its steps and messages, the thread it
runs on (the thread lock spans runs) or one stream; none spans two threads.  So this
process reads the input (in order, as one process would), sends each record to the
worker that owns its **thread** (a stable hash of the thread id), and each worker runs
an ordinary :class:`~runfsm.validate.Tracker` on its share, in log order.

What one tracker would see globally is replayed exactly:

* every item keeps its global index (the order the tracker reasons with);
* an unreadable line is reported here and marks a gap in every worker's open streams;
* the events of one stream go where the stream's thread goes; when a stream moves to
  another worker (a new stream on the same key), that worker is first told the
  stream's state (open and empty, or closed by ``done`` at some index);
* findings come back tagged with the step that produced them and are merged in that
  order, histories in the order their runs were first seen.

A record that names no thread follows its run (or goes to the first worker).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import spec
from ..errors import RunfsmError
from ._batch import empty_finding, source_name
from ._findings import Finding, Report
from ._mixed import MixedTracker
from ._reader import Bad, Event, Record
from ._records import MAX_RECORD, read_file
from ._runs import Share
from ._state import NEVER
from ._tracker import LISTED_PER_FILE, Tracker, input_only, stream_key, unlisted

__all__ = ["merge", "thread_partition", "validate_parallel"]

_BATCH = 2000
_STARTS = frozenset((spec.EVENT_THREAD_CREATED, f"{spec.EVENT_PREFIXES['run']}.created"))
_RUN, _STEP, _MSG = spec.OBJECT_TYPES["run"], spec.OBJECT_TYPES["run_step"], spec.OBJECT_TYPES["message"]


def thread_partition(thread_id: str, jobs: int) -> int:
    """The worker (0 .. jobs-1) that owns ``thread_id``: stable across runs and machines."""
    return zlib.crc32(thread_id.encode("utf-8", "surrogatepass")) % jobs


def _thread_of(value: object) -> str | None:
    if value.__class__ is not dict:
        return None
    assert isinstance(value, dict)
    tid = value.get("thread_id")
    if tid.__class__ is str:
        return tid
    if value.get("object") == "list":
        data = value.get("data")
        if isinstance(data, list):
            for item in data:
                t = _thread_of(item)
                if t is not None:
                    return t
    return None


def _event_thread(name: object, data: object) -> str | None:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            return None
    if not isinstance(data, dict):
        return None
    if name == spec.EVENT_THREAD_CREATED:
        tid = data.get("id")
        return tid if isinstance(tid, str) else None
    return _thread_of(data)


class _Key:
    """What one tracker would know about a stream key: where its events go and its state between streams."""

    __slots__ = ("begun", "closed", "gap", "owner", "started")

    def __init__(self) -> None:
        self.owner: int | None = None  # the worker holding the open stream
        self.begun: tuple[int, int] | None = None  # (start index, after) of an open stream with no events yet
        self.gap = NEVER  # an unreadable line while open and empty
        self.closed = NEVER  # index of the 'done' that closed the last stream
        self.started = False  # events seen since it opened (a new create event then abandons the stream)


class _Router:
    """Reads like one tracker would and runs the steps of its own worker (``me``); every worker runs the same
    router over the whole input, so they agree on every step number without talking to each other."""

    def __init__(self, jobs: int, me: int, worker: _Worker) -> None:
        self.jobs = jobs
        self.me = me
        self.worker = worker
        self.step = 0  # every op gets the next step number: the global order of everything
        self.count = 0  # the tracker's index
        self.keys: dict[object, _Key] = {}
        self.run_owner: dict[str, int] = {}
        self.memo: dict[int, tuple[object, int]] = {}  # id of a parsed line -> (it, its worker)
        self.findings: list[tuple[int, int, Finding]] = []

    def silence(self, step: int) -> None:
        """The findings of this step are not listed (unreadable input beyond the per-file limit)."""
        self.worker.forget_step(step)

    def send(self, worker: int, *op: Any) -> None:
        self.step += 1
        if worker == self.me:
            self.worker.run(self.step, op)

    def owner_of(self, value: Any) -> int:
        tid = _thread_of(value)
        rid: object = None
        if value.__class__ is dict:
            obj = value.get("object")
            rid = value.get("id") if obj == _RUN else value.get("run_id") if obj in (_STEP, _MSG) else None
        if tid is not None:
            w = thread_partition(tid, self.jobs)
        elif rid.__class__ is str and rid in self.run_owner:
            return self.run_owner[rid]
        else:
            w = 0
        if rid.__class__ is str and value.get("object") == _RUN:
            self.run_owner.setdefault(rid, w)
            return self.run_owner[rid]
        return w

    def record(self, item: Record, source: str) -> None:
        value = item.value
        idx = self.count
        if item.raw is not None:  # the same line again (a poll loop): the reader handed back the same object
            hit = self.memo.get(id(value))
            if hit is not None and hit[0] is value:
                self.count = idx + 1
                self.send(hit[1], "r", idx, item, source)
                return
        width = len(value) if isinstance(value, list) and len(value) > 1 else 1
        self.count += width
        if value.__class__ is dict and value.get("object") is None and "event" in value and "data" in value:
            key = stream_key(value.get("stream"))
            self.event(key, value["event"], value["data"], idx, source, ("r", idx, item, source))
            return
        target = self.owner_of(value[0] if isinstance(value, list) and value else value)
        if item.raw is not None and value.__class__ is dict:
            if len(self.memo) >= 256:
                del self.memo[next(iter(self.memo))]
            self.memo[id(value)] = (value, target)
        self.send(target, "r", idx, item, source)

    def event(self, key: object, name: object, data: object, idx: int, source: str, op: tuple[Any, ...]) -> None:
        k = self.keys.get(key)
        if k is None:
            k = self.keys[key] = _Key()
        thread = _event_thread(name, data)
        target = k.owner
        if target is None or (thread is not None and name in _STARTS and k.started
                              and thread_partition(thread, self.jobs) != target):
            if target is not None:  # a new stream where the last never said 'done': that one was abandoned
                self.send(target, "a", idx, key, source)
                k.begun, k.gap = (idx, idx - 1), NEVER
            target = thread_partition(thread, self.jobs) if thread is not None else 0
            self.send(target, "s", key, k.begun, k.gap, k.closed)
            k.owner = target
            k.begun = None
        self.send(target, *op)
        k.started = True
        if name == spec.EVENT_DONE or (name is None and data == "[DONE]"):
            k.owner, k.closed, k.started = None, idx, False

    def bad(self, item: Bad, listed: bool = True) -> None:
        idx = self.count
        self.count += 1
        self.step += 1
        if self.me == 0 and listed:  # said once, by the first worker
            self.findings.append((self.step, 0, item.error.finding(idx)))
        self.send(self.me, "g", idx)
        for k in self.keys.values():
            if k.owner is None and k.begun is not None:
                k.gap = idx

    def begin(self, key: object) -> None:
        k = self.keys.get(key)
        if k is None:
            k = self.keys[key] = _Key()
        if k.owner is not None:
            self.send(k.owner, "x", self.count, key, None)
        k.owner, k.begun, k.gap, k.started = None, (self.count, self.count - 1), NEVER, False

    def end(self, key: object, source: str | None) -> None:
        k = self.keys.pop(key, None)
        if k is not None and k.owner is not None:
            self.send(k.owner, "x", self.count, key, source)


# what one worker returns: tagged findings, runs, unknown statuses, runs judged per period
_Share = tuple[list[tuple[int, int, Finding]], list[Any], Any, dict[str, int]]


class _Worker:
    """A tracker and the steps routed to it."""

    def __init__(self, strict: bool, version: str, as_of: str | None) -> None:
        self.tracker = tracker = MixedTracker(strict, version, as_of=as_of)
        tracker.sources_are_files()
        self.tagged: list[tuple[int, int, Finding]] = []

    def run(self, step: int, op: tuple[Any, ...]) -> None:
        tracker = self.tracker
        findings = tracker.findings
        before = len(findings)
        kind, *args = op
        if kind == "r":
            idx, item, source = args
            tracker.continue_at(idx)
            tracker.feed_counted((item,), source=source)
        elif kind == "e":
            idx, item, source, key = args
            tracker.continue_at(idx)
            tracker.feed_items((item,), source=source, stream=key)
        elif kind == "g":
            (idx,) = args
            tracker.unreadable_at(idx)
        elif kind == "s":
            key, begun, gap, closed = args
            tracker.restore_stream(key, begun, gap, closed)
        else:  # "a" (a stream abandoned) or "x" (its input ended)
            idx, key, source = args
            tracker.continue_at(idx)
            tracker.end_stream(key, source=source)
        if len(findings) > before:
            self.tagged.extend((step, sub + 1, f) for sub, f in enumerate(findings[before:]))
            del findings[before:]

    def forget_step(self, step: int) -> None:
        """Drop what a step found (it was not to be listed)."""
        while self.tagged and self.tagged[-1][0] == step:
            self.tagged.pop()

    def result(self) -> _Share:
        tracker = self.tracker
        runs, unknown, periods = tracker.share()
        other = tracker.responses_report()
        if other is not None:  # after every run, in the order first seen, as one process reports them
            runs += [(sys.maxsize, key, history, other.transitions.get(key, []))
                     for key, history in other.histories.items()]
        return self.tagged, runs, unknown, periods


def _share(paths: Sequence[str], jobs: int, me: int, strict: bool, version: str, allow_empty: bool,
           max_record: int, fast: bool | None, as_of: str | None = None) -> _Share:
    """Read everything; check the threads of worker ``me``."""
    worker = _Worker(strict, version, as_of)
    router = _Router(jobs, me, worker)
    for path in paths:
        name = source_name(path)
        key = ("file", name)
        router.begin(key)
        seen = bad = 0
        for item in read_file(path, max_record=max_record, fast=fast):
            seen += 1
            if item.__class__ is Record:
                router.record(item, name)
                if input_only(item.value):
                    bad += 1
                    if bad > LISTED_PER_FILE:
                        router.silence(router.step)
            elif item.__class__ is Event:
                idx = router.count
                router.count += 1
                ev: Event = item
                router.event(key, ev.name, ev.data, idx, name, ("e", idx, ev, name, key))
            else:
                bad += 1
                router.bad(item, bad <= LISTED_PER_FILE)  # type: ignore[arg-type]
        if bad > LISTED_PER_FILE:
            router.step += 1
            if me == 0:
                router.findings.append((router.step, 0, unlisted(name, bad - LISTED_PER_FILE)))
        if not seen and not allow_empty:
            router.bad(empty_finding(name))
        router.end(key, name)
    for open_key in list(router.keys):
        router.end(open_key, None)
    tagged, runs, unknown, periods = worker.result()
    return router.findings + tagged, runs, unknown, periods


def _child() -> None:
    """A worker process: its arguments arrive pickled on stdin, its share of the report leaves on stdout."""
    args = pickle.load(sys.stdin.buffer)
    pickle.dump(_share(*args), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


def validate_parallel(
    paths: Sequence[str | Path],
    jobs: int,
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    allow_empty: bool = False,
    max_record: int = MAX_RECORD,
    fast: bool | None = None,
    as_of: object = None,
) -> Report:
    """:func:`~runfsm.validate.validate_paths` in ``jobs`` worker processes, partitioned by thread."""
    day = Tracker(strict, version, as_of=as_of).as_of  # refuses bad arguments here, before any process starts
    names = [str(p) for p in paths]
    # plain child interpreters: no fork of a process that may hold threads, no re-import of __main__
    procs = [subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL) for _ in range(1, jobs)]
    try:
        for me, p in enumerate(procs, 1):
            assert p.stdin is not None
            pickle.dump((names, jobs, me, strict, version, allow_empty, max_record, fast, day), p.stdin,
                        protocol=pickle.HIGHEST_PROTOCOL)
            p.stdin.close()
        results = [_share(names, jobs, 0, strict, version, allow_empty, max_record, fast, day)]
        for p in procs:
            assert p.stdout is not None
            try:
                results.append(pickle.load(p.stdout))
            except (EOFError, pickle.UnpicklingError):
                raise RunfsmError(f"a validation worker process failed (exit status {p.wait()})") from None
    finally:
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:  # pragma: no cover - a worker that hangs
                p.kill()
    return merge(results, strict=strict, version=version, as_of=day)


def merge(results: Sequence[_Share], *, strict: bool, version: str, as_of: str | None = None) -> Report:
    """The workers' shares as one report: findings in step order, runs in the order first seen."""
    tagged: list[tuple[int, int, Finding]] = []
    runs: list[tuple[int, str, list[str], list[tuple[str, str, bool]]]] = []
    unknown: dict[str, dict[str, int]] = {}
    periods: dict[str, int] = {}
    for found, worker_runs, worker_unknown, worker_periods in results:
        for label, n in worker_periods.items():
            periods[label] = periods.get(label, 0) + n
        tagged += found
        runs += worker_runs
        unknown.update(worker_unknown)
    tagged.sort(key=lambda t: (t[0], t[1]))
    runs.sort(key=lambda r: r[0])
    return Share(runs, unknown, periods).report([f for _, _, f in tagged], strict=strict, version=version,
                                                as_of=as_of)


if __name__ == "__main__":
    _child()
