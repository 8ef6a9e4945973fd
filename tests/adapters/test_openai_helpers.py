"""The openai SDK's own Assistants helpers, unmodified, against the simulator.

``create_and_poll``, ``poll``, ``submit_tool_outputs_and_poll``, ``create_and_run_poll``,
``stream`` and ``submit_tool_outputs_stream`` (sync and async).  No test sleeps in wall
time: ``time.sleep`` and ``anyio.sleep`` fail on any positive delay.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from typing import Any

import anyio
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai import AssistantEventHandler, AsyncAssistantEventHandler

from runfsm import RUN, spec
from runfsm.openai import async_client, client
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, SimConfig, Simulator
from runfsm.validate import validate_trace

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Fail on any wall-clock sleep or network connection; record the (zero) sleeps."""
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if seconds > 0:
            raise AssertionError(f"slept {seconds} s in wall time")

    async def async_sleep(seconds: float, *args: Any, **kwargs: Any) -> None:
        sleep(seconds)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network connection attempted")

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(anyio, "sleep", async_sleep)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return sleeps


def weather_script(ctx: Any) -> Any:
    """Call get_weather for two cities in parallel, then report what the client submitted."""
    if ctx.actions_done == 0:
        return CallFunctions([FunctionCall("get_weather", {"city": "北京"}), FunctionCall("get_weather", {"city": "上海"})],
                             duration=2)
    if ctx.actions_done == 1:
        return Say(" ".join(o.output for o in ctx.tool_outputs), duration=4)
    return None


def setup(script: Any = weather_script, *, poll_interval: float = 1.0, **config: Any) -> tuple[Simulator, openai.OpenAI]:
    sim = Simulator(clock=Clock(start=START), seed=3, script=script, config=SimConfig(**config))
    return sim, client(sim, poll_interval=poll_interval)


def run_records(sim: Simulator, run_id: str) -> list[dict[str, Any]]:
    """The run objects the client received (polled or in stream events), in order."""
    out = []
    for record in sim.trace:
        data = record.get("data") if "event" in record else record
        if isinstance(data, dict) and data.get("object") == spec.OBJECT_TYPES["run"] and data.get("id") == run_id:
            out.append(data)
    return out


def outputs_for(run: Any) -> list[dict[str, str]]:
    calls = run.required_action.submit_tool_outputs.tool_calls
    return [{"tool_call_id": c.id, "output": f"{json.loads(c.function.arguments)['city']}:晴"} for c in calls]


# --- polling helpers -------------------------------------------------------------------------------


def test_create_and_poll_then_submit_tool_outputs_and_poll(no_waiting: list[float]) -> None:
    sim, oai = setup()
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "北京和上海天气?"}])
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
    assert run.status == "requires_action"
    assert [c.function.name for c in run.required_action.submit_tool_outputs.tool_calls] == ["get_weather"] * 2  # type: ignore[union-attr]
    run = oai.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=outputs_for(run)
    )
    assert run.status == "completed"
    messages = oai.beta.threads.messages.list(thread_id=thread.id)
    assert messages.data[0].content[0].text.value == "北京:晴 上海:晴"  # type: ignore[union-attr]
    # Statuses the SDK saw, and the clock: one poll_interval per retrieve, no wall time.
    seen = [r["status"] for r in run_records(sim, run.id)]
    assert seen == ["queued", "in_progress", "in_progress", "requires_action", "queued", "in_progress",
                    "in_progress", "in_progress", "in_progress", "completed"]
    retrieves = len(seen) - 2  # minus the create and the submit answers
    assert sim.clock.now == START + retrieves * 1.0
    assert no_waiting and set(no_waiting) == {0}  # the SDK did call sleep, with openai-poll-after-ms = 0


def test_create_and_run_poll_and_poll_with_a_larger_interval() -> None:
    sim, oai = setup([Say("Hi there", duration=30)], poll_interval=7)
    asst = oai.beta.assistants.create(model="gpt-4o")
    run = oai.beta.threads.create_and_run_poll(
        assistant_id=asst.id, thread={"messages": [{"role": "user", "content": "Hello"}]}
    )
    assert run.status == "completed"
    # queue latency 1 s + 30 s of writing: done at +31; polls at +7, +14, ..., +35
    assert [r["status"] for r in run_records(sim, run.id)] == ["queued"] + ["in_progress"] * 4 + ["completed"]
    assert run.completed_at == START + 31 and sim.clock.now == START + 35


def test_a_client_that_polls_forever_sees_its_run_expire() -> None:
    _sim, oai = setup(poll_interval=25)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "天气?"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    polls = 0
    while run.status not in ("completed", "expired"):  # forgets requires_action: never submits
        run = oai.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
        polls += 1
        assert polls < 100
    assert run.status == "expired"
    assert polls == spec.RUN_DEADLINE_SECONDS // 25
    steps = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id)
    assert [s.status for s in steps.data] == ["expired"]


def test_poll_keeps_polling_through_cancelling() -> None:
    sim, oai = setup([Say("a long answer", duration=60)], cancel_delay=10)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    sim.advance(5)
    assert oai.beta.threads.runs.cancel(thread_id=thread.id, run_id=run.id).status == "cancelling"
    final = oai.beta.threads.runs.poll(run.id, thread_id=thread.id)
    assert final.status == "cancelled"
    seen = [r["status"] for r in run_records(sim, run.id)]
    assert seen[-1] == "cancelled" and seen.count("cancelling") == 1 + 9  # the cancel answer + 9 polls


# --- streaming helpers --------------------------------------------------------------------------------


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.texts: list[str] = []
        self.tool_calls_done: list[Any] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event.event)

    def on_text_delta(self, delta: Any, snapshot: Any) -> None:
        self.texts.append(delta.value)

    def on_tool_call_done(self, tool_call: Any) -> None:
        self.tool_calls_done.append(tool_call)


def stream_events(sim: Simulator, start: int) -> list[str]:
    return [r["event"] for r in sim.trace[start:] if isinstance(r, dict) and "event" in r]


def test_stream_then_submit_tool_outputs_stream_with_an_event_handler() -> None:
    sim, oai = setup()
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "北京和上海天气?"}])
    mark = len(sim.trace)
    first = Recorder()
    with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id, event_handler=first) as stream:
        stream.until_done()
    run = first.get_final_run()
    assert run.status == "requires_action"
    # The handler saw exactly the simulator's events, minus the closing `done` the SDK consumes.
    assert first.events == stream_events(sim, mark)[:-1]
    assert stream_events(sim, mark)[-1] == spec.EVENT_DONE
    assert first.events[:3] == ["thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    assert first.events[-1] == "thread.run.requires_action"
    assert [c.function.name for c in first.tool_calls_done] == ["get_weather"] * 2  # accumulated from deltas
    assert [json.loads(c.function.arguments) for c in first.tool_calls_done] == [{"city": "北京"}, {"city": "上海"}]

    mark = len(sim.trace)
    second = Recorder()
    with oai.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, tool_outputs=outputs_for(run), event_handler=second
    ) as stream:
        stream.until_done()
    assert second.events == stream_events(sim, mark)[:-1]
    assert second.events[:3] == ["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress"]
    assert second.get_final_run().status == "completed"
    assert "".join(second.texts) == "北京:晴 上海:晴"
    final = second.get_final_messages()
    assert [m.content[0].text.value for m in final] == ["北京:晴 上海:晴"]  # type: ignore[union-attr]
    steps = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert [(s.type, s.status) for s in steps] == [("tool_calls", "completed"), ("message_creation", "completed")]
    assert [c.function.output for c in steps[0].step_details.tool_calls] == ["北京:晴", "上海:晴"]  # type: ignore[union-attr]


def test_a_stream_advances_the_simulation_only_as_far_as_it_is_read() -> None:
    sim, oai = setup([Say("Hello, world", duration=5)])
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    stream = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id, stream=True)
    first = next(iter(stream))
    assert first.event == "thread.run.created"
    assert sim.clock.now == START  # nothing beyond the first event has happened yet
    stream.close()  # closing the stream does not cancel the run
    run = oai.beta.threads.runs.poll(first.data.id, thread_id=thread.id)
    assert run.status == "completed"


def test_cancel_from_inside_an_event_handler() -> None:
    sim, oai = setup([Say("one two three four five six seven", duration=20)])
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Count"}])

    class Canceller(Recorder):
        def on_message_created(self, message: Any) -> None:
            sim.advance(10)  # half of the message is written
            oai.beta.threads.runs.cancel(thread_id=thread.id, run_id=message.run_id)

    handler = Canceller()
    with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id, event_handler=handler) as stream:
        stream.until_done()
    tail = handler.events[handler.events.index("thread.run.cancelling"):]
    assert tail[0] == "thread.run.cancelling"
    assert tail[-3:] == ["thread.message.incomplete", "thread.run.step.cancelled", "thread.run.cancelled"]
    assert set(tail[1:-3]) == {"thread.message.delta"}
    assert handler.get_final_run().status == "cancelled"
    written = "".join(handler.texts)
    assert written == "one two three four five six seven"[: len(written)] and 0 < len(written) < 33
    message = oai.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert message.content[0].text.value == written  # type: ignore[union-attr]


# --- async --------------------------------------------------------------------------------------------


def test_async_client_helpers() -> None:
    sim = Simulator(clock=Clock(start=START), seed=3, script=weather_script)
    oai = async_client(sim)

    class AsyncRecorder(AsyncAssistantEventHandler):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[str] = []

        async def on_event(self, event: Any) -> None:
            self.events.append(event.event)

    async def main() -> tuple[Any, Any, list[str], list[str]]:
        asst = await oai.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
        thread = await oai.beta.threads.create(messages=[{"role": "user", "content": "天气?"}])
        run = await oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
        assert run.status == "requires_action"
        done = await oai.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=outputs_for(run)
        )
        first, second = AsyncRecorder(), AsyncRecorder()
        async with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id,
                                                 event_handler=first) as stream:
            await stream.until_done()
        paused = await first.get_final_run()
        async with oai.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=thread.id, run_id=paused.id, tool_outputs=outputs_for(paused), event_handler=second
        ) as stream:
            await stream.until_done()
        return done, await second.get_final_run(), first.events, second.events

    done, streamed, first_events, second_events = asyncio.run(main())
    assert done.status == "completed" and streamed.status == "completed"
    assert first_events[-1] == "thread.run.requires_action"
    assert second_events[0] == "thread.run.step.completed" and second_events[-1] == "thread.run.completed"


# --- properties -------------------------------------------------------------------------------------------

durations = st.integers(0, 40)
calls = st.lists(st.sampled_from(["北京", "上海", "成都"]), min_size=1, max_size=3)
actions = st.lists(
    st.one_of(
        st.builds(lambda d: Say("text " * 3, duration=d), durations),
        st.builds(lambda cs, d: CallFunctions([FunctionCall("get_weather", {"city": c}) for c in cs], duration=d),
                  calls, durations),
    ),
    max_size=4,
)


@given(script=actions, poll_interval=st.integers(0, 30), streamed=st.booleans())
def test_the_standard_client_loop_always_finishes_along_the_spec(
    script: list[Any], poll_interval: int, streamed: bool
) -> None:
    sim, oai = setup(script, poll_interval=poll_interval)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[WEATHER])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "?"}])
    submits = 0
    if streamed:
        with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id) as stream:
            stream.until_done()
        run = stream.get_final_run()
        while run.status == "requires_action":
            submits += 1
            with oai.beta.threads.runs.submit_tool_outputs_stream(
                thread_id=thread.id, run_id=run.id, tool_outputs=outputs_for(run)
            ) as stream:
                stream.until_done()
            run = stream.get_final_run()
    else:
        run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
        while True:
            if poll_interval:
                run = oai.beta.threads.runs.poll(run.id, thread_id=thread.id)
            else:  # poll_interval=0: retrieves do not move the clock, the caller does
                sim.advance(5)
                run = oai.beta.threads.runs.retrieve(run_id=run.id, thread_id=thread.id)
            if run.status == "requires_action":
                submits += 1
                run = oai.beta.threads.runs.submit_tool_outputs(
                    thread_id=thread.id, run_id=run.id, tool_outputs=outputs_for(run)
                )
            elif run.status in RUN.terminal:
                break
    assert run.status == "completed"
    assert submits == sum(isinstance(a, CallFunctions) for a in script)
    seen = [r["status"] for r in run_records(sim, run.id)]
    for before, after in itertools.pairwise(seen):  # polled snapshots may skip, never go backwards
        assert RUN.reachable(before, after, True), (before, after, seen)
    steps = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data
    assert [s.type for s in steps] == [
        spec.STEP_TYPES[0] if isinstance(a, Say) else spec.STEP_TYPES[1] for a in script
    ]
    assert {s.status for s in steps} <= {"completed"}
    assert validate_trace(sim.trace).errors == []  # what the SDK received passes the validator
