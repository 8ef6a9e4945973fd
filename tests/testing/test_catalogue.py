"""The behaviour catalogue is derived from the spec and reaches every transition of it."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from runfsm import spec
from runfsm.explore import Target, reached_targets, targets
from runfsm.lifecycle import profile
from runfsm.sim import Simulator
from runfsm.testing import UNREACHABLE, CheckError, catalogue, check_client, default_tools

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]


def diligent(client: openai.OpenAI, sim: Simulator, assistant_id: str, thread_id: str) -> set[Target]:
    """A correct client (the SDK's poll helpers); returns what its runs went through."""
    run = client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    while run.status == "requires_action":
        calls = run.required_action.submit_tool_outputs.tool_calls
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": c.id, "output": "ok"} for c in calls])
    return reached_targets(sim)


@pytest.mark.parametrize("version", spec.VERSIONS)
@pytest.mark.parametrize("strict", [False, True], ids=["tolerant", "strict"])
def test_every_transition_of_the_spec_is_reached_by_some_behaviour(version: str, strict: bool) -> None:
    report = check_client(diligent, version=version, strict=strict)
    assert report.ok, report.table()
    reached: set[Target] = set().union(*(o.returned for o in report.outcomes))
    wanted = {t for t in targets(profile(version), strict=strict) if t.trigger is not None}
    excluded = {t for t in wanted if (t.kind, t.trigger) in UNREACHABLE}
    missing = sorted(map(str, wanted - excluded - reached))
    assert not missing, f"no behaviour reaches: {missing}: give the trigger a recipe in runfsm/testing/_catalogue.py"
    assert not (excluded & reached), "a transition listed as unreachable is reached: drop it from UNREACHABLE"


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_the_catalogue_follows_the_spec_domains(version: str) -> None:
    prof = profile(version)
    names = [b.name for b in catalogue(version)]
    assert len(names) == len(set(names))
    assert [n for n in names if n.startswith("fails_") and "in_queue" not in n] == [
        f"fails_{code}" for code in spec.RUN_ERROR_CODES]
    has_budgets = "run_out_of_tokens" in prof.run.triggers
    assert [n for n in names if n.startswith("incomplete_")] == (
        [f"incomplete_{r}" for r in spec.RUN_INCOMPLETE_REASONS] if has_budgets else [])
    cancel_sources = [t.source for t in prof.run.transitions if t.trigger == "cancel"]
    assert [n for n in names if n.startswith("cancelled_while_")] == [f"cancelled_while_{s}" for s in cancel_sources]
    assert prof.tool_call_types[1] in names  # file_search in v2, retrieval in v1


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_strict_leaves_out_exactly_the_behaviours_that_take_inferred_edges(version: str) -> None:
    tolerant = catalogue(version)
    strict = catalogue(version, strict=True)
    assert [b for b in tolerant if not b.inferred] == list(strict)
    assert any(b.inferred for b in tolerant)


def test_scripted_calls_use_the_callers_functions_and_sample_arguments() -> None:
    tools = [{"type": "function", "function": {"name": "lookup_order", "parameters": {
        "type": "object", "properties": {"id": {"type": "integer"}, "note": {"type": "string"}},
        "required": ["id", "note"]}}}]
    behaviour = next(b for b in catalogue(tools=tools) if b.name == "requires_action")
    call = behaviour.script[0].calls[0]  # type: ignore[union-attr]
    assert call.name == "lookup_order"
    assert call.arguments == '{"id": 1, "note": "Paris"}' or call.arguments == {"id": 1, "note": "Paris"}
    given = next(b for b in catalogue(tools=tools, arguments={"lookup_order": {"id": 7}})
                 if b.name == "requires_action")
    assert "7" in str(given.script[0].calls[0].arguments)  # type: ignore[union-attr]


@pytest.mark.parametrize("tools", [[], [{"type": "code_interpreter"}], [{"type": "function"}]])
def test_tools_without_a_function_are_refused(tools: list[dict[str, Any]]) -> None:
    with pytest.raises(CheckError, match="at least one function tool"):
        catalogue(tools=tools)


def test_the_default_tool_is_a_function() -> None:
    assert default_tools()[0]["type"] == spec.PAUSING_TOOL_CALL_TYPE


def test_what_a_behaviour_needs_comes_from_the_tool_each_action_declares() -> None:
    from typing import ClassVar

    from runfsm.sim._responses import FilterContent
    from runfsm.sim._script import CodeInterpreter, Fail, FileSearch, Say
    from runfsm.testing import Behaviour

    class Browses(Say):  # an action no list of classes names: its step uses a tool all the same
        TOOL: ClassVar[str] = "file_search"

    def needs(*script: Any) -> frozenset[str]:
        return Behaviour("b", "", tuple(script)).needs

    assert needs(Browses("hi")) == {"file_search"}
    assert needs(Fail(during=CodeInterpreter("1"))) == {"code_interpreter"}
    assert needs(FileSearch(), Fail(), Say("hi"), FilterContent(), FilterContent(during=Say("x"))) == {"file_search"}
    by_name = {b.name: b.needs for b in catalogue()}
    assert by_name["requires_action"] == {"function"} and by_name["completes"] == frozenset()
    assert by_name["code_interpreter"] == {"code_interpreter"}


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}


def test_slow_queue_keeps_a_response_queued_as_long_as_it_says_and_no_longer() -> None:
    import re
    import time

    from runfsm import responses_spec as rspec
    from runfsm.sim import QueueDelay

    slow = next(b for b in catalogue(protocol="responses") if b.name == "slow_queue")
    delay = sum(a.seconds for a in slow.script if isinstance(a, QueueDelay))
    said = re.fullmatch(r"waits (\w+) minutes in the queue, then completes", slow.description)
    assert said is not None and delay == _NUMBERS[said[1]] * 60  # the description tells the truth
    assert delay < rspec.RESUME_WINDOW_SECONDS  # slow, yet its stream may still be resumed (unlike resume_too_old)

    def polls_every_second(client: openai.OpenAI, sim: Simulator) -> list[tuple[float, str]]:
        r = client.responses.create(model="gpt-4o", input="hi", background=True)
        start, seen = sim.clock.now, [(0.0, r.status)]
        while r.status in rspec.POLL_WHILE:
            time.sleep(1)
            r = client.responses.retrieve(r.id)
            seen.append((sim.clock.now - start, r.status))
        return seen

    outcome = check_client(polls_every_second, protocol="responses", behaviours=[slow], poll_interval=0)["slow_queue"]
    assert outcome.verdict == "ok", outcome.detail
    queued = [t for t, status in outcome.returned if status == "queued"]
    assert queued == [float(t) for t in range(delay)]  # queued from its creation, through second delay - 1
    assert outcome.returned[delay] == (delay, "in_progress")  # started at the second the catalogue declares
    assert outcome.returned[-1][1] == "completed"
