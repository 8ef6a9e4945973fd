"""The in-memory backend: wire shapes (checked against the openai SDK's models), refusals, lists, ids."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_support import ALL_TOOLS, FUNCTION_TOOL, START, setup, submit_all

from runfsm import spec
from runfsm.sim import (
    ID_PREFIXES,
    APIError,
    CallFunctions,
    Citation,
    Clock,
    CodeInterpreter,
    FileSearch,
    FunctionCall,
    Say,
    ScriptError,
    Simulator,
)

WEATHER = [
    CallFunctions([FunctionCall("get_current_weather", {"location": c}) for c in ("北京", "上海", "成都")]),
    Say("今天北京的温度是10℃,上海的温度是15℃,成都的温度是20℃。"),
]


def _everything() -> tuple[Simulator, dict[str, list[dict[str, Any]]]]:
    """A simulation that produces every kind of object, collected by kind."""
    sim, asst, thread = setup(WEATHER)
    f = sim.upload_file(filename="guide.txt", content="云搜是搜索服务。".encode(), purpose="assistants")
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    mid = sim.retrieve_run(thread, run["id"])
    submit_all(sim, thread, run["id"])
    sim.advance(5)
    done = sim.retrieve_run(thread, run["id"])
    asst2 = sim.create_assistant(model="gpt-4o", tools=ALL_TOOLS)
    sim.set_script([CodeInterpreter("print(1)", "1"), FileSearch(),
                    Say("见文档【1†source】", citations=[Citation("【1†source】")])], assistant_id=asst2["id"])
    t2 = sim.create_thread(messages=[{"role": "user", "content": "?",
                                      "attachments": [{"file_id": f["id"], "tools": [{"type": "file_search"}]}]}])
    streamed = list(sim.create_run(t2["id"], assistant_id=asst2["id"], stream=True))
    objs: dict[str, list[dict[str, Any]]] = {"run": [run, mid, done], "step": [], "message": [], "streamed_message": []}
    for name, data in streamed:
        if name.startswith("thread.run.step.") and not name.endswith(".delta"):
            objs["step"].append(data)
        elif name.startswith("thread.run.") and "step" not in name:
            objs["run"].append(data)
        elif name.startswith("thread.message.") and not name.endswith(".delta"):
            objs["streamed_message"].append(data)
    for t in (thread, t2["id"]):
        objs["message"] += sim.list_messages(t)["data"]
        for r in sim.list_runs(t)["data"]:
            objs["run"].append(r)
            objs["step"] += sim.list_run_steps(t, r["id"])["data"]
    objs["thread"] = [sim.retrieve_thread(thread), streamed[0][1] if streamed[0][0] == "thread.created" else t2]
    objs["assistant"] = [sim.retrieve_assistant(asst), asst2]
    objs["file"] = [f]
    return sim, objs


def _sdk_models() -> dict[str, Any]:
    from openai.types import FileObject
    from openai.types.beta import Assistant, Thread
    from openai.types.beta.threads import Message, Run
    from openai.types.beta.threads.runs import RunStep

    return {"run": Run, "step": RunStep, "message": Message, "streamed_message": Message, "thread": Thread,
            "assistant": Assistant, "file": FileObject}


def test_wire_shapes_match_the_openai_sdk_models() -> None:
    pytest.importorskip("openai")
    _, objs = _everything()
    models = _sdk_models()
    for kind, items in objs.items():
        model = models[kind]
        required = {name for name, f in model.model_fields.items() if f.is_required()}
        assert items, kind
        for obj in items:
            json.dumps(obj)  # plain JSON types only
            data = dict(obj)
            if kind == "message":
                # The wire (and LIFECYCLE.md) wins: polled messages carry no status keys at all.
                assert not {"status", "completed_at", "incomplete_at", "incomplete_details"} & set(obj)
                data["status"] = "completed"
            if kind == "run" and data["instructions"] is None:
                data["instructions"] = ""  # the wire says null where the schema says string (LIFECYCLE.md 4)
            assert set(data) >= required, (kind, required - set(data))
            model.model_validate(data)


def test_runs_carry_every_run_key_and_steps_the_wire_expiry_key() -> None:
    _, objs = _everything()
    for run in objs["run"]:
        assert set(run) >= set(spec.RUN_KEYS)
        assert run["object"] == spec.OBJECT_TYPES["run"]
    for step in objs["step"]:
        assert spec.STEP_EXPIRY_KEYS[0] in step and spec.STEP_EXPIRY_KEYS[1] not in step
        assert "metadata" not in step
        assert step["object"] == spec.OBJECT_TYPES["run_step"]
    for m in objs["streamed_message"]:
        assert {"status", "completed_at", "incomplete_at", "incomplete_details"} <= set(m)


def test_citation_annotation_points_at_its_marker_and_file() -> None:
    _, objs = _everything()
    cited = [m for m in objs["message"] if m["content"] and m["content"][0]["text"]["annotations"]]
    assert len(cited) == 1
    text = cited[0]["content"][0]["text"]
    (note,) = text["annotations"]
    assert text["value"][note["start_index"]:note["end_index"]] == note["text"] == "【1†source】"
    assert note["type"] == "file_citation" and note["file_citation"]["file_id"].startswith(ID_PREFIXES["file"])


def test_ids_look_real_and_depend_only_on_the_seed() -> None:
    def ids() -> list[str]:
        _, objs = _everything()
        return sorted({o["id"] for items in objs.values() for o in items})

    first, again = ids(), ids()
    assert first == again
    pattern = re.compile(r"^(asst_|thread_|msg_|run_|step_|file-)[A-Za-z0-9]{24}$")
    assert all(pattern.match(i) for i in first), [i for i in first if not pattern.match(i)]
    a, b = setup([Say("x")], seed=1), setup([Say("x")], seed=2)
    assert a[1] != b[1]


# -- refusals (LIFECYCLE.md section 5) ------------------------------------------------------


def test_thread_lock_refuses_messages_and_runs_while_active() -> None:
    sim, asst, thread = setup(WEATHER)
    run = sim.create_run(thread, assistant_id=asst)
    for when in ("queued", "in_progress", "requires_action"):
        assert sim.peek_run(run["id"])["status"] == when
        with pytest.raises(APIError) as err:
            sim.create_message(thread, role="user", content="more")
        assert err.value.status == 400
        assert err.value.message == spec.REFUSALS["thread_locked_message"].format(thread_id=thread, run_id=run["id"])
        with pytest.raises(APIError) as err:
            sim.create_run(thread, assistant_id=asst)
        assert err.value.message == spec.REFUSALS["thread_locked_run"].format(thread_id=thread, run_id=run["id"])
        assert err.value.body() == {"error": {"message": err.value.message, "type": "invalid_request_error",
                                              "param": None, "code": None}}
        sim.advance(1 if when == "queued" else 2)
    submit_all(sim, thread, run["id"])
    sim.advance(10)
    assert sim.peek_run(run["id"])["status"] == "completed"
    sim.create_message(thread, role="user", content="thanks")  # unlocked
    assert sim.create_run(thread, assistant_id=asst)["status"] == "queued"


def test_submit_refusals() -> None:
    sim, asst, thread = setup(WEATHER)
    run = sim.create_run(thread, assistant_id=asst)
    with pytest.raises(APIError) as err:
        sim.submit_tool_outputs(thread, run["id"], tool_outputs=[])
    assert err.value.message == spec.REFUSALS["submit_wrong_status"].format(status="queued")
    sim.advance(3)
    calls = [c["id"] for c in sim.peek_run(run["id"])["required_action"]["submit_tool_outputs"]["tool_calls"]]
    with pytest.raises(APIError) as err:
        sim.submit_tool_outputs(thread, run["id"], tool_outputs=[{"tool_call_id": calls[0], "output": "1"}])
    assert err.value.status == 400
    assert err.value.message == f"Expected tool outputs for call_ids {calls}, got {calls[:1]}"
    assert sim.peek_run(run["id"])["status"] == "requires_action"  # nothing changed
    with pytest.raises(APIError) as err:
        sim.submit_tool_outputs(thread, run["id"], tool_outputs=[{"tool_call_id": c, "output": ""} for c in calls] + [{"x": 1}])
    assert err.value.param == "tool_outputs[3].tool_call_id"
    with pytest.raises(APIError) as err:  # a missing output is not an empty one
        sim.submit_tool_outputs(thread, run["id"], tool_outputs=[{"tool_call_id": c} for c in calls])
    assert err.value.param == "tool_outputs[0].output" and err.value.status == 400
    submit_all(sim, thread, run["id"])
    with pytest.raises(APIError) as err:  # twice
        sim.submit_tool_outputs(thread, run["id"], tool_outputs=[{"tool_call_id": c, "output": "1"} for c in calls])
    assert err.value.message == spec.REFUSALS["submit_wrong_status"].format(status="queued")


def test_cancel_of_a_finished_run_is_refused() -> None:
    sim, asst, thread = setup([Say("hi")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    with pytest.raises(APIError) as err:
        sim.cancel_run(thread, run["id"])
    assert err.value.status == 400
    assert err.value.message.startswith("Cannot cancel run")
    assert err.value.message == spec.REFUSALS["cancel_terminal"].format(status="completed")


@pytest.mark.parametrize(
    "call",
    [
        lambda s, a, t: s.retrieve_thread("thread_nope"),
        lambda s, a, t: s.retrieve_run(t, "run_nope"),
        lambda s, a, t: s.retrieve_run("thread_nope", "run_nope"),
        lambda s, a, t: s.create_run(t, assistant_id="asst_nope"),
        lambda s, a, t: s.retrieve_assistant("asst_nope"),
        lambda s, a, t: s.retrieve_file("file-nope"),
        lambda s, a, t: s.retrieve_message(t, "msg_nope"),
        lambda s, a, t: s.list_messages("thread_nope"),
        lambda s, a, t: s.cancel_run(t, "run_nope"),
        lambda s, a, t: s.submit_tool_outputs(t, "run_nope", tool_outputs=[]),
        lambda s, a, t: s.list_run_steps(t, "run_nope"),
        lambda s, a, t: s.create_message(t, role="user", content="x", attachments=[{"file_id": "file-nope"}]),
    ],
)
def test_unknown_ids_answer_404(call: Any) -> None:
    sim, asst, thread = setup([Say("hi")])
    with pytest.raises(APIError) as err:
        call(sim, asst, thread)
    assert err.value.status == 404
    assert re.fullmatch(r"No [a-z ]+ found with id '[\w-]+'\.", err.value.message)


def test_run_of_another_thread_is_not_found() -> None:
    sim, asst, thread = setup([Say("hi")])
    other = sim.create_thread()["id"]
    run = sim.create_run(thread, assistant_id=asst)
    with pytest.raises(APIError) as err:
        sim.retrieve_run(other, run["id"])
    assert err.value.status == 404


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda s, t: s.list_messages(t, order="up"), "order"),
        (lambda s, t: s.list_messages(t, limit=0), "limit"),
        (lambda s, t: s.list_messages(t, limit=101), "limit"),
        (lambda s, t: s.list_messages(t, after="msg_nope"), "after"),
        (lambda s, t: s.create_message(t, role="system", content="x"), "role"),
        (lambda s, t: s.create_message(t, role="user", content=[]), "content"),
        (lambda s, t: s.create_message(t, role="user", content="x", metadata={"k": 1}), "metadata"),
        (lambda s, t: s.create_assistant(model=""), "model"),
        (lambda s, t: s.create_assistant(model="m", tools=[{"type": "browser"}]), "tools[0].type"),
        (lambda s, t: s.upload_file(filename="a", content="text", purpose="assistants"), "file"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(call: Any, param: str) -> None:
    sim, _, thread = setup([Say("hi")])
    with pytest.raises(APIError) as err:
        call(sim, thread)
    assert err.value.status == 400
    assert err.value.param == param
    assert param.split("[")[0].split(".")[0] in err.value.message


# -- lists ------------------------------------------------------------------------------------


@given(n=st.integers(0, 12), order=st.sampled_from(["asc", "desc"]), limit=st.integers(1, 5),
       cursor=st.integers(0, 11), which=st.sampled_from([None, "after", "before"]))
def test_list_pages_follow_order_limit_and_cursors(n: int, order: str, limit: int, cursor: int, which: str | None) -> None:
    sim = Simulator(clock=Clock(START))
    thread = sim.create_thread()["id"]
    ids = []
    for i in range(n):
        ids.append(sim.create_message(thread, role="user", content=str(i))["id"])
        sim.advance(i % 2)  # some share a created_at second
    seq = ids if order == "asc" else ids[::-1]
    kw: dict[str, Any] = {}
    if which and not n:
        which = None
    if which:
        kw[which] = seq[cursor % n]
    page = sim.list_messages(thread, order=order, limit=limit, **kw)
    got = [m["id"] for m in page["data"]]
    if which == "after":
        rest = seq[seq.index(kw["after"]) + 1:]
        assert got == rest[:limit] and page["has_more"] == (len(rest) > limit)
    elif which == "before":
        rest = seq[:seq.index(kw["before"])]
        assert got == rest[-limit:] and page["has_more"] == (len(rest) > limit)
    else:
        assert got == seq[:limit] and page["has_more"] == (n > limit)
    assert page["object"] == "list"
    assert page["first_id"] == (got[0] if got else None) and page["last_id"] == (got[-1] if got else None)


def test_messages_default_newest_first_and_filter_by_run() -> None:
    sim, asst, thread = setup([Say("one")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    page = sim.list_messages(thread)
    assert [m["role"] for m in page["data"]] == ["assistant", "user"]
    assert page["data"][0]["run_id"] == run["id"] and page["data"][1]["run_id"] is None
    assert [m["run_id"] for m in sim.list_messages(thread, run_id=run["id"])["data"]] == [run["id"]]


def test_delete_thread_and_thread_and_run() -> None:
    sim, asst, _ = setup([Say("hi")])
    run = sim.create_thread_and_run(assistant_id=asst, thread={"messages": [{"role": "user", "content": "q"}]})
    assert run["status"] == "queued"
    assert sim.delete_thread(run["thread_id"]) == {"id": run["thread_id"], "object": "thread.deleted", "deleted": True}
    with pytest.raises(APIError):
        sim.retrieve_run(run["thread_id"], run["id"])
    sim.advance(10)  # the deleted run's scheduled work is dropped quietly


def test_run_takes_assistant_defaults_and_body_overrides() -> None:
    sim, asst, thread = setup([Say("hi")])
    run = sim.create_run(thread, assistant_id=asst, model="gpt-4o-mini", additional_instructions="Use Chinese.",
                         temperature=0.2, max_completion_tokens=500, metadata={"k": "v"}, unknown_field=1)
    assert run["model"] == "gpt-4o-mini"
    assert run["instructions"] == "Be brief.\nUse Chinese."
    assert run["temperature"] == 0.2 and run["max_completion_tokens"] == 500 and run["top_p"] == 1.0
    echoed = [{**t, "function": {**t["function"], "strict": False}} if t["type"] == "function" else t for t in ALL_TOOLS]
    assert run["metadata"] == {"k": "v"} and run["tools"] == echoed  # a function tool comes back with strict: false
    assert sim.modify_run(thread, run["id"], metadata={"k": "w"})["metadata"] == {"k": "w"}


def test_scripts_by_id_then_name_then_default() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("default")])
    a = sim.create_assistant(model="m", name="named")
    b = sim.create_assistant(model="m", name="other")
    sim.set_script([Say("by name")], assistant_name="named")
    texts = {}
    for asst in (a, b):
        t = sim.create_thread(messages=[{"role": "user", "content": "q"}])["id"]
        sim.create_run(t, assistant_id=asst["id"])
        sim.advance(5)
        texts[asst["name"]] = sim.list_messages(t)["data"][0]["content"][0]["text"]["value"]
    assert texts == {"named": "by name", "other": "default"}
    sim.set_script([Say("by id")], assistant_id=a["id"])
    t = sim.create_thread(messages=[{"role": "user", "content": "q"}])["id"]
    sim.create_run(t, assistant_id=a["id"])
    sim.advance(5)
    assert sim.list_messages(t)["data"][0]["content"][0]["text"]["value"] == "by id"


def test_a_run_without_a_script_or_with_a_missing_tool_is_refused_before_it_exists() -> None:
    sim = Simulator(clock=Clock(START))
    a = sim.create_assistant(model="m")
    t = sim.create_thread()["id"]
    with pytest.raises(ScriptError, match="no script"):
        sim.create_run(t, assistant_id=a["id"])
    sim.set_script([CallFunctions([FunctionCall("get_current_weather")])])
    with pytest.raises(ScriptError, match="get_current_weather"):
        sim.create_run(t, assistant_id=a["id"])
    assert sim.list_runs(t)["data"] == []
    sim.create_message(t, role="user", content="thread is not locked")
    assert sim.create_run(t, assistant_id=a["id"], tools=[FUNCTION_TOOL])["status"] == "queued"


def test_wrong_types_for_the_clock_and_assistant_options_are_refused_up_front() -> None:
    with pytest.raises(TypeError, match=r"clock must be a runfsm\.sim\.Clock, got int"):
        Simulator(clock=5, script=[Say("x")])  # type: ignore[arg-type]
    sim = Simulator(clock=Clock(start=START), script=[Say("x")])
    for kwargs, param in (({"temperature": "hot"}, "temperature"), ({"top_p": True}, "top_p"),
                          ({"response_format": 5}, "response_format"), ({"tool_resources": 5}, "tool_resources")):
        with pytest.raises(APIError) as err:
            sim.create_assistant(model="m", **kwargs)
        assert err.value.status == 400 and err.value.param == param
    assert sim.create_assistant(model="m", temperature=1, top_p=0.5, response_format="auto")["temperature"] == 1


@pytest.mark.parametrize("run_id", [["x"], {"a": 1}, 5, None])
def test_introspection_with_a_bad_run_id_answers_404(run_id: Any) -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("x")])
    for call in (sim.peek_run, sim.peek_steps, sim.timeline, sim.run_messages):
        with pytest.raises(APIError) as err:
            call(run_id)
        assert err.value.status == 404


@pytest.mark.parametrize("run_id", [5, ["run_1"], {"id": "run_1"}])
def test_listing_messages_by_a_run_id_that_is_not_a_string_is_refused(run_id: Any) -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("x")])
    thread = sim.create_thread(messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(APIError) as err:
        sim.list_messages(thread["id"], run_id=run_id)
    assert err.value.status == 400 and err.value.param == "run_id"


@pytest.mark.parametrize("target", [5, None, b"trace.jsonl"])
def test_exporting_a_trace_to_something_that_is_not_a_file_is_a_clear_type_error(target: Any) -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("x")])
    with pytest.raises(TypeError, match="expected a path or a text file"):
        sim.export_jsonl(target)
