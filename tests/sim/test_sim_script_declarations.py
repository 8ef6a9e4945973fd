"""Each script action declares the tool and the step it makes; the simulator acts on the declaration."""

from __future__ import annotations

import pytest

from runfsm import spec
from runfsm.sim import ScriptError, Simulator
from runfsm.sim._script import (
    ACTION_TYPES,
    CallFunctions,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    RunOutOfTokens,
    Say,
    step_action,
)


def test_every_action_declares_a_known_tool_and_step() -> None:
    for cls in ACTION_TYPES:
        assert cls.TOOL in (*spec.TOOL_CALL_TYPES[spec.DEFAULT_VERSION], ""), cls
        assert cls.STEP in (*spec.STEP_TYPES, ""), cls
        assert bool(cls.TOOL) == (cls.STEP == spec.STEP_TOOL_CALLS), cls  # a tool step is a tool_calls step


def test_fail_and_run_out_of_tokens_act_through_what_they_interrupt() -> None:
    search = FileSearch()
    assert step_action(Fail("server_error", "boom", during=search)) is search
    assert step_action(RunOutOfTokens(during=Say("cut"))).STEP == spec.STEP_MESSAGE_CREATION
    assert step_action(Fail("server_error", "boom")).TOOL == ""


@pytest.mark.parametrize("action", [CodeInterpreter("print(1)"), FileSearch(),
                                    Fail("server_error", "x", during=CodeInterpreter("1"))])
def test_a_tool_the_run_lacks_is_named_from_the_declaration(action: object) -> None:
    sim = Simulator(seed=1, script=[action])
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread()
    with pytest.raises(ScriptError) as info:
        sim.create_run(thread["id"], assistant_id=asst["id"])
    assert step_action(action).TOOL in str(info.value)  # type: ignore[arg-type]


def test_functions_are_still_checked_by_name() -> None:
    sim = Simulator(seed=1, script=[CallFunctions([FunctionCall("get_weather", {})])])
    asst = sim.create_assistant(model="gpt-4o", tools=[{"type": "function", "function": {"name": "other"}}])
    thread = sim.create_thread()
    with pytest.raises(ScriptError, match="'get_weather'"):
        sim.create_run(thread["id"], assistant_id=asst["id"])
