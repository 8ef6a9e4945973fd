"""The simulated clock: order of scheduled actions, never backwards, no wall time."""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm.sim import Clock, ClockError
from runfsm.sim._clock import MAX_TIME


@given(st.lists(st.integers(min_value=0, max_value=50), max_size=40), st.integers(min_value=0, max_value=60))
def test_advance_runs_due_actions_in_time_then_scheduling_order(delays: list[int], horizon: int) -> None:
    clock = Clock(start=1000)
    ran: list[tuple[float, int, float]] = []
    for i, d in enumerate(delays):
        clock.call_later(d, lambda i=i, d=d: ran.append((1000 + d, i, clock.now)))
    count = clock.advance(horizon)
    expected = sorted((1000 + d, i) for i, d in enumerate(delays) if d <= horizon)
    assert [(t, i) for t, i, _ in ran] == expected
    assert all(now == t for t, _, now in ran)  # each action sees its own time as now
    assert count == len(expected)
    assert clock.now == 1000 + horizon
    assert clock.pending == len(delays) - len(expected)


def test_actions_scheduled_by_actions_run_if_due() -> None:
    clock = Clock(start=0)
    seen: list[float] = []

    def chain() -> None:
        seen.append(clock.now)
        if clock.now < 5:
            clock.call_later(1, chain)

    clock.call_later(0, chain)
    clock.advance(3)
    assert seen == [0, 1, 2, 3]
    clock.run_until_idle()
    assert seen == [0, 1, 2, 3, 4, 5]
    assert clock.next_due is None and not clock.run_next()


def test_run_next_jumps_to_the_next_action() -> None:
    clock = Clock(start=10)
    seen: list[str] = []
    clock.schedule(30, seen.append, "b")
    clock.schedule(20, seen.append, "a")
    assert clock.next_due == 20
    assert clock.run_next() and clock.now == 20 and seen == ["a"]
    assert clock.run_next() and clock.now == 30 and seen == ["a", "b"]


@pytest.mark.parametrize(
    "move",
    [
        lambda c: c.advance(-1),
        lambda c: c.advance_to(99),
        lambda c: c.schedule(99, print),
        lambda c: c.call_later(-0.5, print),
        lambda c: c.advance(float("nan")),
        lambda c: c.advance("5"),
    ],
)
def test_the_clock_never_goes_backwards(move: object) -> None:
    clock = Clock(start=100)
    with pytest.raises(ClockError) as err:
        move(clock)  # type: ignore[operator]
    assert clock.now == 100
    assert "100" in str(err.value) or "number" in str(err.value)


def test_moving_the_clock_from_inside_an_action_is_refused() -> None:
    clock = Clock(start=0)
    clock.call_later(1, lambda: clock.advance(1))
    with pytest.raises(ClockError, match="inside a scheduled action"):
        clock.advance(2)
    clock.advance(1)  # the clock is usable afterwards
    assert clock.now == 2


def test_fractional_seconds_keep_integer_timestamps() -> None:
    clock = Clock(start=1_700_000_000)
    clock.advance(0.75)
    assert clock.now == 1_700_000_000.75
    assert clock.timestamp == 1_700_000_000
    assert isinstance(Clock(start=5).now, int)


@pytest.mark.parametrize("start", [1_700_000_000, 1_700_000_001])  # an even and an odd second: .5 rounds to even
@pytest.mark.parametrize("fraction", [0.4, 0.5, 0.6])
def test_an_object_is_stamped_with_the_second_the_clock_is_in(start: int, fraction: float) -> None:
    from runfsm.sim import Simulator

    sim = Simulator(clock=Clock(start=start))
    sim.clock.advance(fraction)
    assert sim.clock.timestamp == start
    assert sim.create_thread()["created_at"] == start
    sim.clock.advance_to(start + 1)  # the next second, exactly
    assert sim.clock.timestamp == start + 1 and sim.create_thread()["created_at"] == start + 1


def test_bad_start() -> None:
    with pytest.raises(ClockError):
        Clock(start=-1)
    with pytest.raises(ClockError):
        Clock(start=float("inf"))


# -- only finite, representable times ---------------------------------------------------------------

huge = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([MAX_TIME, MAX_TIME + 1, 10**400, 1e308, -1e308, 2.0**53, 2.0**53 + 2]),
)


@given(st.lists(st.tuples(st.sampled_from(["advance", "advance_to", "call_later", "schedule"]), huge), max_size=12))
def test_every_way_past_the_largest_time_is_a_clock_error_and_changes_nothing(moves: list[tuple[str, object]]) -> None:
    clock = Clock(start=0)
    for name, value in moves:
        before = (clock.now, clock.pending, clock.next_due)
        try:
            if name in ("call_later", "schedule"):
                getattr(clock, name)(value, print)
            else:
                getattr(clock, name)(value)
        except ClockError as exc:
            assert (clock.now, clock.pending, clock.next_due) == before
            assert len(str(exc)) < 300  # names the value, even a 400-digit one, in a readable line
        assert 0 <= clock.now <= MAX_TIME and math.isfinite(clock.now)
        assert clock.next_due is None or clock.now <= clock.next_due <= MAX_TIME
    clock.advance(0)  # never wedged: the clock still moves


@pytest.mark.parametrize(
    ("move", "shown"),
    [
        (lambda: Clock(start=10**400), "10**400"),
        (lambda: Clock().advance(10**400), "10**400"),
        (lambda: Clock(start=MAX_TIME + 1), str(MAX_TIME + 1)),
        (lambda: Clock().advance(float("inf")), "inf"),
        (lambda: Clock().schedule(float("nan"), print), "nan"),
    ],
)
def test_impossible_times_are_named(move: Any, shown: str) -> None:
    with pytest.raises(ClockError, match=re.escape(shown)):
        move()


def test_two_finite_advances_cannot_overflow() -> None:
    clock = Clock(start=0)
    clock.advance(2**52)
    with pytest.raises(ClockError, match="past the latest time"):
        clock.advance(2**52 + 1)
    assert clock.now == 2**52
    clock.advance(2**52)  # exactly to the end is fine
    assert clock.now == MAX_TIME
    with pytest.raises(ClockError):
        clock.call_later(1, print)
    assert clock.advance(0) == 0


# -- threads ------------------------------------------------------------------------------------------

def test_another_threads_advance_waits_instead_of_raising() -> None:
    clock = Clock(start=0)
    inside = threading.Event()
    release = threading.Event()
    seen: list[float] = []

    def slow() -> None:
        inside.set()
        release.wait(5)
        seen.append(clock.now)

    clock.call_later(1, slow)
    first = threading.Thread(target=clock.advance, args=(1,))
    first.start()
    assert inside.wait(5)
    errors: list[BaseException] = []

    def second() -> None:
        try:
            clock.advance(1)
        except BaseException as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    other = threading.Thread(target=second)
    other.start()
    other.join(0.05)
    assert other.is_alive() and clock.now == 1  # waiting for the lock, not failing
    release.set()
    first.join(5)
    other.join(5)
    assert not errors and seen == [1] and clock.now == 2


def test_many_threads_advancing_one_clock_lose_no_time() -> None:
    clock = Clock(start=0)
    ran: list[float] = []
    for t in range(400):
        clock.schedule(t, ran.append, t)
    threads = [threading.Thread(target=lambda: [clock.advance(1) for _ in range(50)]) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert clock.now == 400 and ran == list(range(400)) and clock.pending == 0
