"""A new kind of script action is declared in one place: the simulator acts on its declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from runfsm import spec
from runfsm.sim import FilterContent, ScriptError, SimConfig, Simulator
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


LEGAL_ENDS = r"cannot end a run by 'vanish' \(Vanish\); a script ends it by fail, run_out_of_tokens, expire"


@pytest.mark.parametrize("script", [[Vanish()], [Say("hi"), Say("again"), Vanish()]])
def test_an_end_no_run_has_is_refused_before_the_run_exists(script: list[ScriptAction]) -> None:
    sim = Simulator(script=script)
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    before = sim.list_messages(thread["id"])["data"]
    with pytest.raises(ScriptError, match=r"script action \d: API v2 " + LEGAL_ENDS + "$"):
        sim.create_run(thread["id"], assistant_id=asst["id"])
    assert sim.list_messages(thread["id"])["data"] == before
    assert sim.list_runs(thread["id"])["data"] == []


def test_an_end_no_run_has_from_a_callable_script_fails_the_run_when_reached() -> None:
    sim, run = _run(lambda ctx: Vanish())
    with pytest.raises(ScriptError, match=LEGAL_ENDS):
        sim.advance(1)
    assert sim.retrieve_run(run["thread_id"], run["id"])["status"] == "failed"  # type: ignore[arg-type]


def test_a_responses_only_action_in_an_assistants_script_is_refused_before_the_run_exists() -> None:
    sim = Simulator(script=[Say("hi"), FilterContent(duration=1)])
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread()
    with pytest.raises(ScriptError, match=r"script action 1: API v2 cannot end a run by 'filter_content' "
                                          r"\(FilterContent\)"):
        sim.create_run(thread["id"], assistant_id=asst["id"])
    assert sim.list_runs(thread["id"])["data"] == []
