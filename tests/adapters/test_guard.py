"""The live-client guard: a real ``openai.OpenAI`` client on an ``httpx2.MockTransport`` replaying the
official examples.  The guard must see every run, step, message and event, apply its policy, and never
change what the client returns."""

from __future__ import annotations

import asyncio
import gzip
import json
import warnings
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

import runfsm
from runfsm import GuardError, GuardWarning, guard, tracker_of
from runfsm._guard import AsyncGuardTransport, GuardTransport
from runfsm.validate import Finding

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "spec_examples"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def repaired(name: str, **replace: str) -> bytes:
    """An SSE example with its known typos fixed (the SDK itself cannot read them)."""
    out = []
    for line in example(name).splitlines():
        if line.strip() == "...":
            continue
        if line.startswith("{"):
            line = "data: " + line
        if line.startswith("data: {"):
            try:
                json.loads(line[6:])
            except ValueError:
                line = line[:-1]
        out.append(line)
    text = "\n".join(out) + "\n"
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


class Chunks(httpx2.SyncByteStream):
    """A body that arrives in small pieces, like a network response."""

    def __init__(self, data: bytes, size: int = 61) -> None:
        self.data, self.size = data, size

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.data), self.size):
            yield self.data[i:i + self.size]


Handler = Callable[[httpx2.Request], httpx2.Response]


def sse(data: bytes) -> httpx2.Response:
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(data))


def client_for(handler: Handler) -> openai.OpenAI:
    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(api_key="test", base_url="http://api.test/v1", http_client=http, max_retries=0)


def replay(routes: dict[tuple[str, str], list[Callable[[], httpx2.Response]]]) -> Handler:
    """Answer each (method, path suffix) with the next queued response."""
    def handler(request: httpx2.Request) -> httpx2.Response:
        for (method, suffix), queue in routes.items():
            if request.method == method and request.url.path.endswith(suffix) and queue:
                return queue.pop(0)()
        return httpx2.Response(404, json={"error": {"message": "no route", "type": "invalid_request_error"}})
    return handler


def json_example(name: str) -> Callable[[], httpx2.Response]:
    return lambda: httpx2.Response(200, json=json.loads(example(name)))


# The function-calling session of the examples, made consistent: one run, one call id, one created_at.
FIRST = "createThreadAndRun__streaming_with_functions.sse.txt"
SECOND = "submitToolOuputsToRun__streaming.sse.txt"
CONSISTENT = {"1710351818": "1710352447", "1710352418": "1710353047", "1710351819": "1710352449",
              "call_XXNp8YGaFrjrSjgqxtC8JJ1B": "call_iWr0kQ2EaYMaxNdl0v3KYkx7"}


def session_routes(first: bytes | None = None) -> dict[tuple[str, str], list[Callable[[], httpx2.Response]]]:
    return {
        ("POST", "/threads/runs"): [lambda: sse(first if first is not None else repaired(FIRST, **CONSISTENT))],
        ("POST", "/submit_tool_outputs"): [lambda: sse(repaired(SECOND))],
        ("GET", "/runs/run_abc123"): [json_example("getRun__default.json")],
        ("GET", "/steps"): [json_example("listRunSteps__default.json")],
    }


def run_session(oai: openai.OpenAI) -> list[Any]:
    """Drive the client through a streamed function call round trip, returning what it gave back."""
    got: list[Any] = []
    with oai.beta.threads.create_and_run_stream(assistant_id="asst_123") as s:
        got += [e.model_dump() for e in s]
    with oai.beta.threads.runs.submit_tool_outputs_stream(
            run_id="run_123", thread_id="thread_123",
            tool_outputs=[{"tool_call_id": "call_XXNp8YGaFrjrSjgqxtC8JJ1B", "output": "70F"}]) as s:
        got += [e.model_dump() for e in s]
    got.append(oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123").model_dump())
    got.append([x.model_dump() for x in oai.beta.threads.runs.steps.list("run_abc123", thread_id="thread_abc123")])
    return got


def test_the_client_returns_exactly_what_it_returns_unguarded() -> None:
    plain = run_session(client_for(replay(session_routes())))
    guarded_client = guard(client_for(replay(session_routes())), policy="collect")
    assert run_session(guarded_client) == plain
    tracker = tracker_of(guarded_client)
    assert tracker.history("run_123") == ["queued", "in_progress", "requires_action", "queued", "in_progress",
                                          "completed"]
    assert [f for f in tracker.findings if f.severity == "error"] == []
    # the one disputed thing in the session: usage already set at requires_action (an official example)
    assert {f.code for f in tracker.findings} == {"run.field.usage_early", "run.missing_keys"}


def test_findings_name_the_request_and_the_line_of_the_stream() -> None:
    oai = guard(client_for(replay(session_routes(first=repaired(FIRST)))), policy="collect")
    run_session(oai)
    found = {(f.code, f.source) for f in tracker_of(oai).findings if f.severity == "error"}
    # the unrepaired examples disagree: another created_at, and a tool step with another call id
    assert found == {("run.immutable.created_at", "POST /v1/threads/thread_123/runs/run_123/submit_tool_outputs"),
                     ("run_step.outputs_incomplete", "POST /v1/threads/thread_123/runs/run_123/submit_tool_outputs")}
    lines = {f.code: f.line for f in tracker_of(oai).findings}
    assert lines["run_step.outputs_incomplete"] == 2


def drop_events(data: bytes, prefix: str) -> bytes:
    blocks = data.decode().split("\n\n")
    return "\n\n".join(b for b in blocks if not b.strip().startswith(f"event: {prefix}")).encode()


def test_raise_policy_stops_a_stream_before_the_bad_event_reaches_the_caller() -> None:
    # without in_progress (and the step made in it), 'queued' -> 'requires_action' skips a status
    skipping = drop_events(drop_events(repaired(FIRST), "thread.run.in_progress"), "thread.run.step")
    oai = guard(client_for(replay({("POST", "/threads/runs"): [lambda: sse(skipping)]})))
    seen: list[str] = []
    with pytest.raises(GuardError) as err, oai.beta.threads.create_and_run_stream(assistant_id="asst_123") as s:
        for e in s:
            seen.append(e.event)
    assert {f.code for f in err.value.findings} >= {"run.illegal_transition"}
    assert "thread.run.requires_action" not in seen and "thread.run.created" in seen
    assert "run.illegal_transition" in str(err.value)


def test_raise_policy_on_a_polled_run() -> None:
    completed = json.loads(example("getRun__default.json"))
    routes = {("GET", "/runs/run_abc123"): [lambda: httpx2.Response(200, json=completed),
                                            lambda: httpx2.Response(200, json={**completed, "status": "in_progress",
                                                                               "completed_at": None})]}
    oai = guard(client_for(replay(routes)))
    assert oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123").status == "completed"
    with pytest.raises(GuardError) as err:
        oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123")
    assert [f.code for f in err.value.findings] == ["run.terminal_left"]


def test_warn_and_callable_policies() -> None:
    routes = lambda: {("POST", "/runs"): [json_example("createRun__default.json")]}  # noqa: E731
    oai = guard(client_for(replay(routes())), policy="warn")
    with pytest.warns(GuardWarning) as caught:
        run = oai.beta.threads.runs.create("thread_abc123", assistant_id="asst_abc123")
    assert run.status == "queued"
    assert any("completed_at_early" in str(w.message) for w in caught)
    got: list[list[Finding]] = []
    oai = guard(client_for(replay(routes())), policy=got.append)
    oai.beta.threads.runs.create("thread_abc123", assistant_id="asst_abc123")
    assert got and {f.code for f in got[0]} >= {"run.field.completed_at_early"}
    with pytest.raises(ValueError, match="unknown guard policy"):
        guard(client_for(replay(routes())), policy="shout")


def test_other_endpoints_and_errors_pass_unchecked_but_refusals_are_recorded() -> None:
    def refusal(message: str) -> Callable[[], httpx2.Response]:
        return lambda: httpx2.Response(400, json={"error": {
            "message": message, "type": "invalid_request_error", "param": None, "code": None}})

    routes = {
        ("GET", "/models"): [lambda: httpx2.Response(200, json={"object": "list", "data": [
            {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "x"}]})],
        ("POST", "/runs"): [refusal("Thread thread_1 already has an active run run_1."),
                            refusal("Invalid value for 'temperature'.")],
        ("POST", "/submit_tool_outputs"): [refusal('Runs in status "queued" do not accept tool outputs.')],
        ("GET", "/runs/run_9"): [lambda: httpx2.Response(500, json={"error": {"message": "oops"}})],
    }
    oai = guard(client_for(replay(routes)), policy="raise")
    assert [m.id for m in oai.models.list()] == ["gpt-4o"]
    tracker = tracker_of(oai)
    assert tracker.mark() == -1  # nothing was fed
    with pytest.raises(openai.BadRequestError):  # the SDK's own error, not the guard's
        oai.beta.threads.runs.create("thread_1", assistant_id="asst_1")
    with pytest.raises(openai.BadRequestError):
        oai.beta.threads.runs.create("thread_1", assistant_id="asst_1")
    with pytest.raises(openai.BadRequestError):
        oai.beta.threads.runs.submit_tool_outputs("run_7", thread_id="thread_1", tool_outputs=[])
    with pytest.raises(openai.InternalServerError):
        oai.beta.threads.runs.retrieve("run_9", thread_id="thread_1")
    assert [(f.code, f.object_id, f.severity) for f in tracker.findings] == [
        ("client.thread_locked_run", "run_1", "error"), ("client.submit_wrong_status", "run_7", "error")]
    assert tracker.findings[0].source == "POST /v1/threads/thread_1/runs"


@pytest.mark.parametrize("key", sorted(runfsm.spec.REFUSALS))
def test_every_refusal_of_the_spec_is_recognised(key: str) -> None:
    from runfsm.validate._refusals import match_refusal, refusal_finding

    values = {"thread_id": "thread_1", "run_id": "run_1", "status": "queued", "expected": "['call_a', 'call_b']",
              "got": "['call_a']"}
    message = runfsm.spec.REFUSALS[key].format(**values)
    assert match_refusal(message) is not None and match_refusal(message)[0] == key  # type: ignore[index]
    f = refusal_finding({"error": {"message": message}}, "/v1/threads/thread_1/runs/run_1/x")
    assert f is not None and f.code == f"client.{key}" and f.object_id == "run_1"
    assert match_refusal("Cannot cancel run with status 'completed' (it ended)") is not None  # by its start
    assert match_refusal("Invalid value for 'temperature'.") is None


def test_compressed_bodies_are_decoded_for_the_check() -> None:
    body = gzip.compress(example("createRun__default.json").encode())
    routes = {("POST", "/runs"): [lambda: httpx2.Response(
        200, headers={"content-type": "application/json", "content-encoding": "gzip"}, stream=Chunks(body, 17))]}
    oai = guard(client_for(replay(routes)), policy="collect")
    assert oai.beta.threads.runs.create("thread_abc123", assistant_id="asst_abc123").id == "run_abc123"
    assert "run.field.completed_at_early" in {f.code for f in tracker_of(oai).findings}


def _deflate(data: bytes, wbits: int) -> bytes:
    z = zlib.compressobj(wbits=wbits)
    return z.compress(data) + z.flush()


@pytest.mark.parametrize(("encoding", "encode"), [
    ("deflate", lambda b: _deflate(b, zlib.MAX_WBITS)),  # with the zlib header
    ("deflate", lambda b: _deflate(b, -zlib.MAX_WBITS)),  # raw, as some servers send it
    ("gzip, deflate", lambda b: _deflate(gzip.compress(b), zlib.MAX_WBITS)),  # two layers, gzip applied first
])
def test_every_gzip_and_deflate_layering_is_decoded_for_the_check(encoding: str, encode: Any) -> None:
    body = encode(example("createRun__default.json").encode())
    routes = {("POST", "/runs"): [lambda: httpx2.Response(
        200, headers={"content-type": "application/json", "content-encoding": encoding}, stream=Chunks(body, 5))]}
    oai = guard(client_for(replay(routes)), policy="collect")
    assert oai.beta.threads.runs.create("thread_abc123", assistant_id="asst_abc123").id == "run_abc123"
    assert "run.field.completed_at_early" in {f.code for f in tracker_of(oai).findings}


def test_a_body_in_an_encoding_the_guard_cannot_undo_passes_unchecked() -> None:
    """br is decoded by the SDK's HTTP library when it can; the guard leaves such a body alone."""
    body = example("createRun__default.json").encode()
    routes = {("POST", "/runs"): [lambda: httpx2.Response(
        200, headers={"content-type": "application/json", "content-encoding": "identity"}, stream=Chunks(body, 9))]}
    oai = guard(client_for(replay(routes)), policy="collect")
    oai.beta.threads.runs.create("thread_abc123", assistant_id="asst_abc123")
    assert "run.field.completed_at_early" in {f.code for f in tracker_of(oai).findings}  # identity is read
    from runfsm._guard import _UNREADABLE, _content_decoder
    for header in ("br", "zstd", "gzip, br", "compress"):
        assert _content_decoder(httpx2.Response(200, headers={"content-encoding": header})) is _UNREADABLE


def test_answers_that_cross_on_the_wire_are_not_a_move_backwards() -> None:
    """Request A is sent, request B is sent and answered, then A's older answer arrives."""
    run = json.loads(example("getRun__default.json"))
    in_progress = {**run, "status": "in_progress", "completed_at": None, "expires_at": run["created_at"] + 600,
                   "required_action": None, "usage": None}
    oai: openai.OpenAI

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.headers.get("x-nested") != "1":
            oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123", extra_headers={"x-nested": "1"})
            return httpx2.Response(200, json=in_progress)  # generated before B's answer
        return httpx2.Response(200, json={**run, "required_action": None})

    oai = guard(client_for(handler), policy="raise")
    assert oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123").status == "in_progress"
    tracker = tracker_of(oai)
    assert tracker.history("run_abc123") == ["completed"] and tracker.findings == []


def test_guarding_twice_replaces_and_wrong_clients_are_refused() -> None:
    oai = client_for(replay({}))
    first = guard(oai, policy="collect")
    assert first is oai
    guard(oai, policy="raise")
    assert isinstance(oai._client._transport, GuardTransport)
    assert isinstance(oai._client._transport.inner, httpx2.MockTransport)
    assert tracker_of(oai) is tracker_of(oai._client)
    with pytest.raises(TypeError, match=r"openai\.OpenAI"):
        guard(object())
    async_oai = guard(openai.AsyncOpenAI(api_key="x"), policy="collect")
    assert isinstance(async_oai._client._transport, AsyncGuardTransport)
    assert tracker_of(async_oai) is tracker_of(async_oai._client)
    with pytest.raises(LookupError):
        tracker_of(client_for(replay({})))


def test_runfsm_guard_is_the_function_however_it_was_imported() -> None:
    import runfsm._guard_core as module

    oai = client_for(replay({}))
    assert runfsm.guard is module.guard and runfsm.tracker_of is module.tracker_of
    assert runfsm.guard(oai, policy="collect") is oai
    assert runfsm.tracker_of(oai) is module.tracker_of(oai)


def test_guard_against_the_in_process_simulator() -> None:
    import runfsm.openai as adapter
    import runfsm.sim as sim_mod
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    sim = sim_mod.Simulator(clock=sim_mod.Clock(start=1_700_000_000),
                            script=[sim_mod.CallFunctions([sim_mod.FunctionCall("f")]), sim_mod.Say("ok", duration=2)])
    oai = guard(adapter.client(sim), policy="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asst = oai.beta.assistants.create(model="gpt-4o", tools=tools)
        thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
        with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id) as s:
            for _ in s:
                pass
            run = s.current_run
        assert run is not None
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        with oai.beta.threads.runs.submit_tool_outputs_stream(
                thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "1"}]) as s:
            for _ in s:
                pass
        oai.beta.threads.runs.steps.list(run.id, thread_id=thread.id)
        oai.beta.threads.messages.list(thread.id)
    tracker = tracker_of(oai)
    assert [f for f in tracker.findings if f.severity != "info"] == []
    assert tracker.history(run.id) == ["queued", "in_progress", "requires_action", "queued", "in_progress",
                                       "completed"]


def test_a_client_built_on_the_guard_transport_is_guarded_and_returns_what_it_returns_unguarded() -> None:
    plain = run_session(client_for(replay(session_routes())))
    transport = runfsm.guard_transport(httpx2.MockTransport(replay(session_routes())), policy="collect")
    oai = openai.OpenAI(api_key="test", base_url="http://api.test/v1", max_retries=0,
                        http_client=openai.DefaultHttpxClient(transport=transport))
    assert run_session(oai) == plain
    tracker = tracker_of(oai)
    assert tracker is tracker_of(transport) is transport.guard.tracker
    assert tracker.history("run_123")[0] == "queued" and tracker.history("run_abc123") == ["completed"]
    skipping = drop_events(drop_events(repaired(FIRST), "thread.run.in_progress"), "thread.run.step")
    raising = runfsm.guard_transport(httpx2.MockTransport(replay({("POST", "/threads/runs"): [lambda: sse(skipping)]})))
    oai = openai.OpenAI(api_key="test", base_url="http://api.test/v1", max_retries=0,
                        http_client=openai.DefaultHttpxClient(transport=raising))
    with pytest.raises(GuardError, match="requires_action"), \
            oai.beta.threads.create_and_run_stream(assistant_id="asst_123") as s:
        for _ in s:
            pass


def test_guarding_a_client_built_on_the_guard_transport_replaces_its_guard() -> None:
    first = runfsm.guard_transport(httpx2.MockTransport(replay({("GET", "/runs/run_abc123"): [
        json_example("getRun__default.json")]})), policy="collect")
    oai = openai.OpenAI(api_key="test", base_url="http://api.test/v1", http_client=httpx2.Client(transport=first))
    assert guard(oai, policy="collect") is oai
    oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123")
    assert tracker_of(oai).history("run_abc123") == ["completed"]
    assert first.guard.tracker.history("run_abc123") == []  # unwrapped, not nested: the old guard sees nothing


def test_an_async_client_built_on_the_async_guard_transport_is_guarded() -> None:
    run = json.loads(example("getRun__default.json"))

    async def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=run)

    transport = runfsm.async_guard_transport(httpx2.MockTransport(handler), policy="raise")
    oai = openai.AsyncOpenAI(api_key="test", base_url="http://api.test/v1", max_retries=0,
                             http_client=openai.DefaultAsyncHttpxClient(transport=transport))

    async def main() -> str:
        got = await oai.beta.threads.runs.retrieve("run_abc123", thread_id="thread_abc123")
        return got.status

    assert asyncio.run(main()) == "completed"
    assert tracker_of(oai).history("run_abc123") == ["completed"] and tracker_of(oai) is tracker_of(transport)
