"""Strategies that yield what client code consumes: the openai SDK's own model objects."""

from __future__ import annotations

import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from openai.types.beta.threads import Message, Run
from openai.types.beta.threads.runs import RunStep

from runfsm import spec
from runfsm import strategies as rs
from runfsm.errors import SpecError

SDK_TYPE = {spec.OBJECT_TYPES["run"]: Run, spec.OBJECT_TYPES["run_step"]: RunStep,
            spec.OBJECT_TYPES["message"]: Message}


# v1's `retrieval` tool is unknown to today's SDK types: it parses leniently (as for a v1 recording) and
# pydantic warns when such a model is dumped again.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("version", spec.VERSIONS)
@given(data=st.data())
def test_as_sdk_gives_the_sdks_type_and_loses_nothing(version: str, data: st.DataObject) -> None:
    wire = data.draw(rs.wire_objects(version=version))
    obj = rs.as_sdk(wire)
    assert isinstance(obj, SDK_TYPE[wire["object"]])
    assert obj.to_dict() == wire  # every key and value survives, as when the SDK parses a response


@pytest.mark.parametrize("kind", rs.KINDS)
def test_sdk_true_on_each_kind(kind: str) -> None:
    found = find(rs.wire_objects(kind, sdk=True), lambda o: True)
    assert isinstance(found, SDK_TYPE[spec.OBJECT_TYPES[kind]])


@given(rs.run_histories(sdk=True))
def test_run_histories_as_sdk_runs_keep_the_path(history: list[Run]) -> None:
    assert all(isinstance(r, Run) for r in history)
    assert history[-1].status in {s.status for s in spec.RUN_STATUSES if s.klass == spec.TERMINAL}


@given(rs.runs("requires_action", sdk=True))
def test_a_paused_run_has_the_sdks_required_action(run: Run) -> None:
    assert run.required_action is not None
    assert run.required_action.submit_tool_outputs.tool_calls[0].type == spec.PAUSING_TOOL_CALL_TYPE


@given(rs.runs("completed", sdk=True))
def test_a_completed_run_has_no_required_action_to_read(run: Run) -> None:
    assert run.required_action is None  # the crash check_client's `crashed` verdict is about


def test_as_sdk_refuses_what_is_not_a_run_step_or_message() -> None:
    with pytest.raises(SpecError, match=r"object 'thread' is none of thread\.run"):
        rs.as_sdk({"object": "thread", "id": "thread_1"})
