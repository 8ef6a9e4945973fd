"""The validation guard (``runfsm.guard``) on a client built by ``runfsm.openai``.

A correct client gives the guard nothing to report; two classic client bugs
(LIFECYCLE.md section 8) are shown against it: submitting tool outputs twice,
and a poll loop that treats ``cancelling`` as terminal.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import openai
import pytest

from runfsm import RUN, GuardError, guard, spec, tracker_of
from runfsm.openai import async_client, client
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, SimConfig, Simulator

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
SCRIPT = [CallFunctions([FunctionCall("get_weather", {"city": "北京"}), FunctionCall("get_weather", {"city": "上海"})],
                        duration=2),
          Say("北京晴, 上海雨。", duration=40)]

# What a poll loop should stop on, from the spec: requires_action and every terminal status.
STOP = RUN.paused | RUN.terminal
# The bug: a hand-written terminal list that also stops on cancelling.
BUGGY_STOP = STOP | {"cancelling"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network connection attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def guarded(policy: str = "raise", **config: Any) -> tuple[Simulator, openai.OpenAI, str, str]:
    """A guarded client on a fresh simulator, with an assistant and a thread."""
    sim = Simulator(clock=Clock(start=START), seed=5, script=SCRIPT, config=SimConfig(**config))
    oai = guard(client(sim), policy=policy)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[TOOL])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "北京和上海天气?"}])
    return sim, oai, asst.id, thread.id


def outputs(run: Any) -> list[dict[str, str]]:
    return [{"tool_call_id": c.id, "output": "晴"} for c in run.required_action.submit_tool_outputs.tool_calls]


def poll(oai: openai.OpenAI, thread_id: str, run_id: str, stop: frozenset[str] | set[str]) -> Any:
    """A hand-written poll loop (the clock moves 1 s per retrieve)."""
    while True:
        run = oai.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run_id)
        if run.status in stop:
            return run


def test_a_correct_client_gives_the_guard_nothing_to_report() -> None:
    _sim, oai, asst_id, thread_id = guarded("raise")
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    run = oai.beta.threads.runs.submit_tool_outputs_and_poll(thread_id=thread_id, run_id=run.id,
                                                              tool_outputs=outputs(run))
    assert run.status == "completed"
    with oai.beta.threads.runs.stream(thread_id=thread_id, assistant_id=asst_id) as stream:
        stream.until_done()
    paused = stream.get_final_run()
    with oai.beta.threads.runs.submit_tool_outputs_stream(thread_id=thread_id, run_id=paused.id,
                                                          tool_outputs=outputs(paused)) as stream:
        stream.until_done()
    tracker = tracker_of(oai)
    assert [f for f in tracker.findings if f.severity == "error"] == []
    assert tracker.history(run.id) == ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed"]
    assert tracker.history(paused.id)[-1] == "completed"


def test_polling_that_treats_cancelling_as_terminal_leaves_an_active_run_the_guard_still_tracks() -> None:
    _sim, oai, asst_id, thread_id = guarded("raise", cancel_delay=5)
    first = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    oai.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=first.id, tool_outputs=outputs(first))
    writing = poll(oai, thread_id, first.id, {"in_progress"})
    assert writing.status == "in_progress"

    # The bug: the client cancels and stops polling at `cancelling`, believing the run is over.
    cancelled = oai.beta.threads.runs.cancel(thread_id=thread_id, run_id=first.id)
    seen = poll(oai, thread_id, first.id, BUGGY_STOP)
    assert seen.status == "cancelling"
    tracker = tracker_of(oai)
    # The guard knows better: the last thing it saw of the run is an active status, so the run
    # still locks its thread -- and indeed the API refuses the client's next message.
    assert tracker.status(first.id) in RUN.active and tracker.status(first.id) not in RUN.terminal
    with pytest.raises(openai.BadRequestError, match="while a run"):
        oai.beta.threads.messages.create(thread_id=thread_id, role="user", content="next question")

    # The fix (the SDK's own poll keeps going through cancelling): the guard ends on a terminal status.
    done = oai.beta.threads.runs.poll(first.id, thread_id=thread_id)
    assert done.status == "cancelled" and cancelled.status == "cancelling"
    assert tracker.status(first.id) == "cancelled"
    assert tracker.history(first.id)[-2:] == ["cancelling", "cancelled"]
    # The only error is the refused message: the bug's consequence, named after the locking run.
    errors = [f for f in tracker.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["client.thread_locked_message"]
    assert first.id in errors[0].message


def test_an_async_client_is_guarded_like_a_sync_one() -> None:
    """openai.AsyncOpenAI: polls, a stream read with ``async for``, and a refusal, all seen by the guard."""
    async def flow() -> tuple[Any, Any, Any]:
        sim = Simulator(clock=Clock(start=START), seed=5, script=SCRIPT)
        oai = guard(async_client(sim), policy="raise")
        asst = await oai.beta.assistants.create(model="gpt-4o", tools=[TOOL])
        thread = await oai.beta.threads.create(messages=[{"role": "user", "content": "北京和上海天气?"}])
        run = await oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
        run = await oai.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=outputs(run))
        streamed = await oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id, stream=True)
        names = [event.event async for event in streamed]
        with pytest.raises(openai.BadRequestError):  # the run is done: outputs are refused
            await oai.beta.threads.runs.submit_tool_outputs(thread_id=thread.id, run_id=run.id,
                                                            tool_outputs=outputs_of_nothing())
        return oai, run, names

    oai, run, names = asyncio.run(flow())
    tracker = tracker_of(oai)
    assert tracker.history(run.id) == ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed"]
    assert names[0] == "thread.run.created" and names[-1] == "thread.run.requires_action"
    streamed_id = next(r for r in tracker.run_ids() if r != run.id)
    assert tracker.history(streamed_id)[-1] == "requires_action"
    assert [f.code for f in tracker.findings if f.severity == "error"] == ["client.submit_wrong_status"]


def test_an_async_guard_raises_inside_the_await() -> None:
    """A server that breaks the lifecycle is caught in the awaited SDK call, policy "raise"."""
    async def flow() -> None:
        sim = Simulator(clock=Clock(start=START), seed=5, script=[Say("hi", duration=2)])
        oai = guard(async_client(sim), policy="raise")
        asst = await oai.beta.assistants.create(model="gpt-4o")
        thread = await oai.beta.threads.create()
        run = await oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
        assert run.status == "completed"
        sim._runs[run.id].status = "queued"  # a broken server: a finished run comes back to life
        await oai.beta.threads.runs.retrieve(run.id, thread_id=thread.id)

    with pytest.raises(GuardError, match="terminal"):
        asyncio.run(flow())


def outputs_of_nothing() -> list[dict[str, str]]:
    return [{"tool_call_id": "call_none", "output": ""}]


# Against a correct server, these client bugs reach the wire only as the API's refusal (HTTP 400):
# the guard records each refusal as a client.* finding naming the run, and still lets the SDK raise.


def _refusal_findings(oai: openai.OpenAI, obj_id: str) -> list[Any]:
    return [f for f in tracker_of(oai).findings if f.severity == "error" and obj_id in (f.object_id, f.message)]


def test_the_guard_reports_tool_outputs_submitted_twice() -> None:
    _sim, oai, asst_id, thread_id = guarded("collect")
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    assert run.status == "requires_action"
    oai.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=outputs(run))
    with pytest.raises(openai.BadRequestError) as refused:  # the bug: the same outputs again
        oai.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=outputs(run))
    assert refused.value.body["message"] == spec.REFUSALS["submit_wrong_status"].format(  # type: ignore[index]
        status="queued"
    )
    assert _refusal_findings(oai, run.id)


def test_the_guard_reports_the_thread_still_locked_by_a_cancelling_run() -> None:
    _sim, oai, asst_id, thread_id = guarded("collect", cancel_delay=5)
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    oai.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=outputs(run))
    poll(oai, thread_id, run.id, {"in_progress"})
    oai.beta.threads.runs.cancel(thread_id=thread_id, run_id=run.id)
    assert poll(oai, thread_id, run.id, BUGGY_STOP).status == "cancelling"
    with pytest.raises(openai.BadRequestError):  # the bug's consequence: the thread is still locked
        oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id)
    assert _refusal_findings(oai, run.id)


def test_the_guard_raises_on_a_lifecycle_violation_in_what_the_client_receives() -> None:
    """The guard does catch what it can see: here a forged answer (a completed run going back to
    in_progress), as a buggy cache or proxy in the client's HTTP stack would produce it."""
    sim, oai, asst_id, thread_id = guarded("raise")
    sim.set_script([Say("hi", duration=1)])
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    assert run.status == "completed"
    original = sim.retrieve_run

    def stale(thread_id: str, run_id: str) -> dict[str, Any]:
        return {**original(thread_id, run_id), "status": "in_progress", "completed_at": None, "usage": None}

    sim.retrieve_run = stale  # type: ignore[method-assign]
    with pytest.raises(GuardError) as caught:
        oai.beta.threads.runs.retrieve(thread_id=thread_id, run_id=run.id)
    assert any(f.object_id == run.id for f in caught.value.findings)
