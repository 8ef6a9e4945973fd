"""The Responses simulator through the real openai SDK, in process, sync and async, on the fake clock.

Every answer it gives is checked by the Responses validator: polls, streams and resumes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runfsm.sim import CallFunctions, Clock, Fail, FunctionCall, QueueDelay, QueueStall, RunOutOfTokens, Say, Simulator
from runfsm.sim._responses import ResponsesBackend, responses_of
from runfsm.validate._responses import ResponsesTracker

openai = pytest.importorskip("openai")
rfo = pytest.importorskip("runfsm.openai")


def setup(*script: Any, **options: Any) -> tuple[Any, Any, ResponsesTracker]:
    sim = Simulator(clock=Clock(), script=list(script) or None)
    if options:
        backend = responses_of(sim)
        for key, value in options.items():
            setattr(backend, key, value)
    return sim, rfo.client(sim), ResponsesTracker(strict=False)


def poll(client: Any, tracker: ResponsesTracker, **create: Any) -> Any:
    create.setdefault("input", "hi")
    r = client.responses.create(model="gpt-4o", background=True, **create)
    tracker.feed(r)
    while r.status in ("queued", "in_progress"):
        r = client.responses.retrieve(r.id)
        tracker.feed(r)
    return r


def test_a_background_poll_loop_walks_queued_in_progress_completed_on_the_clock() -> None:
    sim, client, tracker = setup(QueueDelay(3), Say("Hello there", duration=5))
    start = sim.clock.now
    r = poll(client, tracker)
    assert r.status == "completed" and r.output_text == "Hello there"
    assert tracker.history("response", r.id) == ["queued", "in_progress", "completed"]
    assert sim.clock.now - start == 8
    assert [f for f in tracker.findings if f.severity != "info"] == []


@pytest.mark.parametrize(("action", "status"), [
    (Fail("server_error", "boom"), "failed"),
    (RunOutOfTokens(during=Say("a long answer cut short")), "incomplete"),
])
def test_failures_and_token_limits_end_the_response_as_the_spec_says(action: Any, status: str) -> None:
    _, client, tracker = setup(action)
    r = poll(client, tracker)
    assert r.status == status
    assert (r.error is not None) == (status == "failed")
    assert (r.incomplete_details is not None) == (status == "incomplete")
    assert tracker.report().errors == []


def test_a_stream_has_numbered_events_and_one_terminal_event_and_resumes_after_its_cursor() -> None:
    _, client, tracker = setup(Say("one two three", duration=2))
    with client.responses.stream(model="gpt-4o", input="x", background=True) as s:
        events = list(s)
    for e in events:
        tracker.feed_event(None, e, stream="first")
    tracker.end_stream("first")
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [e.type for e in events].count("response.completed") == 1
    rid = events[0].response.id
    tracker.begin_stream("resumed", starting_after=4)
    resumed = list(client.responses.retrieve(rid, stream=True, starting_after=4))
    for e in resumed:
        tracker.feed_event(None, e, stream="resumed")
    tracker.close()
    assert resumed[0].sequence_number == 5 and resumed[-1].type == "response.completed"
    assert tracker.report().errors == []


def test_a_resume_mid_way_goes_on_live_and_a_cancel_ends_it() -> None:
    _sim, client, _ = setup(QueueStall())
    r = client.responses.create(model="gpt-4o", input="x", background=True)
    events = list(client.responses.retrieve(r.id, stream=True))
    assert [e.type for e in events] == ["response.created", "response.queued"]  # a stalled queue sends no more
    assert client.responses.cancel(r.id).status == "cancelled"
    assert client.responses.cancel(r.id).status == "cancelled"  # idempotent
    assert client.responses.retrieve(r.id).status == "cancelled"


def test_tool_loops_chain_with_previous_response_id() -> None:
    _, client, tracker = setup(CallFunctions((FunctionCall("total", {"n": 2}),)), Say("It is 4."))
    first = poll(client, tracker)
    call = next(o for o in first.output if o.type == "function_call")
    second = poll(client, tracker, previous_response_id=first.id,
                  input=[{"type": "function_call_output", "call_id": call.call_id, "output": "4"}])
    assert second.previous_response_id == first.id and second.output_text == "It is 4."
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        client.responses.create(model="gpt-4o", previous_response_id=first.id,
                                input=[{"type": "function_call_output", "call_id": "call_nope", "output": "4"}])
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-4o", previous_response_id="resp_unknown", input="x")


def test_the_apis_refusals() -> None:
    sim, client, _ = setup(Say("hi"))
    with pytest.raises(openai.BadRequestError, match="requires store=true"):
        client.responses.create(model="gpt-4o", input="x", background=True, store=False)
    fg = client.responses.create(model="gpt-4o", input="x")
    assert fg.status == "completed" and fg.background is False
    with pytest.raises(openai.BadRequestError, match="background=true can be cancelled"):
        client.responses.cancel(fg.id)
    with pytest.raises(openai.BadRequestError, match="background=true can be streamed"):
        client.responses.retrieve(fg.id, stream=True)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_unknown", stream=True)
    bg = client.responses.create(model="gpt-4o", input="x", background=True)
    with pytest.raises(openai.BadRequestError, match="beyond the last event"):
        client.responses.retrieve(bg.id, stream=True, starting_after=99)
    with pytest.raises(openai.BadRequestError, match="starting_after"):
        client.responses.retrieve(bg.id, stream=True, extra_query={"starting_after": "soon"})
    sim.advance(301)  # the resume window is 5 minutes
    with pytest.raises(openai.BadRequestError, match="no longer be resumed"):
        client.responses.retrieve(bg.id, stream=True)
    assert client.responses.retrieve(bg.id).status == "completed"  # still kept for polling
    sim.advance(300)  # about 10 minutes: gone
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(bg.id)
    stateless = client.responses.create(model="gpt-4o", input="x", store=False)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(stateless.id)


@pytest.mark.parametrize(("option", "answer"), [("return", 200), ("conflict", 409), ("refuse", 400)])
def test_cancel_of_a_finished_background_response_is_an_option(option: str, answer: int) -> None:
    _, client, tracker = setup(Say("hi"), cancel_finished=option)
    r = poll(client, tracker)
    if answer == 200:
        assert client.responses.cancel(r.id).status == "completed"
    else:
        with pytest.raises(openai.APIStatusError) as info:
            client.responses.cancel(r.id)
        assert info.value.status_code == answer


def test_a_lost_cancel_race_reads_cancelled_then_completed() -> None:
    _, client, tracker = setup(Say("hi", duration=10), lose_cancel_race=True)
    r = client.responses.create(model="gpt-4o", input="x", background=True)
    tracker.feed(r)
    tracker.feed(client.responses.cancel(r.id))
    tracker.feed(client.responses.retrieve(r.id))
    assert tracker.history("response", r.id) == ["queued", "cancelled", "completed"]
    assert [(f.code, f.severity) for f in tracker.findings] == [("response.observed_transition", "info")]


def test_the_async_client_polls_and_streams_the_same() -> None:
    sim = Simulator(clock=Clock(), script=[Say("async hello", duration=3)])
    client = rfo.async_client(sim)

    async def main() -> tuple[str, list[int]]:
        r = await client.responses.create(model="gpt-4o", input="x", background=True)
        while r.status in ("queued", "in_progress"):
            r = await client.responses.retrieve(r.id)
        stream = await client.responses.retrieve(r.id, stream=True, starting_after=2)
        seqs = [e.sequence_number async for e in stream]
        return r.output_text, seqs

    text, seqs = asyncio.run(main())
    assert text == "async hello" and seqs[0] == 3


def test_bad_configuration_and_scripts_are_runfsm_errors() -> None:
    from runfsm.sim._errors import ConfigError, ScriptError

    with pytest.raises(ConfigError):
        ResponsesBackend(cancel_finished="maybe")
    with pytest.raises(ScriptError):
        ResponsesBackend(script=["say hi"])
    with pytest.raises(ScriptError):
        ResponsesBackend(script="say hi")


@pytest.mark.parametrize(("after", "resumable", "kept"), [
    (299, True, True), (300, True, True), (301, False, True), (599, False, True), (600, False, True),
    (601, False, False),
])
def test_the_resume_and_retention_windows_to_the_second(after: int, resumable: bool, kept: bool) -> None:
    """A resume is allowed for 5 minutes after creation, a poll for 10; one second past either is refused."""
    sim, _, _ = setup(Say("hi"))
    client = rfo.client(sim, poll_interval=0)  # a read takes no simulated time: the boundary is exact
    bg = client.responses.create(model="gpt-4o", input="x", background=True)
    sim.advance(after - (sim.clock.now - bg.created_at))
    if resumable:
        assert [e.type for e in client.responses.retrieve(bg.id, stream=True)]
    elif kept:
        with pytest.raises(openai.BadRequestError, match="no longer be resumed"):
            client.responses.retrieve(bg.id, stream=True)
    if kept:
        assert client.responses.retrieve(bg.id).id == bg.id
    else:
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(bg.id)
