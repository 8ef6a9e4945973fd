"""The simulated clock: a monotonic "now" and a heap of scheduled actions.

Every timestamp the simulator writes comes from one :class:`Clock` passed in by
the caller; nothing reads wall time.  Scheduled actions sit in a heap of
``(time, sequence, action, args)`` entries, so ties resolve in scheduling order
and running one event costs O(log n) whatever the number of runs.
"""

from __future__ import annotations

import heapq
import math
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

    __slots__ = ("_busy", "_heap", "_now", "_seq")

    def __init__(self, start: float = DEFAULT_START) -> None:
        start = _check_time(start, "Clock start")
        if start < 0:
            raise ClockError(f"Clock start must not be negative, got {start!r}")
        self._now: float = start
        self._heap: list[tuple[float, int, Action, tuple[Any, ...]]] = []
        self._seq = 0
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
        return len(self._heap)

    @property
    def next_due(self) -> float | None:
        """The time of the next scheduled action, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def schedule(self, at: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` when the clock reaches ``at`` (not before ``now``)."""
        if not at >= self._now:
            _check_time(at, "Scheduled time")
            raise ClockError(f"cannot schedule an action at {at!r}: the clock is already at {self._now!r}")
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, action, args))

    def call_later(self, delay: float, action: Action, *args: Any) -> None:
        """Run ``action(*args)`` ``delay`` seconds from now."""
        if not delay >= 0:
            _check_time(delay, "Delay")
            raise ClockError(f"cannot schedule an action {delay!r} seconds in the past (the clock is at {self._now!r})")
        self.schedule(self._now + delay, action, *args)

    def run_next(self) -> bool:
        """Move to the next scheduled action and run it; False if nothing is scheduled."""
        if not self._heap:
            return False
        self._enter()
        try:
            at, _, action, args = heapq.heappop(self._heap)
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
        while self._heap and (limit is None or ran < limit):
            self.run_next()
            ran += 1
        return ran

    def _enter(self) -> None:
        if self._busy:
            raise ClockError("the clock cannot be moved from inside a scheduled action")
        self._busy = True

    def _run_until(self, target: float) -> int:
        self._enter()
        heap = self._heap
        pop = heapq.heappop
        ran = 0
        try:
            while heap and heap[0][0] <= target:
                at, _, action, args = pop(heap)
                self._now = at
                action(*args)
                ran += 1
            self._now = target
        finally:
            self._busy = False
        return ran

    def __repr__(self) -> str:
        return f"<Clock now={self._now!r} pending={len(self._heap)}>"
