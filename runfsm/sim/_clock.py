"""The simulated clock: a monotonic "now" and a queue of scheduled actions.

Every timestamp the simulator writes comes from one :class:`Clock` passed in by
the caller; nothing reads wall time.  Actions run in ``(time, sequence)`` order:
ties resolve in scheduling order.  The queue is a heap of the *distinct* due
times, each with a FIFO bucket of actions (a calendar queue): with thousands of
runs on whole-second timestamps most events share a time, so running one costs
O(1) amortised instead of a heap operation whose depth grows with the number of
runs.  The order is exactly that of a heap of ``(time, sequence, action)``.
"""

from __future__ import annotations

import heapq
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ._errors import ClockError, describe

__all__ = ["DEFAULT_START", "MAX_TIME", "Clock"]

DEFAULT_START = 1_700_000_000
"""Default start time (Unix seconds, 2023-11-14), the era of the Assistants API."""

MAX_TIME = 2**53
"""The latest time the clock holds (Unix seconds, some 285 million years on).

Past it a float can no longer tell consecutive seconds apart, so durations would
vanish; every way of getting there (or to ``inf`` or ``NaN``) is a :class:`ClockError`.
"""

Action = Callable[..., object]


def _check_time(value: object, what: str) -> float:
    """``value`` if it is a time the clock can hold (a number in ``[-MAX_TIME, MAX_TIME]``), else ClockError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClockError(f"{what} must be a number of seconds, got {type(value).__name__} {describe(value)}")
    if not -MAX_TIME <= value <= MAX_TIME:  # also false for NaN; no float conversion, so huge ints are fine
        raise ClockError(f"{what} must be a finite number of seconds up to 2**53, got {describe(value)}")
    return value


def _past_end(what: str, now: float, delta: object) -> ClockError:
    return ClockError(
        f"{what} would take the clock from {describe(now)} past the latest time it holds "
        f"(2**53 s = {MAX_TIME}): {describe(delta)} seconds is too far"
    )


class Clock:
    """A fake clock in Unix seconds that only moves forward.

    ``now`` stays an ``int`` as long as you only pass ints (the API's timestamps are
    whole seconds; objects are stamped with ``int(now)``).  ``advance`` and
    ``advance_to`` run every action due on the way, in (time, scheduling order),
    with ``now`` set to each action's time while it runs.

    Thread-safe: moving the clock and scheduling hold :attr:`lock` (re-entrant), so a
    second thread's ``advance`` waits for the first one's to finish.  Moving the clock
    from inside one of its own scheduled actions is refused (:class:`ClockError`).
    """

    __slots__ = ("_buckets", "_busy", "_count", "_lock", "_now", "_times")

    def __init__(self, start: float = DEFAULT_START) -> None:
        start = _check_time(start, "Clock start")
        if start < 0:
            raise ClockError(f"Clock start must not be negative, got {describe(start)}")
        self._now: float = start
        self._times: list[float] = []  # heap of the distinct due times
        # A bucket holds its entries flat: action, number of args, the args, action, ...  No tuple
        # outlives the call that scheduled it, so with 100,000 runs pending the garbage collector has
        # no object per scheduled action to scan (a tuple living for seconds would reach its oldest
        # generation and bring on full collections).
        self._buckets: dict[float, deque[Any]] = {}
        self._count = 0
        self._busy = False
        self._lock = threading.RLock()

    @property
    def lock(self) -> threading.RLock:
        """The re-entrant lock held while the clock runs actions; simulators on this clock hold it in every call."""
        return self._lock

    @property
    def now(self) -> float:
        """The current simulated time (Unix seconds)."""
        return self._now

    @property
    def timestamp(self) -> int:
        """``now`` as the API writes it: whole seconds."""
        return int(self._now)

    @property
    def pending(self) -> int:
        """How many scheduled actions have not run yet (cancelled-by-staleness ones included)."""
        return self._count

    @property
    def next_due(self) -> float | None:
        """The time of the next scheduled action, or None when nothing is scheduled."""
        times = self._times
        return times[0] if times else None

    def schedule(self, at: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` when the clock reaches ``at`` (not before ``now``, not past :data:`MAX_TIME`)."""
        with self._lock:
            try:
                ok = self._now <= at <= MAX_TIME
            except TypeError:
                ok = False
            if not ok:
                _check_time(at, "Scheduled time")
                raise ClockError(f"cannot schedule an action at {describe(at)}: the clock is already at {describe(self._now)}")
            bucket = self._buckets.get(at)
            if bucket is None:
                bucket = self._buckets[at] = deque()
                heapq.heappush(self._times, at)
            bucket.append(action)
            bucket.append(len(args))
            bucket.extend(args)
            self._count += 1

    def check_after(self, delay: object, what: str = "a delay") -> float:
        """The time ``delay`` seconds from now, or :class:`ClockError` if the clock cannot hold it."""
        delay = _check_time(delay, what)
        if delay < 0:
            raise ClockError(f"{what} of {describe(delay)} seconds lies in the past (the clock is at {describe(self._now)})")
        at = self._now + delay
        if not at <= MAX_TIME:
            raise _past_end(what, self._now, delay)
        return at

    def call_later(self, delay: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` ``delay`` seconds from now."""
        with self._lock:
            self.schedule(self.check_after(delay, "call_later() delay"), action, *args)

    @staticmethod
    def _take(bucket: deque[Any]) -> tuple[Action, tuple[Any, ...]]:
        action = bucket.popleft()
        n = bucket.popleft()
        if n == 2:  # the simulator's (run, epoch)
            return action, (bucket.popleft(), bucket.popleft())
        return action, tuple(bucket.popleft() for _ in range(n))

    def _pop(self) -> tuple[float, Action, tuple[Any, ...]]:
        at = self._times[0]
        bucket = self._buckets[at]
        action, args = self._take(bucket)
        if not bucket:
            del self._buckets[at]
            heapq.heappop(self._times)
        self._count -= 1
        return at, action, args

    def run_next(self) -> bool:
        """Move to the next scheduled action and run it; False if nothing is scheduled."""
        self._enter()
        try:
            if not self._times:
                return False
            at, action, args = self._pop()
            self._now = at
            action(*args)
        finally:
            self._exit()
        return True

    def advance(self, seconds: float) -> int:
        """Move forward ``seconds`` (>= 0), running what falls due; returns how many actions ran."""
        seconds = _check_time(seconds, "advance()")
        if seconds < 0:
            raise ClockError(f"the clock never goes backwards: advance({describe(seconds)}) at {describe(self._now)}")
        self._enter()
        try:
            target = self._now + seconds  # read under the lock: another thread may have moved it
            if not target <= MAX_TIME:
                raise _past_end(f"advance({describe(seconds)})", self._now, seconds)
            return self._run_until(target)
        finally:
            self._exit()

    def advance_to(self, t: float) -> int:
        """Move forward to time ``t`` (>= now), running what falls due; returns how many actions ran."""
        t = _check_time(t, "advance_to()")
        self._enter()
        try:
            if t < self._now:
                raise ClockError(
                    f"the clock never goes backwards: advance_to({describe(t)}) but it is already {describe(self._now)}")
            return self._run_until(t)
        finally:
            self._exit()

    def run_until_idle(self, limit: int | None = None) -> int:
        """Run scheduled actions until none is left (or ``limit`` ran); returns how many ran."""
        ran = 0
        while self._times and (limit is None or ran < limit):
            if not self.run_next():
                break
            ran += 1
        return ran

    def _enter(self) -> None:
        self._lock.acquire()  # another thread moving the clock: wait for it
        if self._busy:  # this thread, from inside a scheduled action
            self._lock.release()
            raise ClockError("the clock cannot be moved from inside a scheduled action")
        self._busy = True

    def _exit(self) -> None:
        self._busy = False
        self._lock.release()

    def _run_until(self, target: float) -> int:
        times, buckets = self._times, self._buckets
        ran = 0
        while times and times[0] <= target:
            at = times[0]
            bucket = buckets[at]
            self._now = at
            # Actions scheduled for this same time while it runs join the bucket's end.
            while bucket:
                action = bucket.popleft()
                n = bucket.popleft()
                self._count -= 1
                if n == 2:  # the simulator's (run, epoch): no tuple built
                    action(bucket.popleft(), bucket.popleft())
                else:
                    action(*[bucket.popleft() for _ in range(n)])
                ran += 1
            del buckets[at]
            heapq.heappop(times)
        self._now = target
        return ran

    def __repr__(self) -> str:
        return f"<Clock now={self._now!r} pending={self._count}>"
