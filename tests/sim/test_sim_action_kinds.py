"""Kinds of script action of your own: the simulator and its wire act on their declarations.

Each kind here declares afresh what a built-in kind declares (none subclasses one), so each test
fails where a built-in kind is recognised by its class instead of by what it declares.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from runfsm import spec
from runfsm.sim import (
    CallFunctions,
    Citation,
    CodeInterpreter,
    FunctionCall,
    Say,
    SimConfig,
    Simulator,
    parse_scenario,
    run_scenario,
)
from runfsm.sim._script import ScriptAction, estimate_tokens


@dataclass(frozen=True, slots=True)
class Notebook(ScriptAction):
    """Runs code in the code interpreter, as CodeInterpreter does."""

    KEY: ClassVar[str] = "notebook"
    TOOL: ClassVar[str] = "code_interpreter"
    STEP: ClassVar[str] = spec.STEP_TOOL_CALLS

    input: str
    logs: str = ""
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    images: tuple[bytes, ...] = ()

    @property
    def estimate(self) -> int:
        return estimate_tokens(self.input)


@dataclass(frozen=True, slots=True)
class Ask(ScriptAction):
    """Calls functions and waits for their outputs, as CallFunctions does."""

    KEY: ClassVar[str] = "ask"
    TOOL: ClassVar[str] = spec.PAUSING_TOOL_CALL_TYPE
    STEP: ClassVar[str] = spec.STEP_TOOL_CALLS

    calls: tuple[FunctionCall, ...]
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def estimate(self) -> int:
        return sum(estimate_tokens(c.name + c.arguments) for c in self.calls)


@dataclass(frozen=True, slots=True)
class Quote(ScriptAction):
    """Writes a message citing files, as Say does."""

    KEY: ClassVar[str] = "quote"
    STEP: ClassVar[str] = spec.STEP_MESSAGE_CREATION

    text: str
    citations: tuple[Citation, ...] = ()
    duration: float = 1
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def estimate(self) -> int:
        return estimate_tokens(self.text)


@dataclass(frozen=True, slots=True)
class Overload(ScriptAction):
    """The model is overloaded: the run fails with ``code``, interrupting ``during``."""

    KEY: ClassVar[str] = "overload"
    ENDS: ClassVar[str] = "fail"

    code: str
    duration: float = 2
    retry_after: int | None = None
    during: Say | Quote | None = None

    @property
    def error_message(self) -> str:
        return f"Overloaded ({self.code})."


TOOLS = [{"type": "function", "function": {"name": "f"}}, {"type": "code_interpreter"}, {"type": "file_search"}]


def _same_run(ours: list[ScriptAction], builtin: list[ScriptAction], stream: bool) -> tuple[Any, Any]:
    """What a run of each script shows: its steps and run (and its stream events), with the same seed."""
    shown = []
    for script in (ours, builtin):
        sim = Simulator(seed=3, script=script, config=SimConfig(trace=False))
        asst = sim.create_assistant(model="gpt-4o", tools=TOOLS)
        thread = sim.create_thread(messages=[{"role": "user", "content": "hi"}])
        run = sim.create_run(thread["id"], assistant_id=asst["id"], stream=stream)
        events = list(run) if stream else []
        run_id = events[0][1]["id"] if stream else run["id"]
        sim.advance(5)
        paused = sim.retrieve_run(thread["id"], run_id)
        steps = sim.list_run_steps(thread["id"], run_id, order="asc")["data"]
        shown.append((events, paused, steps))
    return shown[0], shown[1]


@pytest.mark.parametrize("stream", [False, True])
def test_a_kind_declaring_the_code_interpreter_shows_its_calls_and_outputs(stream: bool) -> None:
    ours, builtin = _same_run([Notebook("print(6 * 7)", "42\n")], [CodeInterpreter("print(6 * 7)", "42\n")], stream)
    assert ours == builtin
    call = ours[2][0]["step_details"]["tool_calls"][0]
    assert call["code_interpreter"] == {"input": "print(6 * 7)", "outputs": [{"type": "logs", "logs": "42\n"}]}
    if stream:  # the delta that shows the outputs once the call finished
        deltas = [d["delta"]["step_details"]["tool_calls"] for name, d in ours[0] if name == "thread.run.step.delta"]
        assert deltas[-1] == [{"index": 0, "type": "code_interpreter", "code_interpreter": {
            "outputs": [{"index": 0, "type": "logs", "logs": "42\n"}]}}]


@pytest.mark.parametrize("stream", [False, True])
def test_a_kind_declaring_the_function_tool_shows_its_calls(stream: bool) -> None:
    calls = (FunctionCall("f", {"x": 1}), FunctionCall("f", {"x": 2}))
    ours, builtin = _same_run([Ask(calls)], [CallFunctions(calls)], stream)
    assert ours == builtin
    assert ours[1]["status"] == "requires_action"
    assert [c["function"]["arguments"] for c in ours[2][0]["step_details"]["tool_calls"]] == ['{"x": 1}', '{"x": 2}']


SCENARIO = """\
name = "own kinds"

[[files]]
name = "doc.txt"
text = "the answer is 42"

[[assistants]]
name = "bot"
script = []

[[threads]]
name = "main"
messages = [{ role = "user", content = "hi", attach = ["doc.txt"] }]

[[client]]
do = "create_run"

[[client]]
do = "poll"

[[expect]]
status = "failed"
history = ["queued", "in_progress", "failed"]
steps = ["message_creation", "message_creation"]
"""


def test_a_scenario_gives_kinds_of_your_own_the_ids_of_the_files_they_cite() -> None:
    scenario = parse_scenario(SCENARIO, "own.toml")
    script = (Quote("see 【1】", (Citation("【1】", "<file:doc.txt>"),), 1),
              Overload("rate_limit_exceeded", 1,
                       during=Quote("【2】 and so", (Citation("【2】", "<file:doc.txt>"),), 0.5)))
    scenario = dataclasses.replace(scenario, assistants=({**scenario.assistants[0], "script": script},))
    result = run_scenario(scenario)
    assert result.failures == [] and result.checked == 3  # status, history, steps
    sim = result.sim
    [doc] = [f["id"] for f in sim.list_files()["data"] if f["filename"] == "doc.txt"]
    cited = [a["file_citation"]["file_id"] for m in sim.list_messages(result.threads["main"])["data"]
             for part in m["content"] for a in part["text"]["annotations"]]
    assert cited == [doc, doc]  # the file's id, in the kind's own citations and in the one it interrupted
