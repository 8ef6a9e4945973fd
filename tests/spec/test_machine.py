"""The transitions machine built from the spec agrees with the compiled tables."""

from __future__ import annotations

import pytest

import runfsm
from runfsm._machine import LifecycleObject, Message, Run, RunStep, build_machine
from runfsm.lifecycle import profile

KINDS = {"run": Run, "run_step": RunStep, "message": Message}


def _put(obj: LifecycleObject, status: str) -> None:
    # Test-only: place the machine in a status directly (callers use triggers).
    obj._machine.set_state(status, model=obj)


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_machine_and_tables_agree_on_every_status_trigger_pair(kind: str, strict: bool, version: str) -> None:
    lc = profile(version).lifecycle(kind)
    table = lc.by_trigger_strict if strict else lc.by_trigger
    for status in lc.order:
        for trigger in lc.triggers:
            obj = KINDS[kind]("obj_1", strict=strict, version=version)
            _put(obj, status)
            edge = table.get((status, trigger))
            if edge is None:
                with pytest.raises(runfsm.IllegalTransition) as info:
                    getattr(obj, trigger)()
                assert obj.state == status  # nothing moved
                assert info.value.trigger == trigger and "obj_1" in str(info.value)
                assert set(info.value.legal) == {t for (s, t) in table if s == status}
            else:
                assert getattr(obj, trigger)() == edge
                assert obj.state == edge.dest
                assert lc.is_legal(status, edge.dest, strict)


def test_a_run_walks_the_function_call_path_and_records_history() -> None:
    run = runfsm.Run("run_abc")
    for trigger in ("start", "require_action", "submit_tool_outputs", "start", "complete"):
        run.fire(trigger)
    assert run.history == ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed"]
    assert run.is_terminal and run.available_triggers() == []
    with pytest.raises(runfsm.IllegalTransition, match="is terminal"):
        run.cancel()
    with pytest.raises(runfsm.IllegalTransition, match="not a trigger"):
        run.fire("explode")


def test_strict_refuses_inferred_edges_tolerant_accepts_them() -> None:
    with pytest.raises(runfsm.IllegalTransition, match="inferred edge"):
        runfsm.Run(strict=True).cancel()
    run = runfsm.Run()
    assert run.cancel().inferred and run.status == "cancelling"


def test_build_machine_has_no_auto_transitions() -> None:
    class Model:
        state: str

    m = Model()
    build_machine(runfsm.RUN, model=m)
    assert not hasattr(m, "to_completed")
    assert m.state == "queued"
