"""Wire details recorded from the real API (October 2025) that client code reads, checked through the SDK."""

from __future__ import annotations

from typing import Any

import pytest

from runfsm import spec
from runfsm.openai import client
from runfsm.sim import Citation, Clock, CodeInterpreter, Say, Simulator

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
DETAILS = {"prompt_token_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}


def _finished(script: list[Any], tools: list[dict[str, Any]] | None = None) -> tuple[Any, Any, Any]:
    sim = Simulator(clock=Clock(START), script=script)
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=tools or [])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
    return oai, thread, run


def test_usage_of_runs_and_steps_has_the_detail_objects_with_the_wires_spelling() -> None:
    oai, thread, run = _finished([CodeInterpreter("print(1)", logs="1\n"), Say("One.")],
                                 tools=[{"type": "code_interpreter"}])
    assert run.status == "completed"
    assert {k: v for k, v in run.usage.to_dict().items() if k in DETAILS} == DETAILS  # type: ignore[union-attr]
    steps = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert len(steps) == 2
    for step in steps:
        assert {k: v for k, v in step.usage.to_dict().items() if k in DETAILS} == DETAILS  # type: ignore[union-attr]


def test_a_completed_step_has_expires_at_null_when_read_and_the_deadline_when_streamed() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("Hello there.", duration=2)])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    streamed: list[Any] = []
    with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id) as stream:
        for event in stream:
            if event.event.startswith("thread.run.step.") and event.event != "thread.run.step.delta":
                streamed.append(event.data)
        run = stream.get_final_run()
    assert [s.status for s in streamed] == ["in_progress", "in_progress", "completed"]
    assert {s.expires_at for s in streamed} == {START + spec.RUN_DEADLINE_SECONDS}
    step_id = streamed[-1].id
    listed = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data[0]
    retrieved = oai.beta.threads.runs.steps.retrieve(thread_id=thread.id, run_id=run.id, step_id=step_id)
    assert listed.expires_at is None and retrieved.expires_at is None


def test_an_in_progress_step_read_from_the_steps_endpoint_keeps_the_deadline() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("A long answer.", duration=100)])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    sim.advance(5)
    step = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data[0]
    assert step.status == "in_progress" and step.expires_at == START + spec.RUN_DEADLINE_SECONDS


def test_a_file_citation_in_a_message_delta_carries_an_empty_quote() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("See 【4:0†doc】 there.", citations=[Citation("【4:0†doc】", "file-1")])])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    notes = []
    with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                for part in event.data.delta.content or []:
                    notes += part.text.annotations or []  # type: ignore[union-attr]
    assert len(notes) == 1
    assert notes[0].file_citation.to_dict() == {"file_id": "file-1", "quote": ""}  # type: ignore[union-attr]


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def test_code_interpreter_images_are_files_and_outputs_before_the_logs() -> None:
    oai, thread, run = _finished([CodeInterpreter("plot()", logs="done\n", images=(PNG, PNG[::-1])), Say("Here.")],
                                 tools=[{"type": "code_interpreter"}])
    step = oai.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc").data[0]
    outputs = step.step_details.tool_calls[0].code_interpreter.outputs  # type: ignore[union-attr]
    assert [o.type for o in outputs] == ["image", "image", "logs"]
    contents = [oai.files.content(o.image.file_id).content for o in outputs[:2]]  # type: ignore[union-attr]
    assert contents == [PNG, PNG[::-1]]
    assert oai.files.retrieve(outputs[0].image.file_id).purpose == "assistants_output"  # type: ignore[union-attr]


def test_streamed_code_interpreter_outputs_accumulate_to_the_same() -> None:
    sim = Simulator(clock=Clock(START), script=[CodeInterpreter("plot()", logs="ok", images=(PNG,)), Say("Here.")])
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Plot"}])
    with oai.beta.threads.runs.stream(thread_id=thread.id, assistant_id=asst.id) as stream:
        stream.until_done()
        steps = stream.get_final_run_steps()
    outputs = steps[0].step_details.tool_calls[0].code_interpreter.outputs  # type: ignore[union-attr]
    assert [o.type for o in outputs] == ["image", "logs"]
    from runfsm.validate import validate_trace

    assert validate_trace(sim.trace).errors == []


@pytest.mark.parametrize("images", [b"raw", "x", [1], None])
def test_images_must_be_bytes_one_per_image(images: Any) -> None:
    from runfsm.sim import ScriptError

    with pytest.raises(ScriptError, match="images must be a sequence of bytes"):
        CodeInterpreter("plot()", images=images)


INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


def _search_world() -> tuple[Simulator, Any, str, str, str]:
    from runfsm.sim import FileSearch, SearchResult

    sim = Simulator(clock=Clock(START))
    oai = client(sim)
    file_id = oai.files.create(file=("guide.md", b"# Guide"), purpose="assistants").id  # type: ignore[arg-type]
    sim.set_script([FileSearch(results=(SearchResult(file_id, "Returns take 30 days.", 0.83),), score_threshold=0.5),
                    Say("Thirty days.")])
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}])
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Returns?"}])
    return sim, oai, asst.id, thread.id, file_id


def test_file_search_steps_show_ranking_options_and_results_text_only_when_included() -> None:
    _, oai, asst_id, thread_id, file_id = _search_world()
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    plain = oai.beta.threads.runs.steps.list(thread_id=thread_id, run_id=run.id, order="asc").data[0]
    search = plain.step_details.tool_calls[0].to_dict()["file_search"]  # type: ignore[union-attr]
    assert search == {"ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.5}, "results": [
        {"file_id": file_id, "file_name": "guide.md", "score": 0.83, "attributes": {}}]}
    full = oai.beta.threads.runs.steps.retrieve(thread_id=thread_id, run_id=run.id, step_id=plain.id, include=[INCLUDE])
    result = full.step_details.tool_calls[0].to_dict()["file_search"]["results"][0]  # type: ignore[union-attr]
    assert result["content"] == [{"type": "text", "text": "Returns take 30 days."}]
    listed = oai.beta.threads.runs.steps.list(thread_id=thread_id, run_id=run.id, include=[INCLUDE]).data[-1]
    assert listed.to_dict() == full.to_dict()


def test_a_streamed_search_opens_with_empty_results_and_shows_the_text_when_the_run_asked() -> None:
    _, oai, asst_id, thread_id, _ = _search_world()
    opening, completed = None, None
    with oai.beta.threads.runs.create(thread_id=thread_id, assistant_id=asst_id, stream=True,
                                      include=[INCLUDE]) as events:
        for event in events:
            if event.event == "thread.run.step.delta" and opening is None:
                opening = event.data.delta.step_details.tool_calls[0].to_dict()  # type: ignore[union-attr]
            if event.event == "thread.run.step.completed" and event.data.type == "tool_calls":
                completed = event.data.step_details.tool_calls[0].to_dict()  # type: ignore[union-attr]
    assert opening is not None and opening["file_search"] == {
        "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.5}, "results": []}
    assert completed is not None and completed["file_search"]["results"][0]["content"][0]["text"] == "Returns take 30 days."


def test_an_unknown_include_is_the_apis_400() -> None:
    _, oai, asst_id, thread_id, _ = _search_world()
    run = oai.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst_id)
    import openai

    with pytest.raises(openai.BadRequestError) as caught:
        oai.beta.threads.runs.steps.list(thread_id=thread_id, run_id=run.id, include=["everything"])  # type: ignore[list-item]
    assert caught.value.body["param"] == "include"  # type: ignore[index]


def test_a_search_that_finds_a_file_the_simulator_does_not_hold_is_a_script_error() -> None:
    from runfsm.sim import FileSearch, ScriptError, SearchResult

    sim = Simulator(clock=Clock(START), script=[FileSearch(results=(SearchResult("file-none", "x"),))])
    asst = sim.create_assistant(model="gpt-4o", tools=[{"type": "file_search"}])
    thread = sim.create_thread(messages=[{"role": "user", "content": "?"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    with pytest.raises(ScriptError, match="finds file 'file-none', which the simulator does not hold"):
        sim.advance(5)
    assert sim.retrieve_run(thread["id"], run["id"])["status"] == "failed"


@pytest.mark.parametrize(("kwargs", "message"), [({"score": 1.5}, "score must be"), ({"text": 3}, "text must be")])
def test_search_results_are_checked(kwargs: dict[str, Any], message: str) -> None:
    from runfsm.sim import ScriptError, SearchResult

    with pytest.raises(ScriptError, match=message):
        SearchResult("file-1", **kwargs)
