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
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import ClockError

__all__ = ["DEFAULT_START", "Clock"]

DEFAULT_START = 1_700_000_000
"""Default start time (Unix seconds, 2023-11-14), the era of the Assistants API."""

Action = Callable[..., object]


def _check_time(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ClockError(f"{what} must be a finite number of seconds, got {value!r}")
    return value


class Clock:
    """A fake clock in Unix seconds that only moves forward.

    ``now`` stays an ``int`` as long as you only pass ints (the API's timestamps are
    whole seconds; objects are stamped with ``int(now)``).  ``advance`` and
    ``advance_to`` run every action due on the way, in (time, scheduling order),
    with ``now`` set to each action's time while it runs.
    """

    __slots__ = ("_buckets", "_busy", "_count", "_now", "_times")

    def __init__(self, start: float = DEFAULT_START) -> None:
        start = _check_time(start, "Clock start")
        if start < 0:
            raise ClockError(f"Clock start must not be negative, got {start!r}")
        self._now: float = start
        self._times: list[float] = []  # heap of the distinct due times
        self._buckets: dict[float, deque[tuple[Action, tuple[Any, ...]]]] = {}
        self._count = 0
        self._busy = False

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
        return self._times[0] if self._times else None

    def schedule(self, at: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` when the clock reaches ``at`` (not before ``now``)."""
        if not at >= self._now:
            _check_time(at, "Scheduled time")
            raise ClockError(f"cannot schedule an action at {at!r}: the clock is already at {self._now!r}")
        bucket = self._buckets.get(at)
        if bucket is None:
            bucket = self._buckets[at] = deque()
            heapq.heappush(self._times, at)
        bucket.append((action, args))
        self._count += 1

    def _pop(self) -> tuple[float, Action, tuple[Any, ...]]:
        at = self._times[0]
        bucket = self._buckets[at]
        action, args = bucket.popleft()
        if not bucket:
            del self._buckets[at]
            heapq.heappop(self._times)
        self._count -= 1
        return at, action, args

    def call_later(self, delay: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` ``delay`` seconds from now."""
        if not delay >= 0:
            _check_time(delay, "Delay")
            raise ClockError(f"cannot schedule an action {delay!r} seconds in the past (the clock is at {self._now!r})")
        self.schedule(self._now + delay, action, *args)

    def run_next(self) -> bool:
        """Move to the next scheduled action and run it; False if nothing is scheduled."""
        if not self._times:
            return False
        self._enter()
        try:
            at, action, args = self._pop()
            self._now = at
            action(*args)
        finally:
            self._busy = False
        return True

    def advance(self, seconds: float) -> int:
        """Move forward ``seconds`` (>= 0), running what falls due; returns how many actions ran."""
        seconds = _check_time(seconds, "advance()")
        if seconds < 0:
            raise ClockError(f"the clock never goes backwards: advance({seconds!r}) at {self._now!r}")
        return self._run_until(self._now + seconds)

    def advance_to(self, t: float) -> int:
        """Move forward to time ``t`` (>= now), running what falls due; returns how many actions ran."""
        t = _check_time(t, "advance_to()")
        if t < self._now:
            raise ClockError(f"the clock never goes backwards: advance_to({t!r}) but it is already {self._now!r}")
        return self._run_until(t)

    def run_until_idle(self, limit: int | None = None) -> int:
        """Run scheduled actions until none is left (or ``limit`` ran); returns how many ran."""
        ran = 0
        while self._times and (limit is None or ran < limit):
            self.run_next()
            ran += 1
        return ran

    def _enter(self) -> None:
        if self._busy:
            raise ClockError("the clock cannot be moved from inside a scheduled action")
        self._busy = True

    def _run_until(self, target: float) -> int:
        self._enter()
        times, buckets = self._times, self._buckets
        ran = 0
        try:
            while times and times[0] <= target:
                at = times[0]
                bucket = buckets[at]
                self._now = at
                # Actions scheduled for this same time while it runs join the bucket's end.
                while bucket:
                    action, args = bucket.popleft()
                    self._count -= 1
                    action(*args)
                    ran += 1
                del buckets[at]
                heapq.heappop(times)
            self._now = target
        finally:
            self._busy = False
        return ran

    def __repr__(self) -> str:
        return f"<Clock now={self._now!r} pending={self._count}>"
