"""Streams: the real event order (LIFECYCLE.md section 6), deltas that add up, and agreement with polling."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from sim_support import setup, submit_all

from runfsm import profile, spec
from runfsm.sim import (
    CallFunctions,
    Citation,
    CodeInterpreter,
    FileSearch,
    FunctionCall,
    Say,
    SimConfig,
)

CALLS = CallFunctions([FunctionCall("get_current_weather", {"location": c}) for c in ("北京", "上海", "成都")])
ANSWER = "今天北京的温度是10℃,上海的温度是15℃,成都的温度是20℃。"


def _no_index(obj: Any) -> Any:
    """Drop the ``index`` keys the SDK keeps from deltas when it builds a snapshot."""
    if isinstance(obj, dict):
        return {k: _no_index(v) for k, v in obj.items() if k != "index"}
    if isinstance(obj, list):
        return [_no_index(v) for v in obj]
    return obj


def _names(evs: list[tuple[str, Any]]) -> list[str]:
    """Event names with runs of deltas collapsed to one (they vary with the text length)."""
    out: list[str] = []
    for name, _ in evs:
        if not (name.endswith(".delta") and out and out[-1] == name):
            out.append(name)
    return out


def test_event_names_all_come_from_the_spec() -> None:
    known = set(profile().event_names()) | {spec.EVENT_THREAD_CREATED, spec.EVENT_DONE}
    sim, asst, thread = setup([CodeInterpreter("1+1", "2"), FileSearch(), CALLS, Say(ANSWER)])
    evs = list(sim.create_run(thread, assistant_id=asst, stream=True))
    evs += list(submit_all(sim, thread, evs[0][1]["id"], stream=True))
    assert {n for n, _ in evs} <= known


def test_run_without_tools() -> None:
    sim, asst, thread = setup([Say(ANSWER)])
    evs = list(sim.create_run(thread, assistant_id=asst, stream=True))
    assert _names(evs) == [
        "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress",
        "thread.message.created", "thread.message.in_progress", "thread.message.delta",
        "thread.message.completed", "thread.run.step.completed", "thread.run.completed", "done",
    ]
    assert evs[0][1]["status"] == "queued" and evs[-1] == ("done", "[DONE]")
    assert "".join(d["delta"]["content"][0]["text"]["value"] for n, d in evs if n == "thread.message.delta") == ANSWER


def test_function_calls_then_submit_stream() -> None:
    sim, asst, thread = setup([CALLS, Say(ANSWER)])
    first = list(sim.create_run(thread, assistant_id=asst, stream=True))
    assert _names(first) == [
        "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress", "thread.run.step.delta",
        "thread.run.requires_action", "done",
    ]
    created = first[3][1]
    assert created["step_details"] == {"type": "tool_calls", "tool_calls": []}  # deltas fill it in
    args: dict[int, str] = {}
    for name, d in first:
        if name == "thread.run.step.delta":
            (call,) = d["delta"]["step_details"]["tool_calls"]
            args[call["index"]] = args.get(call["index"], "") + call["function"]["arguments"]
    required = first[-2][1]["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert [args[i] for i in range(3)] == [c["function"]["arguments"] for c in required]
    run_id = first[0][1]["id"]
    second = list(submit_all(sim, thread, run_id, stream=True))
    assert _names(second) == [
        "thread.run.step.completed", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress",
        "thread.message.created", "thread.message.in_progress", "thread.message.delta",
        "thread.message.completed", "thread.run.step.completed", "thread.run.completed", "done",
    ]
    outputs = [c["function"]["output"] for c in second[0][1]["step_details"]["tool_calls"]]
    assert outputs == ["ok", "ok", "ok"]


def test_tools_that_do_not_pause_and_thread_and_run() -> None:
    sim, asst, _ = setup([CodeInterpreter("print(1)", "1\n"), Say("x = 1")])
    evs = list(sim.create_thread_and_run(assistant_id=asst, thread={"messages": [{"role": "user", "content": "?"}]},
                                         stream=True))
    assert _names(evs)[:9] == [
        "thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress", "thread.run.step.delta",
        "thread.run.step.completed", "thread.run.step.created",
    ]
    done = next(d for n, d in evs if n == "thread.run.step.completed")
    (call,) = done["step_details"]["tool_calls"]
    assert call["code_interpreter"] == {"input": "print(1)", "outputs": [{"type": "logs", "logs": "1\n"}]}
    assert _names(evs)[-1] == "done" and evs[-2][0] == "thread.run.completed"


def test_cancel_during_a_stream() -> None:
    sim, asst, thread = setup([Say("a long answer", duration=30)])
    stream = sim.create_run(thread, assistant_id=asst, stream=True)
    head = [next(stream) for _ in range(7)]
    assert head[-1][0] == "thread.message.in_progress"
    sim.advance(5)
    sim.cancel_run(thread, head[0][1]["id"])
    tail = list(stream)
    assert _names(tail) == [
        "thread.run.cancelling", "thread.message.delta", "thread.message.incomplete",
        "thread.run.step.cancelled", "thread.run.cancelled", "done",
    ]
    assert tail[2][1]["incomplete_details"] == {"reason": "run_cancelled"}


def test_closing_a_stream_does_not_cancel_the_run() -> None:
    sim, asst, thread = setup([Say("hello")])
    stream = sim.create_run(thread, assistant_id=asst, stream=True)
    first = next(stream)
    stream.close()
    assert list(stream) == []
    sim.advance(10)
    assert sim.retrieve_run(thread, first[1]["id"])["status"] == "completed"
    # The trace holds what the server sent before the client hung up, then the poll.
    assert [r.get("event", r.get("status")) for r in sim.trace] == ["thread.run.created", "thread.run.queued",
                                                                     "completed"]


def test_a_stream_read_late_still_gives_a_trace_in_time_order() -> None:
    validate = importlib.import_module("runfsm.validate")
    sim, asst, thread = setup([CALLS, Say(ANSWER)])
    stream = sim.create_run(thread, assistant_id=asst, stream=True)
    sim.advance(5)
    submit_all(sim, thread, stream.run_id)
    sim.advance(5)
    assert sim.retrieve_run(thread, stream.run_id)["status"] == "completed"
    late = list(stream)  # the client reads its first stream only now
    assert late[-2][0] == "thread.run.requires_action" and late[-1][0] == "done"
    events = [r for r in sim.trace if "event" in r]
    assert [(r["event"], r["data"]) for r in events] == late  # traced when sent, before the polls
    assert sim.trace.index(events[-1]) < len(sim.trace) - 2
    assert validate.validate_trace(sim.trace).errors == []


@pytest.mark.parametrize("delta_chars", [1, 3, 100])
def test_stream_and_polling_agree(delta_chars: int) -> None:
    script = [FileSearch(), Say("见【1†source】文档。", citations=[Citation("【1†source】", "file-x")])]
    sim, asst, thread = setup(script, config=SimConfig(delta_chars=delta_chars))
    evs = list(sim.create_run(thread, assistant_id=asst, stream=True))
    run_id = evs[0][1]["id"]
    assert evs[-2][1] == sim.retrieve_run(thread, run_id)
    finished = [d for n, d in evs if n == "thread.run.step.completed"]
    listed = sim.list_run_steps(thread, run_id, order="asc")["data"]
    # the one difference (wire): a completed step's event carries the run's deadline, the steps endpoint null
    assert [d["expires_at"] for d in finished] == [evs[0][1]["expires_at"]] * len(finished)
    assert [d["expires_at"] for d in listed] == [None] * len(listed)
    assert [{**d, "expires_at": None} for d in finished] == listed
    streamed = next(d for n, d in evs if n == "thread.message.completed")
    polled = sim.retrieve_message(thread, streamed["id"])
    assert {k: v for k, v in streamed.items() if k in polled} == polled


def test_the_sdk_accumulates_our_deltas_into_the_final_objects() -> None:
    openai = pytest.importorskip("openai")
    from openai._models import construct_type
    from openai.lib.streaming._assistants import accumulate_event, accumulate_run_step
    from openai.types.beta import AssistantStreamEvent

    assert openai
    script = [CodeInterpreter("x = 1\nprint(x)", "1"), CALLS]
    sim, asst, thread = setup(script, config=SimConfig(delta_chars=2))
    evs = list(sim.create_run(thread, assistant_id=asst, stream=True))
    sim.set_script([Say("引用【1†source】结束", citations=[Citation("【1†source】", "file-x")])], assistant_id=asst)
    t2 = sim.create_thread(messages=[{"role": "user", "content": "q"}])["id"]
    evs += list(sim.create_run(t2, assistant_id=asst, stream=True))
    steps: dict[str, Any] = {}
    message = None
    for name, data in evs:
        if name == "done":
            continue
        event = construct_type(type_=AssistantStreamEvent, value={"event": name, "data": data})
        accumulate_run_step(event=event, run_step_snapshots=steps)
        message, _ = accumulate_event(event=event, current_message_snapshot=message)
        if name == "thread.message.completed":
            assert message is not None
            accumulated = _no_index(message.content[0].model_dump(exclude_unset=True))
            for note in accumulated["text"]["annotations"]:  # deltas carry quote "" (wire); the final object not
                assert note["file_citation"].pop("quote") == ""
            assert accumulated == data["content"][0]
        if name == "thread.run.requires_action":
            for call in data["required_action"]["submit_tool_outputs"]["tool_calls"]:
                step = next(s for s in steps.values() if s.type == "tool_calls"
                            and any(c.id == call["id"] for c in s.step_details.tool_calls))
                got = next(c for c in step.step_details.tool_calls if c.id == call["id"])
                assert got.function.arguments == call["function"]["arguments"]
    code_step = next(s for s in steps.values() if s.step_details.tool_calls[0].type == "code_interpreter")
    assert code_step.step_details.tool_calls[0].code_interpreter.input == "x = 1\nprint(x)"


def test_sse_text_reads_back_through_the_validator(tmp_path: Any) -> None:
    from runfsm.sim import sse_text

    validate = importlib.import_module("runfsm.validate")
    sim, asst, thread = setup([CALLS, Say(ANSWER)])
    first = list(sim.create_run(thread, assistant_id=asst, stream=True))
    text = sse_text(first)
    assert text.startswith("event: thread.run.created\ndata: {") and text.endswith("event: done\ndata: [DONE]\n\n")
    path = tmp_path / "run.sse.txt"
    path.write_text(text, encoding="utf-8")
    report = validate.validate_paths([path])
    assert report.errors == [] and report.input_errors == []
    assert report.histories[first[0][1]["id"]] == ["queued", "in_progress", "requires_action"]
