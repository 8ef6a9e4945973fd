"""The simulator notices a client that will never stop, and says why, inside the client's own call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm.errors import ClientStuck
from runfsm.openai import async_client, client
from runfsm.sim import Clock, ConfigError, Fail, Liveness, RunOutOfTokens, Say, Simulator

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]


def _ended_run(liveness: Liveness | None = None, script: Any = None) -> tuple[Simulator, str, str]:
    sim = Simulator(clock=Clock(1000), script=script or [Say("Hi", duration=2)], liveness=liveness)
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    sim.advance(10)
    return sim, thread["id"], run["id"]


@given(st.integers(1, 30))
def test_a_finished_run_may_be_read_exactly_terminal_polls_more_times(limit: int) -> None:
    sim, thread_id, run_id = _ended_run(Liveness(terminal_polls=limit))
    for _ in range(limit + 1):  # the read that first shows it ended, then `limit` more
        assert sim.retrieve_run(thread_id, run_id)["status"] == "completed"
    with pytest.raises(ClientStuck) as caught:
        sim.retrieve_run(thread_id, run_id)
    stuck = caught.value
    assert (stuck.reason, stuck.run_id, stuck.status, stuck.polls) == ("polled_after_end", run_id, "completed", limit + 1)
    assert stuck.since == 1003  # queued at 1000, started at 1001, wrote for 2 s
    assert f"run {run_id} has been 'completed' since 3 s after it was created" in str(stuck)
    assert "Likely bug: the loop does not treat 'completed' as final" in str(stuck)


def test_reads_of_an_active_run_never_count() -> None:
    sim = Simulator(clock=Clock(1000), script=[Say("Hi", duration=500)], liveness=Liveness(terminal_polls=1))
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    for _ in range(400):
        sim.advance(1)
        assert sim.retrieve_run(thread["id"], run["id"])["status"] in ("queued", "in_progress")


def test_once_stuck_every_later_read_raises_the_same_error() -> None:
    sim, thread_id, run_id = _ended_run(Liveness(terminal_polls=1))
    sim.retrieve_run(thread_id, run_id)
    sim.retrieve_run(thread_id, run_id)
    with pytest.raises(ClientStuck) as first:
        sim.retrieve_run(thread_id, run_id)
    assert sim.stuck is first.value
    for read in (lambda: sim.list_messages(thread_id), lambda: sim.retrieve_thread(thread_id),
                 lambda: sim.list_run_steps(thread_id, run_id)):
        with pytest.raises(ClientStuck) as again:
            read()
        assert again.value is first.value


@given(st.integers(1, 50))
def test_idle_calls_bound_the_reads_after_every_run_ended(limit: int) -> None:
    sim, thread_id, _ = _ended_run(Liveness(terminal_polls=None, horizon=None, idle_calls=limit))
    for _ in range(limit):
        sim.list_messages(thread_id)
    with pytest.raises(ClientStuck) as caught:
        sim.list_messages(thread_id)
    assert caught.value.reason == "idle"
    assert "every run has ended" in str(caught.value) and f"({limit + 1} calls)" in str(caught.value)


def test_a_new_run_starts_the_idle_count_again() -> None:
    sim, thread_id, _ = _ended_run(Liveness(terminal_polls=None, horizon=None, idle_calls=3))
    for _ in range(3):
        sim.list_messages(thread_id)
    asst = sim.create_assistant(model="gpt-4o")
    sim.create_run(thread_id, assistant_id=asst["id"])
    sim.advance(10)
    for _ in range(3):  # a fresh allowance after the second run ended
        sim.list_messages(thread_id)
    with pytest.raises(ClientStuck):
        sim.list_messages(thread_id)


def test_the_horizon_counts_simulated_time_since_every_run_ended() -> None:
    sim, thread_id, _ = _ended_run(Liveness(terminal_polls=2, horizon=100, idle_calls=None))
    ended = 1003
    sim.clock.advance_to(ended + 100)  # exactly at the horizon: still fine
    for _ in range(5):
        sim.list_messages(thread_id)
    sim.clock.advance_to(ended + 101)  # one second past it: the next read fails
    with pytest.raises(ClientStuck) as caught:
        sim.list_messages(thread_id)
    assert "101 s of simulated time" in str(caught.value)


def test_one_late_look_after_the_horizon_is_fine() -> None:
    sim, thread_id, run_id = _ended_run(Liveness(terminal_polls=3, horizon=100, idle_calls=None))
    sim.advance(10_000)
    assert sim.retrieve_run(thread_id, run_id)["status"] == "completed"
    sim.list_messages(thread_id)


def test_deleting_the_thread_of_an_active_run_counts_as_the_run_ending() -> None:
    sim = Simulator(clock=Clock(1000), script=[Say("Hi", duration=500)],
                    liveness=Liveness(terminal_polls=None, horizon=None, idle_calls=2))
    asst = sim.create_assistant(model="gpt-4o")
    keep = sim.create_thread()
    gone = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    sim.create_run(gone["id"], assistant_id=asst["id"])
    for _ in range(5):  # a run is active: reads do not count
        sim.list_messages(keep["id"])
    sim.delete_thread(gone["id"])
    sim.list_messages(keep["id"])
    sim.list_messages(keep["id"])
    with pytest.raises(ClientStuck):
        sim.list_messages(keep["id"])


def test_liveness_off_lets_a_client_poll_forever() -> None:
    sim, thread_id, run_id = _ended_run(Liveness.off())
    for _ in range(3000):
        sim.retrieve_run(thread_id, run_id)
    assert sim.stuck is None


@pytest.mark.parametrize("field", ["terminal_polls", "horizon", "idle_calls"])
@pytest.mark.parametrize("bad", [0, -1, True, "5", float("nan"), float("inf")])
def test_bad_liveness_settings_are_refused(field: str, bad: object) -> None:
    with pytest.raises(ConfigError, match=f"Liveness.{field} must be"):
        Liveness(**{field: bad})  # type: ignore[arg-type]


def test_a_simulator_refuses_a_liveness_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"liveness must be a runfsm\.sim\.Liveness"):
        Simulator(liveness={"terminal_polls": 3})  # type: ignore[arg-type]


def test_client_stuck_is_not_swallowed_by_except_exception() -> None:
    assert not issubclass(ClientStuck, Exception)


# --- through the openai SDK --------------------------------------------------------------------


def _forgetful_loop(oai: openai.OpenAI, thread_id: str, run_id: str) -> None:
    """The bug the issue describes: a loop that forgets 'incomplete' and 'expired', and retries on any error."""
    while True:
        try:
            run = oai.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run_id)
        except Exception:
            continue
        if run.status in ("completed", "failed", "cancelled"):
            return
        time.sleep(10)


@pytest.mark.parametrize("script", [
    [RunOutOfTokens(during=Say("It is sunny in", duration=3))],
    [Say("Let me think for a long while.", duration=700)],
], ids=["incomplete", "expired"])
def test_a_forgetful_poll_loop_fails_fast_instead_of_hanging(monkeypatch: pytest.MonkeyPatch, script: Any) -> None:
    sim = Simulator(script=script)
    oai = client(sim)
    monkeypatch.setattr(time, "sleep", sim.advance)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Weather?"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    with pytest.raises(ClientStuck, match=r"Likely bug: the loop does not treat '(incomplete|expired)' as final") as caught:
        _forgetful_loop(oai, thread.id, run.id)
    assert caught.value.polls == 11  # stopped right after the allowance: a failure, not a hang
    # and the SDK call itself raised it: every later request is answered with it too
    with pytest.raises(ClientStuck):
        oai.beta.threads.messages.list(thread_id=thread.id)


def test_the_sdk_poll_helpers_are_never_interrupted() -> None:
    sim = Simulator(script=[Fail("server_error", during=Say("Hm", duration=3), duration=1)])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    for _ in range(3):
        run = oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
        assert run.status == "failed"
        for _ in range(5):  # a program may look at the finished run a few times
            assert oai.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id).status == "failed"
        oai.beta.threads.messages.list(thread_id=thread.id)
    assert sim.stuck is None


def test_the_async_client_raises_it_inside_the_awaited_call() -> None:
    sim = Simulator(script=[RunOutOfTokens(during=Say("It is", duration=2))], liveness=Liveness(terminal_polls=2))

    async def main() -> None:
        oai = async_client(sim)
        asst = await oai.beta.assistants.create(model="gpt-4o")
        thread = await oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
        run = await oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
        while run.status != "completed":
            run = await oai.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)

    with pytest.raises(ClientStuck, match="'incomplete'"):
        asyncio.run(main())


def test_a_huge_whole_number_is_a_valid_limit() -> None:
    settings = Liveness(terminal_polls=10**400, horizon=10**400, idle_calls=10**400)
    sim, thread_id, run_id = _ended_run(settings)
    for _ in range(50):
        sim.retrieve_run(thread_id, run_id)
    assert sim.stuck is None
