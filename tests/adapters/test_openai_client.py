"""The openai adapter's plumbing: factories, routing, refusals, files, headers, time.

Every test drives the real ``openai`` SDK; answers come from the simulator in
process (the ``no_network`` fixture makes any socket connection fail).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm.errors import IllegalTransition
from runfsm.openai import (
    BASE_URL,
    POLL_AFTER_MS,
    AdapterError,
    SimRouter,
    SimTransport,
    async_client,
    client,
    http_library,
    router_of,
)
from runfsm.sim import APIError, CallFunctions, Clock, FunctionCall, Say, ScriptError, Simulator

pytestmark = [
    # The SDK marks assistants.* with the bare message "deprecated" (threads.* with a longer one).
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
FN_TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the openai adapter tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def make(script: Any = None, *, poll_interval: float = 1.0) -> tuple[Simulator, openai.OpenAI]:
    sim = Simulator(clock=Clock(start=START), seed=7, script=script or [Say("Hello!", duration=2)])
    return sim, client(sim, poll_interval=poll_interval)


def started(oai: openai.OpenAI, *, tools: list[dict[str, Any]] | None = None) -> tuple[str, str]:
    """An assistant and a thread with one user message: (assistant id, thread id)."""
    asst = oai.beta.assistants.create(model="gpt-4o", tools=tools or [])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    return asst.id, thread.id


# --- factories --------------------------------------------------------------------------------


def test_factories_build_real_sdk_clients_bound_to_the_simulator() -> None:
    sim = Simulator()
    sync, asyn = client(sim), async_client(sim)
    assert type(sync) is openai.OpenAI
    assert type(asyn) is openai.AsyncOpenAI
    for oai in (sync, asyn):
        assert str(oai.base_url).rstrip("/") == BASE_URL
        assert oai.base_url.host.endswith(".invalid")  # can never resolve
        assert oai.max_retries == 0
        assert router_of(oai).sim is sim


def test_factory_passes_sdk_arguments_and_refuses_its_own_http_client() -> None:
    sim = Simulator()
    oai = client(sim, api_key="sk-mine", max_retries=3, base_url="http://elsewhere.invalid/api/v9")
    assert oai.api_key == "sk-mine" and oai.max_retries == 3
    assert router_of(oai).prefix == "/api/v9"
    assert oai.beta.assistants.create(model="m").object == "assistant"  # routed under the other prefix
    with pytest.raises(AdapterError, match="http_client"):
        client(sim, http_client=object())
    with pytest.raises(AdapterError, match="poll_interval"):
        client(sim, poll_interval=-1)
    with pytest.raises(AdapterError, match="not built by"):
        router_of(openai.OpenAI(api_key="x", base_url=BASE_URL))


def test_http_library_is_the_one_the_sdk_is_built_on() -> None:
    library = http_library()
    assert isinstance(openai.DefaultHttpxClient(), library.Client)
    assert library.__name__ == ("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")


# --- endpoints ----------------------------------------------------------------------------------


def test_every_endpoint_answers_what_the_simulator_returns() -> None:
    sim, oai = make([CallFunctions([FunctionCall("lookup", {"q": 1})], duration=1), Say("Found it.", duration=2)])
    asst = oai.beta.assistants.create(model="gpt-4o", name="helper", tools=[FN_TOOL], metadata={"k": "v"})
    assert asst.model_dump(mode="json", exclude_unset=True) == sim.retrieve_assistant(asst.id)
    assert oai.beta.assistants.retrieve(asst.id).model_dump(mode="json", exclude_unset=True) == sim.retrieve_assistant(asst.id)

    thread = oai.beta.threads.create(metadata={"user": "u1"})
    assert oai.beta.threads.retrieve(thread.id).model_dump(mode="json", exclude_unset=True) == sim.retrieve_thread(thread.id)
    msg = oai.beta.threads.messages.create(thread_id=thread.id, role="user", content="What is it?")
    assert msg.model_dump(mode="json", exclude_unset=True) == sim.trace[-1]
    assert oai.beta.threads.messages.retrieve(message_id=msg.id, thread_id=thread.id).id == msg.id

    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id, metadata={"try": "1"})
    assert run.status == spec.RUN_INITIAL
    raw = oai.beta.threads.runs.with_raw_response.retrieve(run_id=run.id, thread_id=thread.id)
    assert json.loads(raw.text) == sim.trace[-1]  # the body is exactly what the simulator answered (and traced)
    modified = oai.beta.threads.runs.update(run_id=run.id, thread_id=thread.id, metadata={"try": "2"})
    assert modified.metadata == {"try": "2"}
    runs = oai.beta.threads.runs.list(thread_id=thread.id)
    assert [r.id for r in runs.data] == [run.id]

    paused = oai.beta.threads.runs.poll(run.id, thread_id=thread.id)
    assert paused.status == "requires_action"
    calls = paused.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
    done = oai.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": calls[0].id, "output": "42"}]
    )
    assert done.status == "completed"

    steps = oai.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id, order="asc")
    assert [s.type for s in steps.data] == list(spec.STEP_TYPES[::-1])  # tool_calls, then message_creation
    one = oai.beta.threads.runs.steps.retrieve(step_id=steps.data[0].id, run_id=run.id, thread_id=thread.id)
    assert one.step_details.tool_calls[0].function.output == "42"  # type: ignore[union-attr]
    page = oai.beta.threads.messages.list(thread_id=thread.id, order="desc", limit=1)
    assert page.data[0].content[0].text.value == "Found it."  # type: ignore[union-attr]
    assert page.has_more
    everything = [m.id for m in oai.beta.threads.messages.list(thread_id=thread.id, limit=1)]  # auto-paginates
    assert everything == [m["id"] for m in sim.list_messages(thread.id)["data"]]
    deleted = oai.beta.threads.delete(thread.id)
    assert deleted.deleted and deleted.id == thread.id
    with pytest.raises(openai.NotFoundError):
        oai.beta.threads.retrieve(thread.id)


def test_create_thread_and_run_and_cancel() -> None:
    _sim, oai = make([Say("A long answer " * 20, duration=30)])
    asst = oai.beta.assistants.create(model="gpt-4o")
    run = oai.beta.threads.create_and_run(assistant_id=asst.id, thread={"messages": [{"role": "user", "content": "Hi"}]})
    assert run.status == spec.RUN_INITIAL
    assert oai.beta.threads.runs.retrieve(run_id=run.id, thread_id=run.thread_id).status == "in_progress"
    cancelling = oai.beta.threads.runs.cancel(run_id=run.id, thread_id=run.thread_id)
    assert cancelling.status == "cancelling"
    final = oai.beta.threads.runs.poll(run.id, thread_id=run.thread_id)
    assert final.status == "cancelled"


def test_files_are_uploaded_byte_for_byte() -> None:
    sim, oai = make()
    seen: list[dict[str, Any]] = []
    original = sim.upload_file

    def spy(**kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs)
        return original(**kwargs)

    sim.upload_file = spy  # type: ignore[method-assign]
    content = bytes(range(256)) + b"\r\n--boundary\r\n\r\n"
    f = oai.files.create(file=("报告 v2.pdf", content), purpose="assistants")
    assert seen == [{"filename": "报告 v2.pdf", "content": content, "purpose": "assistants"}]
    assert f.bytes == len(content) and f.filename == "报告 v2.pdf" and f.purpose == "assistants"
    assert router_of(oai).uploads == [f.model_dump(mode="json", exclude_unset=True)]
    assert oai.files.retrieve(f.id).id == f.id


@given(
    content=st.binary(max_size=300),
    name=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\%'), min_size=1, max_size=20),
)
def test_multipart_upload_keeps_any_content(content: bytes, name: str) -> None:
    sim = Simulator()
    seen: list[dict[str, Any]] = []
    original = sim.upload_file

    def spy(**kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs)
        return original(**kwargs)

    sim.upload_file = spy  # type: ignore[method-assign]
    client(sim).files.create(file=(name, content), purpose="assistants")
    assert seen[0]["content"] == content
    if not any(ord(c) < 0x20 for c in name):  # control characters are percent-encoded by the HTTP library
        assert seen[0]["filename"] == name


# --- refusals -----------------------------------------------------------------------------------


def _two_call_run(oai: openai.OpenAI) -> tuple[str, str, list[str]]:
    asst_id, thread_id = started(oai, tools=[FN_TOOL])
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    assert run.status == "requires_action"
    ids = [c.id for c in run.required_action.submit_tool_outputs.tool_calls]  # type: ignore[union-attr]
    return thread_id, run.id, ids


TWO_CALLS = [CallFunctions([FunctionCall("lookup", {"q": 1}), FunctionCall("lookup", {"q": 2})]), Say("ok")]


def test_thread_lock_refuses_messages_and_runs_with_the_api_text() -> None:
    _sim, oai = make(TWO_CALLS)
    thread_id, run_id, _ = _two_call_run(oai)
    with pytest.raises(openai.BadRequestError) as info:
        oai.beta.threads.messages.create(thread_id=thread_id, role="user", content="more")
    assert info.value.status_code == 400
    assert info.value.message.endswith(spec.REFUSALS["thread_locked_message"].format(thread_id=thread_id, run_id=run_id))
    assert info.value.body == {
        "message": spec.REFUSALS["thread_locked_message"].format(thread_id=thread_id, run_id=run_id),
        "type": "invalid_request_error", "param": None, "code": None,
    }
    asst = oai.beta.assistants.create(model="gpt-4o")
    with pytest.raises(openai.BadRequestError) as info:
        oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst.id)
    assert info.value.body["message"] == spec.REFUSALS["thread_locked_run"].format(  # type: ignore[index]
        thread_id=thread_id, run_id=run_id
    )


def test_submit_refusals_name_the_missing_calls_and_the_wrong_status() -> None:
    _sim, oai = make(TWO_CALLS)
    thread_id, run_id, ids = _two_call_run(oai)
    with pytest.raises(openai.BadRequestError) as info:
        oai.beta.threads.runs.submit_tool_outputs(
            run_id=run_id, thread_id=thread_id, tool_outputs=[{"tool_call_id": ids[0], "output": "x"}]
        )
    assert info.value.body["message"] == spec.REFUSALS["submit_missing_calls"].format(  # type: ignore[index]
        expected=ids, got=ids[:1]
    )
    outputs = [{"tool_call_id": i, "output": "x"} for i in ids]
    queued = oai.beta.threads.runs.submit_tool_outputs(run_id=run_id, thread_id=thread_id, tool_outputs=outputs)
    with pytest.raises(openai.BadRequestError) as info:
        oai.beta.threads.runs.submit_tool_outputs(run_id=run_id, thread_id=thread_id, tool_outputs=outputs)
    assert info.value.body["message"] == spec.REFUSALS["submit_wrong_status"].format(  # type: ignore[index]
        status=queued.status
    )


def test_cancel_of_a_finished_run_is_refused_and_unknown_ids_are_404() -> None:
    _sim, oai = make()
    asst_id, thread_id = started(oai)
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    assert run.status == "completed"
    with pytest.raises(openai.BadRequestError) as info:
        oai.beta.threads.runs.cancel(run_id=run.id, thread_id=thread_id)
    assert info.value.body["message"] == spec.REFUSALS["cancel_terminal"].format(status="completed")  # type: ignore[index]
    with pytest.raises(openai.NotFoundError) as missing:
        oai.beta.threads.runs.retrieve(run_id="run_nope", thread_id=thread_id)
    assert missing.value.status_code == 404 and "run_nope" in missing.value.message
    with pytest.raises(openai.NotFoundError):
        oai.beta.assistants.retrieve("asst_nope")


def test_an_endpoint_the_simulator_does_not_serve_is_a_404_naming_it() -> None:
    _sim, oai = make()
    with pytest.raises(openai.NotFoundError, match=r"Invalid URL \(GET /v1/batches\)"):
        oai.batches.list()


def test_bad_requests_get_the_apis_400_answers() -> None:
    sim = Simulator()
    http = http_library().Client(transport=SimTransport(sim), base_url=BASE_URL)

    def error(response: Any) -> dict[str, Any]:
        assert response.status_code == 400, response.text
        body: dict[str, Any] = response.json()["error"]
        assert body["type"] == "invalid_request_error"
        return body

    assert "not valid JSON" in error(http.post("/assistants", content=b"{nope"))["message"]
    assert "not valid JSON" in error(http.post("/assistants", content=b"[1, 2]"))["message"]
    assert "not valid JSON" in error(http.post("/assistants", content=b"\xff\xfe"))["message"]
    missing = error(http.post("/assistants", json={"name": "no model"}))
    assert missing == {"message": "Missing required parameter: 'model'.", "type": "invalid_request_error",
                       "param": "model", "code": None}
    thread = http.post("/threads", json={}).json()
    assert error(http.get(f"/threads/{thread['id']}/messages", params={"limit": "ten"}))["param"] == "limit"
    assert error(http.get(f"/threads/{thread['id']}/messages", params={"limit": "0"}))["param"] == "limit"
    assert error(http.post(f"/threads/{thread['id']}/runs", json={}))["param"] == "assistant_id"
    assert "multipart" in error(http.post("/files", json={"purpose": "assistants"}))["message"]
    assert error(http.post("/files", files={"file": ("a.txt", b"x")}))["param"] == "purpose"
    assert error(http.post("/files", data={"purpose": "assistants"}, files={"other": ("a", b"x")}))["param"] == "file"
    # a body field named like a path parameter does not override the path
    msg = http.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": "x", "thread_id": "thread_evil"})
    assert msg.status_code == 200 and msg.json()["thread_id"] == thread["id"]


def test_simulator_setup_errors_surface_as_runfsm_errors_not_http_answers() -> None:
    sim = Simulator()  # no script at all
    oai = client(sim)
    asst_id, thread_id = started(oai)
    with pytest.raises(ScriptError, match="no script"):
        oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id)
    sim.set_script([Say("hi")])
    run = oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id)
    with pytest.raises(IllegalTransition):  # cancelling a queued run is an inferred edge: strict by default
        oai.beta.threads.runs.cancel(run_id=run.id, thread_id=thread_id)


class _FailingStreamSim:
    """Just enough of a simulator for a stream that fails after its first event."""

    stuck = None  # the router asks whether the client was already told it is stuck

    def create_run(self, thread_id: str, *, assistant_id: str, stream: bool = False, **params: Any) -> Any:
        def events() -> Any:
            yield "thread.run.created", {"id": "run_1", "object": "thread.run", "status": "queued"}
            raise APIError(400, "Something broke mid-stream.")

        return events()


def test_an_api_error_in_the_middle_of_a_stream_becomes_an_error_event() -> None:
    router = SimRouter(_FailingStreamSim())  # type: ignore[arg-type]
    answer = router.handle("POST", "/v1/threads/thread_1/runs", {}, "application/json",
                           json.dumps({"assistant_id": "asst_1", "stream": True}).encode())
    assert answer.events is not None
    transport = SimTransport(Simulator())
    transport.router = router
    oai = openai.OpenAI(api_key="x", base_url=BASE_URL, http_client=http_library().Client(transport=transport))
    stream = oai.beta.threads.runs.create(thread_id="thread_1", assistant_id="asst_1", stream=True)
    names = []
    with pytest.raises(openai.APIError, match="Something broke mid-stream"):
        for event in stream:
            names.append(event.event)
    assert names == ["thread.run.created"]


# --- headers and time ----------------------------------------------------------------------------


def test_answers_carry_poll_after_zero_and_request_ids() -> None:
    _sim, oai = make()
    asst_id, thread_id = started(oai)
    run = oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id)
    first = oai.beta.threads.runs.with_raw_response.retrieve(run_id=run.id, thread_id=thread_id)
    second = oai.beta.threads.runs.with_raw_response.retrieve(run_id=run.id, thread_id=thread_id)
    assert first.headers["openai-poll-after-ms"] == second.headers["openai-poll-after-ms"] == str(POLL_AFTER_MS)
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.headers["content-type"] == "application/json"


@given(
    poll_interval=st.one_of(st.integers(0, 120), st.sampled_from([0.25, 0.5, 2.5])),
    retrieves=st.integers(0, 6),
)
def test_the_clock_moves_by_poll_interval_per_run_retrieve_and_only_then(poll_interval: float, retrieves: int) -> None:
    sim, oai = make([Say("x" * 50, duration=1000)], poll_interval=poll_interval)
    asst_id, thread_id = started(oai)
    run = oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id)
    oai.beta.threads.messages.list(thread_id=thread_id)
    oai.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread_id)
    oai.beta.threads.runs.list(thread_id=thread_id)
    assert sim.clock.now == START  # nothing but a run retrieve moves time
    for _ in range(retrieves):
        oai.beta.threads.runs.retrieve(run_id=run.id, thread_id=thread_id)
    assert sim.clock.now == START + retrieves * poll_interval


def test_the_documented_example_runs() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "openai.md").read_text(encoding="utf-8")
    code = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/openai.md", "exec"), namespace)
    assert namespace["run"].status == "completed"
