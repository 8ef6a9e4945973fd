"""Assistants, threads, messages and files beyond create and retrieve, as the real API served them, through the SDK."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm.openai import client
from runfsm.sim import APIError, Clock, Say, Simulator
from runfsm.validate import validate_trace

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
FUNCTION = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
SEARCH = {"type": "file_search", "file_search": {"ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.5}}}


def _world(script: Any = None) -> tuple[Simulator, openai.OpenAI]:
    sim = Simulator(clock=Clock(START), script=script or [Say("Hi", duration=2)])
    return sim, client(sim)


# --- tool definitions and tool_resources come back normalised ----------------------------------------


def test_tools_come_back_as_the_api_echoes_them() -> None:
    sim, oai = _world()
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[FUNCTION, SEARCH, {"type": "code_interpreter"}])
    raw = asst.to_dict()
    assert raw["tools"][0]["function"]["strict"] is False
    assert raw["tools"][1]["file_search"]["ranking_options"] == {
        "ranker": "default_2024_08_21", "score_threshold": 0.5, "hybrid_search": None}
    on_the_wire = sim.retrieve_assistant(asst.id)["tools"][1]["file_search"]["ranking_options"]  # the SDK reorders
    assert list(on_the_wire) == ["ranker", "score_threshold", "hybrid_search"]
    assert raw["tool_resources"] == {"code_interpreter": {"file_ids": []}}
    strict = oai.beta.assistants.create(model="gpt-4o", tools=[{**FUNCTION, "function": {
        **FUNCTION["function"], "strict": True}}])
    assert strict.to_dict()["tools"][0]["function"]["strict"] is True


def test_tool_resources_are_empty_without_a_tool_that_takes_files() -> None:
    _, oai = _world()
    assert oai.beta.assistants.create(model="gpt-4o", tools=[FUNCTION]).to_dict()["tool_resources"] == {}
    given = oai.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}],
                                       tool_resources={"code_interpreter": {"file_ids": ["file-1"]}})
    assert given.to_dict()["tool_resources"] == {"code_interpreter": {"file_ids": ["file-1"]}}


def test_reasoning_effort_is_null_unless_set_and_runs_carry_it_and_the_tool_resources() -> None:
    _, oai = _world()
    plain = oai.beta.assistants.create(model="gpt-4o")
    assert plain.to_dict()["reasoning_effort"] is None
    asst = oai.beta.assistants.create(model="o3", reasoning_effort="low", tools=[{"type": "code_interpreter"}])
    assert asst.to_dict()["reasoning_effort"] == "low"
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id).to_dict()
    assert run["reasoning_effort"] == "low"
    assert run["tool_resources"] == {"code_interpreter": {"file_ids": []}}
    second = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    chosen = oai.beta.threads.runs.create(thread_id=second.id, assistant_id=asst.id, reasoning_effort="high")
    assert chosen.to_dict()["reasoning_effort"] == "high"


@pytest.mark.parametrize("value", ["extreme", "", 3, ["low"]])
def test_a_bad_reasoning_effort_is_the_apis_400(value: Any) -> None:
    _, oai = _world()
    with pytest.raises(openai.BadRequestError) as caught:
        oai.beta.assistants.create(model="o3", reasoning_effort=value)
    assert caught.value.body["param"] == "reasoning_effort"  # type: ignore[index]


# --- assistants: list, modify, delete --------------------------------------------------------------------


@given(st.integers(1, 8), st.sampled_from(["asc", "desc"]), st.integers(1, 4), st.integers(0, 7))
def test_list_assistants_pages_like_every_list(n: int, order: str, limit: int, cursor: int) -> None:
    sim, oai = _world()
    ids = []
    for _ in range(n):
        sim.advance(1)
        ids.append(oai.beta.assistants.create(model="gpt-4o").id)
    listed = ids if order == "asc" else ids[::-1]
    page = oai.beta.assistants.list(order=order, limit=limit)
    assert [a.id for a in page.data] == listed[:limit] and page.has_more == (n > limit)
    if cursor < n:
        after = oai.beta.assistants.list(order=order, limit=limit, after=listed[cursor])
        assert [a.id for a in after.data] == listed[cursor + 1:cursor + 1 + limit]
        before = oai.beta.assistants.list(order=order, limit=limit, before=listed[cursor])
        assert [a.id for a in before.data] == listed[max(0, cursor - limit):cursor]


def test_modify_changes_only_what_is_given() -> None:
    _, oai = _world()
    asst = oai.beta.assistants.create(model="gpt-4o", name="helper", instructions="Be brief.", tools=[FUNCTION],
                                      metadata={"team": "a"})
    changed = oai.beta.assistants.update(asst.id, instructions="Be thorough.", tools=[{"type": "code_interpreter"}])
    assert (changed.name, changed.instructions, changed.metadata) == ("helper", "Be thorough.", {"team": "a"})
    assert changed.to_dict()["tool_resources"] == {"code_interpreter": {"file_ids": []}}
    assert oai.beta.assistants.retrieve(asst.id).to_dict() == changed.to_dict()


def test_a_refused_modify_changes_nothing() -> None:
    _, oai = _world()
    asst = oai.beta.assistants.create(model="gpt-4o", name="helper")
    before = oai.beta.assistants.retrieve(asst.id).to_dict()
    with pytest.raises(openai.BadRequestError, match="temperature"):
        oai.beta.assistants.update(asst.id, name="renamed", temperature=7)
    assert oai.beta.assistants.retrieve(asst.id).to_dict() == before


def test_deleting_an_assistant_lets_its_active_run_finish_and_refuses_new_runs() -> None:
    _, oai = _world([Say("Hi", duration=5)])
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    run = oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    deleted = oai.beta.assistants.delete(asst.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (asst.id, True, "assistant.deleted")
    with pytest.raises(openai.NotFoundError, match=f"No assistant found with id '{asst.id}'"):
        oai.beta.assistants.retrieve(asst.id)
    assert oai.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id).status == "completed"
    with pytest.raises(openai.NotFoundError):
        oai.beta.threads.runs.create(thread_id=thread.id, assistant_id=asst.id)
    with pytest.raises(openai.NotFoundError):
        oai.beta.assistants.delete(asst.id)


# --- threads and messages ---------------------------------------------------------------------------


def test_modify_thread_and_message_metadata() -> None:
    _, oai = _world()
    thread = oai.beta.threads.create(messages=[{"role": "user", "content": "Hi"}], metadata={"a": "1"})
    updated = oai.beta.threads.update(thread.id, metadata={"b": "2"},
                                      tool_resources={"code_interpreter": {"file_ids": []}})
    assert updated.metadata == {"b": "2"} and updated.to_dict()["tool_resources"] == {"code_interpreter": {"file_ids": []}}
    assert oai.beta.threads.update(thread.id).metadata == {"b": "2"}
    message = oai.beta.threads.messages.list(thread_id=thread.id).data[0]
    changed = oai.beta.threads.messages.update(message_id=message.id, thread_id=thread.id, metadata={"seen": "yes"})
    assert changed.metadata == {"seen": "yes"}
    assert oai.beta.threads.messages.retrieve(message_id=message.id, thread_id=thread.id).metadata == {"seen": "yes"}
    with pytest.raises(openai.BadRequestError):
        oai.beta.threads.messages.update(message_id=message.id, thread_id=thread.id, metadata={"k": 1})  # type: ignore[dict-item]


# --- files -----------------------------------------------------------------------------------------------


def test_files_list_content_and_delete() -> None:
    sim, oai = _world()
    blob = bytes(range(256)) * 3  # binary, every byte value
    uploaded = []
    for name, purpose in (("a.pdf", "assistants"), ("b.bin", "assistants"), ("c.jsonl", "batch")):
        sim.advance(1)
        uploaded.append(oai.files.create(file=(name, blob), purpose=purpose).id)  # type: ignore[arg-type]
    assert [f.id for f in oai.files.list().data] == uploaded[::-1]
    assert [f.id for f in oai.files.list(purpose="assistants", order="asc").data] == uploaded[:2]
    assert oai.files.content(uploaded[1]).content == blob
    gone = oai.files.delete(uploaded[0])
    assert (gone.id, gone.deleted) == (uploaded[0], True)
    with pytest.raises(openai.NotFoundError):
        oai.files.retrieve(uploaded[0])
    with pytest.raises(openai.NotFoundError):
        oai.files.content(uploaded[0])
    assert [f.id for f in oai.files.list().data] == uploaded[:0:-1]


def test_what_the_client_received_validates_clean() -> None:
    sim, oai = _world()
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[FUNCTION, SEARCH], reasoning_effort="medium")
    oai.beta.assistants.update(asst.id, metadata={"v": "2"})
    run = oai.beta.threads.create_and_run_poll(assistant_id=asst.id,
                                               thread={"messages": [{"role": "user", "content": "Hi"}]})
    assert run.status == "completed"
    report = validate_trace(sim.trace)
    assert report.errors == [] and report.warnings == []


# --- vector stores ------------------------------------------------------------------------------------------


def test_vector_stores_create_retrieve_list_delete() -> None:
    sim, oai = _world()
    f1 = oai.files.create(file=("a.txt", b"abc"), purpose="assistants").id  # type: ignore[arg-type]
    f2 = oai.files.create(file=("b.txt", b"defgh"), purpose="assistants").id  # type: ignore[arg-type]
    store = oai.vector_stores.create(name="docs", file_ids=[f1, f2])
    assert store.id.startswith("vs_") and store.status == "completed" and store.usage_bytes == 8
    assert (store.file_counts.completed, store.file_counts.total) == (2, 2)
    assert oai.vector_stores.retrieve(store.id).to_dict() == store.to_dict()
    sim.advance(1)
    other = oai.vector_stores.create()
    assert [v.id for v in oai.vector_stores.list().data] == [other.id, store.id]
    assert oai.vector_stores.delete(store.id).deleted is True
    with pytest.raises(openai.NotFoundError, match=f"No vector store found with id '{store.id}'"):
        oai.vector_stores.retrieve(store.id)
    with pytest.raises(openai.NotFoundError, match="No file found with id 'file-nope'"):
        oai.vector_stores.create(file_ids=["file-nope"])
    assert [v.id for v in oai.vector_stores.list().data] == [other.id]


def test_the_vector_stores_helper_comes_back_as_vector_store_ids() -> None:
    _, oai = _world()
    f1 = oai.files.create(file=("a.txt", b"abc"), purpose="assistants").id  # type: ignore[arg-type]
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}],
                                      tool_resources={"file_search": {"vector_stores": [{"file_ids": [f1]}]}})
    ids = asst.to_dict()["tool_resources"]["file_search"]["vector_store_ids"]
    assert len(ids) == 1 and oai.vector_stores.retrieve(ids[0]).file_counts.total == 1
    thread = oai.beta.threads.create(tool_resources={"file_search": {"vector_store_ids": ids,
                                                                     "vector_stores": [{"file_ids": []}]}})
    thread_ids = thread.to_dict()["tool_resources"]["file_search"]["vector_store_ids"]
    assert thread_ids[0] == ids[0] and len(thread_ids) == 2


def test_a_refused_request_creates_no_vector_store() -> None:
    _, oai = _world()
    asst = oai.beta.assistants.create(model="gpt-4o")
    helper = {"file_search": {"vector_stores": [{"file_ids": []}]}}
    with pytest.raises(openai.BadRequestError):
        oai.beta.threads.create_and_run(assistant_id=asst.id, temperature=9,
                                        thread={"tool_resources": helper})
    with pytest.raises(openai.NotFoundError):
        oai.beta.assistants.create(model="gpt-4o", tool_resources={
            "file_search": {"vector_stores": [{"file_ids": []}], "vector_store_ids": ["vs_missing"]}})
    assert oai.vector_stores.list().data == []
    fresh = oai.vector_stores.create()
    _, untouched = _world()
    untouched.beta.assistants.create(model="gpt-4o")
    assert fresh.id == untouched.vector_stores.create().id  # no id was used up by the refusals


def test_an_assistant_naming_a_deleted_vector_store_can_still_be_modified() -> None:
    _, oai = _world()
    store = oai.vector_stores.create()
    asst = oai.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}],
                                      tool_resources={"file_search": {"vector_store_ids": [store.id]}})
    oai.vector_stores.delete(store.id)
    renamed = oai.beta.assistants.update(asst.id, name="renamed")
    assert renamed.name == "renamed"
    assert renamed.to_dict()["tool_resources"] == {"file_search": {"vector_store_ids": [store.id]}}
    with pytest.raises(openai.NotFoundError, match="No vector store found"):  # naming it anew is refused
        oai.beta.assistants.update(asst.id, tool_resources={"file_search": {"vector_store_ids": [store.id]}})


@pytest.mark.parametrize(("limit", "ok"), [(10_000, True), (10_001, False), (0, False)])
def test_the_files_list_takes_up_to_ten_thousand_a_page(limit: int, ok: bool) -> None:
    sim, _ = _world()
    if ok:
        assert sim.list_files(limit=limit)["data"] == []
    else:
        with pytest.raises(APIError, match="expected an integer from 1 to 10,000"):
            sim.list_files(limit=limit)
