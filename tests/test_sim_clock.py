"""The simulated clock: order of scheduled actions, never backwards, no wall time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm.sim import Clock, ClockError


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


def test_bad_start() -> None:
    with pytest.raises(ClockError):
        Clock(start=-1)
    with pytest.raises(ClockError):
        Clock(start=float("inf"))
