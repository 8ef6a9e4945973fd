"""The Responses backend's edges: bad parameters, broken scripts, the simulator's script, retention, the lock."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

from runfsm import responses_spec as rspec
from runfsm.sim import (
    CallFunctions,
    Clock,
    CodeInterpreter,
    FilterContent,
    FunctionCall,
    QueueDelay,
    QueueStall,
    Say,
    ScriptError,
    Simulator,
)
from runfsm.sim._engine import MAX_ACTIONS_PER_SECOND
from runfsm.sim._responses import ResponsesBackend, responses_of

openai = pytest.importorskip("openai")
rfo = pytest.importorskip("runfsm.openai")


def _client(*script: Any) -> tuple[Simulator, Any]:
    sim = Simulator(clock=Clock(), script=list(script) or None)
    return sim, rfo.client(sim)


def _param(err: Any) -> Any:
    return err.value.body["param"]  # the SDK keeps the error object of the body


# -- 1. a resume cursor is a sequence number: never negative --


@pytest.mark.parametrize(("after", "script"), [(-3, (Say("one two three", duration=2),)), (-5, (QueueStall(),)),
                                               (-1, (Say("hi"),))])
def test_a_negative_resume_cursor_is_a_400_naming_starting_after(after: int, script: tuple[Any, ...]) -> None:
    sim, client = _client(*script)
    r = client.responses.create(model="gpt-4o", input="x", background=True)
    if not isinstance(script[0], QueueStall):
        sim.advance(10)
    with pytest.raises(openai.BadRequestError) as err:
        list(client.responses.retrieve(r.id, stream=True, starting_after=after))
    assert _param(err) == "starting_after" and str(after) in str(err.value)
    backend = responses_of(sim)
    with pytest.raises(Exception, match="starting_after") as direct:
        backend.resume(r.id, after)
    assert direct.value.status == 400 and direct.value.param == "starting_after"  # type: ignore[attr-defined]


# -- 2. ids that are not strings --


@pytest.mark.parametrize("previous", [["resp_x"], {"id": "resp_x"}, 7])
def test_a_previous_response_id_that_is_not_a_string_is_a_400(previous: Any) -> None:
    _, client = _client(Say("hi"))
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="gpt-4o", input="x", previous_response_id=previous)
    assert _param(err) == "previous_response_id"


@pytest.mark.parametrize("call_id", [["call_x"], {"id": "call_x"}, 3])
def test_a_function_call_output_whose_call_id_is_not_a_string_is_a_400(call_id: Any) -> None:
    _, client = _client(CallFunctions((FunctionCall("total", {"n": 2}),)), Say("4"))
    first = client.responses.create(model="gpt-4o", input="x")
    for previous in (first.id, None):
        with pytest.raises(openai.BadRequestError) as err:
            client.responses.create(model="gpt-4o", previous_response_id=previous, input=[
                {"type": "message", "role": "user", "content": "hi"},
                {"type": "function_call_output", "call_id": call_id, "output": "4"}])
        assert _param(err) == "input[1].call_id"


# -- 3. broken scripts fail their response and say where --


class Broken(Exception):
    pass


def _assert_failed(backend: ResponsesBackend, err: Any, index: int) -> None:
    rid = err.value.run_id
    assert rid is not None and rid in str(err.value) and err.value.action == index
    assert f"script action {index}" in str(err.value) and "server_error" in str(err.value)
    body = backend.retrieve(rid)
    assert body["status"] == "failed" and body["error"]["code"] == "server_error"
    assert [s for _, s in backend.timelines()[rid]] in (["queued", "in_progress", "failed"], ["in_progress", "failed"])
    assert backend.active_runs == 0 and backend.last_ended is not None and backend.last_ended.id == rid
    assert backend.clock.pending == 0  # nothing of it stays scheduled


@pytest.mark.parametrize("background", [True, False])
def test_a_callable_that_only_delays_the_queue_is_a_runaway_script(background: bool) -> None:
    backend = ResponsesBackend(script=lambda ctx: QueueDelay(1))
    with pytest.raises(ScriptError, match="runaway script") as err:
        backend.create(model="gpt-4o", input="x", background=background)
    _assert_failed(backend, err, MAX_ACTIONS_PER_SECOND)


def test_a_callable_that_returns_a_non_action_fails_the_response() -> None:
    backend = ResponsesBackend(script=lambda ctx: Say("fine") if ctx.actions_done == 0 else "say hi")
    assert backend.create(model="gpt-4o", input="x")["status"] == "completed"  # type: ignore[index]
    with pytest.raises(ScriptError, match="'say hi'") as err:
        backend.create(model="gpt-4o", input="x", background=True)
    _assert_failed(backend, err, 1)


def test_a_callable_that_raises_fails_the_response_and_chains_the_cause() -> None:
    def script(ctx: Any) -> Any:
        raise Broken("no idea")

    sim = Simulator(clock=Clock())
    backend = responses_of(sim)
    backend.set_script(script)
    with pytest.raises(ScriptError, match="no idea") as err:
        backend.create(model="gpt-4o", input="x", background=True)
    assert isinstance(err.value.__cause__, Broken)
    _assert_failed(backend, err, 0)
    sim.advance(10_000)  # liveness: the simulator's watch sees nothing active
    assert sim.stuck is None


# -- 4. FilterContent durations are checked like every action's --


@pytest.mark.parametrize("duration", [math.inf, 10**400, math.nan, -1, True, "1"])
def test_filter_content_refuses_durations_no_action_takes(duration: Any) -> None:
    with pytest.raises(ScriptError, match="FilterContent: duration"):
        FilterContent(duration=duration)


# -- 5. the simulator's default script, as it is now --


def test_an_assistants_only_action_fails_only_the_response_that_reaches_it() -> None:
    sim, client = _client(CodeInterpreter("print(1)"), Say("after"))
    with pytest.raises(ScriptError, match="CodeInterpreter is not an action the Responses API can play") as err:
        responses_of(sim).create(model="gpt-4o", input="x", background=True)
    _assert_failed(responses_of(sim), err, 0)
    r = client.responses.create(model="gpt-4o", input="x")
    assert r.status == "completed" and r.output_text == "after"


def test_the_backend_plays_the_simulators_script_as_it_is_when_a_response_needs_it() -> None:
    sim, client = _client(Say("first"))
    assert client.responses.create(model="gpt-4o", input="x").output_text == "first"
    sim.set_script([Say("second"), Say("third")])
    assert client.responses.create(model="gpt-4o", input="x").output_text == "second"
    assert client.responses.create(model="gpt-4o", input="x").output_text == "third"
    responses_of(sim).set_script([Say("own")])  # the backend's own script wins over the simulator's
    sim.set_script([Say("ignored")])
    assert client.responses.create(model="gpt-4o", input="x").output_text == "own"


# -- 6. flags are booleans --


@pytest.mark.parametrize("param", ["background", "store", "stream"])
@pytest.mark.parametrize("value", ["false", 0, 1, []])
def test_a_flag_that_is_not_a_boolean_is_a_400_naming_it(param: str, value: Any) -> None:
    sim, client = _client(Say("hi"))
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="gpt-4o", input="x", extra_body={param: value})
    assert _param(err) == param and "boolean" in str(err.value)
    assert responses_of(sim).timelines() == {}


# -- 7. the status changes, as the lifecycle says --


def test_a_lost_cancel_race_reaches_the_status_hook_and_the_body() -> None:
    backend = ResponsesBackend(script=[Say("hi", duration=10)], lose_cancel_race=True)
    seen: list[tuple[str, str]] = []
    backend.on_status = lambda rid, status: seen.append((rid, status))
    r = backend.create(model="gpt-4o", input="x", background=True)
    rid = r["id"]  # type: ignore[index]
    assert backend.cancel(rid)["status"] == "cancelled"
    assert [s for _, s in seen] == ["queued", "cancelled", "completed"]
    body = backend.retrieve(rid)
    assert body["status"] == "completed" and body["completed_at"] is not None
    assert [s for _, s in backend.timelines()[rid]] == ["queued", "cancelled", "completed"]
    assert backend.active_runs == 0
    backend.clock.advance(100)
    assert backend.retrieve(rid)["status"] == "completed" and backend.active_runs == 0


def test_every_status_event_names_the_status_it_carries() -> None:
    backend = ResponsesBackend(script=[QueueDelay(2), Say("a b", duration=1)])
    events = list(backend.create(model="gpt-4o", input="x", background=True, stream=True))  # type: ignore[arg-type]
    with_object = [e for e in events if "response" in e]
    assert [e["type"] for e in with_object] == ["response.created", "response.queued", "response.in_progress",
                                                "response.completed"]
    assert all(e["response"]["status"] == e["type"].removeprefix("response.") for e in with_object[1:])


# -- 9. retention: what reads answer 404 is dropped --


def test_responses_past_retention_are_dropped_when_a_request_arrives() -> None:
    backend = ResponsesBackend(script=lambda ctx: Say("hi"))
    old = [backend.create(model="gpt-4o", input="x", background=True)["id"] for _ in range(5)]  # type: ignore[index]
    kept = backend.create(model="gpt-4o", input="x")["id"]  # type: ignore[index]  # foreground, stored: kept
    backend.clock.advance(rspec.RETENTION_SECONDS + 1)
    young = backend.create(model="gpt-4o", input="x", background=True)["id"]  # type: ignore[index]
    assert set(backend.timelines()) == {kept, young}
    for rid in old:
        with pytest.raises(Exception, match="not found"):
            backend.retrieve(rid)
    assert backend.retrieve(kept)["status"] == "completed"


def test_a_response_dropped_while_it_still_runs_ends_on_the_clock() -> None:
    backend = ResponsesBackend(script=[Say("slow", duration=rspec.RETENTION_SECONDS * 2)])
    rid = backend.create(model="gpt-4o", input="x", background=True)["id"]  # type: ignore[index]
    backend.clock.advance(rspec.RETENTION_SECONDS + 1)
    backend.create(model="gpt-4o", input="x", background=True)
    assert rid not in backend.timelines()
    backend.clock.advance(rspec.RETENTION_SECONDS * 2)
    assert backend.active_runs == 0


# -- 10. the router holds the simulator's lock --


def test_the_responses_handlers_and_streams_hold_the_simulators_lock() -> None:
    sim, client = _client(Say("one two", duration=2))
    backend = responses_of(sim)
    owned: list[bool] = []
    backend.on_status = lambda rid, status: owned.append(sim.clock.lock._is_owned())  # type: ignore[attr-defined]
    for name in ("create", "retrieve", "resume", "cancel"):
        method = getattr(backend, name)

        def wrapped(*args: Any, _method: Any = method, **kwargs: Any) -> Any:
            owned.append(sim.clock.lock._is_owned())  # type: ignore[attr-defined]
            return _method(*args, **kwargs)

        setattr(backend, name, wrapped)
    with client.responses.stream(model="gpt-4o", input="x", background=True) as s:
        rid = next(iter(s)).response.id
        list(s)
    client.responses.retrieve(rid)
    list(client.responses.retrieve(rid, stream=True, starting_after=1))
    client.responses.cancel(rid)
    assert owned == [True] * 7  # the four calls, and queued, in_progress, completed


def test_threads_sharing_one_client_poll_their_own_responses() -> None:
    sim = Simulator(clock=Clock(), script=lambda ctx: Say("hi", duration=1))
    client = rfo.client(sim)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                r = client.responses.create(model="gpt-4o", input="x", background=True)
                while r.status in ("queued", "in_progress"):
                    r = client.responses.retrieve(r.id)
                assert r.status == "completed"
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert responses_of(sim).active_runs == 0
