"""The API's own refusals for bad parameters, through the openai SDK: 400, ``invalid_request_error``, the param named.

Ranges and shapes come from ``runfsm.sim._params`` (the API reference's): what they allow is
accepted, boundaries included; everything else is refused and changes nothing.  Exports stay JSON.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_support import FUNCTION_TOOL, START

from runfsm.sim import APIError, CallFunctions, Clock, FunctionCall, Say, Simulator
from runfsm.sim._params import MAX_DEPTH, NUMBER_RANGES, TOKEN_MINIMUM

openai = pytest.importorskip("openai")
from runfsm.openai import SimRouter, client  # noqa: E402


def _world() -> tuple[Simulator, Any, str, str, str]:
    sim = Simulator(clock=Clock(START), seed=2, script=[Say("hi")])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[FUNCTION_TOOL, {"type": "file_search"}])
    thread = oai.beta.threads.create()
    upload = oai.files.create(file=("a.txt", b"a"), purpose="assistants")
    return sim, oai, asst.id, thread.id, upload.id


BAD_RUN_PARAMS = [
    ({"temperature": 2.0001}, "temperature"), ({"temperature": -0.5}, "temperature"), ({"temperature": "hot"}, "temperature"),
    ({"top_p": 1.01}, "top_p"), ({"top_p": -1}, "top_p"),
    ({"max_completion_tokens": 0}, "max_completion_tokens"), ({"max_completion_tokens": -1}, "max_completion_tokens"),
    ({"max_prompt_tokens": TOKEN_MINIMUM - 1}, "max_prompt_tokens"), ({"max_prompt_tokens": 1.5}, "max_prompt_tokens"),
    ({"model": ""}, "model"), ({"model": 4}, "model"),
    ({"tool_choice": "always"}, "tool_choice"), ({"tool_choice": {"type": "browser"}}, "tool_choice.type"),
    ({"tool_choice": {"type": "function"}}, "tool_choice.function.name"), ({"tool_choice": 1}, "tool_choice"),
    ({"response_format": "json"}, "response_format"), ({"response_format": {"type": "yaml"}}, "response_format.type"),
    ({"response_format": {"type": "json_schema"}}, "response_format.json_schema.name"),
    ({"truncation_strategy": {"type": "last_messages"}}, "truncation_strategy.last_messages"),
    ({"truncation_strategy": {"type": "first"}}, "truncation_strategy.type"),
    ({"truncation_strategy": {"type": "auto", "last_messages": 0}}, "truncation_strategy.last_messages"),
    ({"truncation_strategy": "auto"}, "truncation_strategy"),
    ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
]

GOOD_RUN_PARAMS = [
    {"temperature": 0}, {"temperature": 2}, {"top_p": 0}, {"top_p": 1}, {"max_completion_tokens": TOKEN_MINIMUM},
    {"max_prompt_tokens": 10**6}, {"tool_choice": "none"}, {"tool_choice": "required"},
    {"tool_choice": {"type": "function", "function": {"name": "get_current_weather"}}},
    {"tool_choice": {"type": "file_search"}}, {"response_format": {"type": "json_object"}},
    {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}},
    {"truncation_strategy": {"type": "last_messages", "last_messages": 1}},
    {"truncation_strategy": {"type": "auto", "last_messages": None}}, {"parallel_tool_calls": False},
]


@pytest.mark.parametrize(("params", "param"), BAD_RUN_PARAMS, ids=lambda x: json.dumps(x) if isinstance(x, dict) else x)
def test_bad_run_parameters_are_the_apis_400(params: dict[str, Any], param: str) -> None:
    sim, oai, asst, thread, _ = _world()
    for create in (lambda: oai.beta.threads.runs.create(thread_id=thread, assistant_id=asst, **params),
                   lambda: oai.beta.threads.create_and_run(assistant_id=asst, **params)):
        with pytest.raises(openai.BadRequestError) as err:
            create()
        assert err.value.status_code == 400
        assert err.value.body["type"] == "invalid_request_error" and err.value.body["param"] == param
    assert oai.beta.threads.runs.list(thread_id=thread).data == []  # nothing was created
    assert sum(1 for _ in sim.iter_runs()) == 0


@pytest.mark.parametrize("params", GOOD_RUN_PARAMS, ids=json.dumps)
def test_what_the_api_allows_is_accepted_and_echoed(params: dict[str, Any]) -> None:
    _sim, oai, asst, thread, _ = _world()
    run = oai.beta.threads.runs.create(thread_id=thread, assistant_id=asst, **params)
    ((key, value),) = params.items()
    assert run.to_dict()[key] == value


@given(st.sampled_from(sorted(NUMBER_RANGES)), st.floats(allow_nan=True, allow_infinity=True) | st.integers())
def test_sampling_parameters_are_accepted_exactly_in_their_range(param: str, value: float) -> None:
    sim = Simulator(clock=Clock(START), script=[Say("hi")])
    asst = sim.create_assistant(model="gpt-4o")["id"]
    thread = sim.create_thread()["id"]
    low, high = NUMBER_RANGES[param]
    try:
        run = sim.create_run(thread, assistant_id=asst, **{param: value})
    except APIError as exc:
        assert not low <= value <= high
        assert exc.status == 400 and exc.param == param and len(exc.message) < 200
        with pytest.raises(APIError):
            sim.create_assistant(model="gpt-4o", **{param: value})
    else:
        assert low <= value <= high and run[param] == value


def test_nan_sent_by_a_client_that_is_not_the_sdk_is_refused() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("hi")])
    asst = sim.create_assistant(model="gpt-4o")["id"]
    thread = sim.create_thread()["id"]
    router = SimRouter(sim)
    for body in (b'{"assistant_id": "%s", "temperature": NaN}', b'{"assistant_id": "%s", "top_p": Infinity}'):
        answer = router.handle("POST", f"/v1/threads/{thread}/runs", {}, "application/json", body % asst.encode())
        assert answer.status == 400 and answer.body["error"]["param"] in ("temperature", "top_p")
    nested = b'{"assistant_id": "' + asst.encode() + b'", "metadata": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001
    answer = router.handle("POST", f"/v1/threads/{thread}/runs", {}, "application/json", nested)
    assert answer.status == 400 and answer.body["error"]["type"] == "invalid_request_error"
    assert list(sim.iter_runs()) == []


def test_attachment_tools_and_tool_outputs_are_checked() -> None:
    sim, oai, asst, thread, file_id = _world()
    for tools, param in (("abc", "attachments[0].tools"), ([{"type": "function"}], "attachments[0].tools[0].type"),
                         (["file_search"], "attachments[0].tools[0]"), ({"type": "file_search"}, "attachments[0].tools")):
        with pytest.raises(openai.BadRequestError) as err:
            oai.beta.threads.messages.create(thread_id=thread, role="user", content="x",
                                             attachments=[{"file_id": file_id, "tools": tools}])
        assert err.value.body["param"] == param
    with pytest.raises(openai.BadRequestError) as err:
        oai.beta.threads.create(messages=[{"role": "user", "content": "x",
                                           "attachments": [{"file_id": file_id, "tools": "abc"}]}])
    assert err.value.body["param"] == "messages[0].attachments[0].tools"
    assert oai.beta.threads.messages.list(thread_id=thread).data == []
    message = oai.beta.threads.messages.create(thread_id=thread, role="user", content="x",
                                               attachments=[{"file_id": file_id, "tools": [{"type": "file_search"}]}])
    assert message.attachments[0].tools[0].type == "file_search"

    sim.set_script([CallFunctions([FunctionCall("get_current_weather")]), Say("ok")], assistant_id=asst)
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread, assistant_id=asst)
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with pytest.raises(openai.BadRequestError) as err:
        oai.beta.threads.runs.submit_tool_outputs(thread_id=thread, run_id=run.id, tool_outputs=[{"tool_call_id": call.id}])
    assert err.value.body["param"] == "tool_outputs[0].output"
    assert oai.beta.threads.runs.retrieve(thread_id=thread, run_id=run.id).status == "requires_action"


def _strict_json(line: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(line, parse_constant=refuse)


@given(st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | st.floats() | st.text(max_size=5), max_size=4))
def test_exports_are_always_json(parameters: dict[str, Any]) -> None:
    sim = Simulator(clock=Clock(START), script=[Say("hi")])
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}
    try:
        asst = sim.create_assistant(model="gpt-4o", tools=[tool])["id"]
        thread = sim.create_thread()["id"]
        sim.create_run(thread, assistant_id=asst, stream=True)
        sim.create_thread_and_run(assistant_id=asst, temperature=1.5)
    except APIError as exc:
        assert any(isinstance(v, float) and not math.isfinite(v) for v in parameters.values())
        assert exc.status == 400
    sim.advance(10)
    out = io.StringIO()
    sim.export_jsonl(out)
    text = out.getvalue()
    assert text.endswith("\n") or not text
    for line in text.split("\n")[:-1]:  # JSON Lines: one value per \n-ended line
        _strict_json(line)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH + 1, 5_000])
def test_json_values_nest_at_most_max_depth(depth: int) -> None:
    sim = Simulator(clock=Clock(START), script=[Say("hi")])
    schema: Any = {}
    for _ in range(depth):
        schema = {"items": schema}
    tool = {"type": "function", "function": {"name": "f", "parameters": schema}}
    if depth + 3 <= MAX_DEPTH:
        sim.create_assistant(model="gpt-4o", tools=[tool])
        return
    with pytest.raises(APIError, match="nested more than") as err:
        sim.create_assistant(model="gpt-4o", tools=[tool])
    assert err.value.param == "tools"


def test_non_json_values_anywhere_are_refused_so_exports_stay_json() -> None:
    import datetime

    sim = Simulator(clock=Clock(START), script=[Say("hi")])
    when = datetime.date(2024, 1, 1)
    for call, param in (
        (lambda: sim.create_thread(tool_resources={"file_search": {"when": when}}), "tool_resources.file_search.when"),
        (lambda: sim.create_thread(messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "u", "detail": math.inf}}]}]),
         "messages[0].content[0].image_url.detail"),
        (lambda: sim.create_assistant(model="m", tool_resources={"x": {1, 2}}), "tool_resources.x"),
    ):
        with pytest.raises(APIError) as err:
            call()
        assert err.value.param == param
    assert sim.trace == []
