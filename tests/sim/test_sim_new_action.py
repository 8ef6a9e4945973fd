"""A new kind of script action is declared in one place: the simulator acts on its declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from runfsm import spec
from runfsm.sim import ScriptError, SimConfig, Simulator
from runfsm.sim._script import Say, ScriptAction


@dataclass(frozen=True, slots=True)
class Overload(ScriptAction):
    """The model is overloaded: the run fails after ``duration`` (a kind the engine has never heard of)."""

    ENDS: ClassVar[str] = "fail"

    duration: float = 2
    code: str = "rate_limit_exceeded"
    during: Say | None = None

    @property
    def error_message(self) -> str:
        return f"Overloaded ({self.code})."


@dataclass(frozen=True, slots=True)
class Hold(ScriptAction):
    """The queue holds the run ``duration`` seconds, then starts it."""

    in_queue = True

    duration: float = 5


@dataclass(frozen=True, slots=True)
class Vanish(ScriptAction):
    """The run ends by a trigger no run has."""

    ENDS: ClassVar[str] = "vanish"


def _run(script: list[object], **config: object) -> tuple[Simulator, dict[str, object]]:
    sim = Simulator(seed=1, script=script, config=SimConfig(**config))  # type: ignore[arg-type]
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread()
    return sim, sim.create_run(thread["id"], assistant_id=asst["id"])


@pytest.mark.parametrize("duration", [0, 2, 7])
def test_a_new_ending_action_ends_the_run_by_its_trigger_after_its_duration(duration: float) -> None:
    sim, run = _run([Say("hi", duration=1), Overload(duration, during=Say("half a sentence", duration=10))])
    sim.advance(100)
    start = sim.timeline(run["id"])[0][0]  # type: ignore[arg-type]
    assert [(t - start, s) for t, s in sim.timeline(run["id"])] == [  # type: ignore[arg-type]
        (0, "queued"), (1, "in_progress"), (2 + duration, "failed")]
    run = sim.retrieve_run(run["thread_id"], run["id"])  # type: ignore[arg-type]
    assert run["last_error"] == {"code": "rate_limit_exceeded", "message": "Overloaded (rate_limit_exceeded)."}
    steps = sim.list_run_steps(run["thread_id"], run["id"], order="asc")["data"]  # type: ignore[arg-type]
    assert [s["type"] for s in steps] == [spec.STEP_MESSAGE_CREATION] * 2  # the interrupted Say made its step
    assert [s["status"] for s in steps] == ["completed", "failed"]


@pytest.mark.parametrize("hold", [0, 3, 9])
def test_a_new_queue_action_holds_the_queue_for_its_duration(hold: float) -> None:
    sim, run = _run([Hold(hold), Say("hi", duration=1)])
    sim.advance(100)
    start = sim.timeline(run["id"])[0][0]  # type: ignore[arg-type]
    assert [(t - start, s) for t, s in sim.timeline(run["id"])] == [  # type: ignore[arg-type]
        (0, "queued"), (hold, "in_progress"), (hold + 1, "completed")]


def test_a_queue_action_out_of_place_is_named() -> None:
    with pytest.raises(ScriptError, match="Hold"):
        _run([Say("hi"), Hold(1)])


def test_an_end_no_run_has_is_refused_with_what_is_legal() -> None:
    sim, run = _run([Vanish()])
    with pytest.raises(ScriptError, match=r"cannot end a run by 'vanish' \(Vanish\); a script ends it by fail, "
                                          r"run_out_of_tokens, expire"):
        sim.advance(1)
    assert sim.retrieve_run(run["thread_id"], run["id"])["status"] == "failed"  # type: ignore[arg-type]
