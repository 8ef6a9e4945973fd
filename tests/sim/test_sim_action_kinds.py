"""Kinds of script action of your own: the simulator, its wire and scenario files act on their declarations.

Each kind here declares afresh what a built-in kind declares (none subclasses one), so each test
fails where a built-in kind is recognised by its class instead of by what it declares.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_sim_scenario_format import actions, one_assistant, says, seconds, texts, tokens

from runfsm import spec
from runfsm.sim import (
    ACTION_TYPES,
    SCENARIO_KEY,
    CallFunctions,
    Citation,
    Clock,
    CodeInterpreter,
    Fail,
    FunctionCall,
    QueueDelay,
    QueueStall,
    Say,
    Scenario,
    ScenarioError,
    ScriptAction,
    ScriptError,
    SimConfig,
    Simulator,
    format_scenario,
    load_scenario,
    parse_scenario,
    run_scenario,
)
from runfsm.sim._clock import DEFAULT_START
from runfsm.sim._responses import ResponsesBackend
from runfsm.sim._scenario_format import action_kinds
from runfsm.sim._script import estimate_tokens


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
    images: tuple[bytes, ...] = field(default=(), metadata={SCENARIO_KEY: None})

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
    """Writes a message citing files, as Say does; its citations are ``cite`` in a scenario file."""

    KEY: ClassVar[str] = "quote"
    STEP: ClassVar[str] = spec.STEP_MESSAGE_CREATION

    text: str
    citations: tuple[Citation, ...] = field(default=(), metadata={SCENARIO_KEY: "cite"})
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


@dataclass(frozen=True, slots=True)
class Hold(ScriptAction):
    """The queue holds the run ``duration`` seconds: ``queue = "hold"``, beside QueueDelay and QueueStall."""

    KEY: ClassVar[str] = "queue"
    KEY_VALUE: ClassVar[object] = "hold"
    in_queue = True

    duration: float = 5
    tags: tuple[str, ...] = ()


KINDS = (Notebook, Ask, Quote, Overload, Hold)
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


def _responses(ours: list[ScriptAction], builtin: list[ScriptAction]) -> tuple[Any, Any]:
    """What a background response of each script shows once its actions are done."""
    shown = []
    for script in (ours, builtin):
        backend = ResponsesBackend(Clock(), seed=3, script=script)
        r = backend.create(model="gpt-4o", input="hi", background=True)
        assert isinstance(r, dict)
        backend.clock.advance(30)
        shown.append(backend.retrieve(r["id"]))
    return shown[0], shown[1]


@pytest.mark.parametrize(("ours", "builtin", "status"), [
    ([Quote("Hello there.")], [Say("Hello there.")], "completed"),
    ([Ask((FunctionCall("f", {"x": 1}),))], [CallFunctions((FunctionCall("f", {"x": 1}),))], "completed"),
    ([Hold(duration=4), Quote("late")], [QueueDelay(4), Say("late")], "completed"),
    ([Overload("rate_limit_exceeded", during=Quote("half"))],
     [Fail("rate_limit_exceeded", "Overloaded (rate_limit_exceeded).", duration=2, during=Say("half"))], "failed"),
])
def test_a_response_plays_kinds_of_your_own_by_their_declarations(
        ours: list[ScriptAction], builtin: list[ScriptAction], status: str) -> None:
    mine, theirs = _responses(ours, builtin)
    assert mine == theirs
    assert mine["status"] == status


def test_a_response_refuses_a_kind_of_another_tool_naming_the_tool() -> None:
    with pytest.raises(ScriptError, match=r"\(Notebook\).*its step uses the code_interpreter tool") as err:
        ResponsesBackend(Clock(), script=[Notebook("print(1)")])
    assert "messages and function calls" in str(err.value)
    with pytest.raises(ScriptError, match=r"interrupts \(CodeInterpreter\) uses the code_interpreter tool"):
        ResponsesBackend(Clock(), script=[Fail(during=CodeInterpreter("print(1)"))])


@dataclass(frozen=True, slots=True)
class Deadline(ScriptAction):
    """The run expires while it works: an end the Assistants have and a response has not."""

    KEY: ClassVar[str] = "deadline"
    ENDS: ClassVar[str] = "expire"

    duration: float = 1


def test_a_response_refuses_a_kind_ending_by_a_trigger_it_has_no_edge_for() -> None:
    with pytest.raises(ScriptError, match=r"\(Deadline\).*ends by 'expire', which a response has no edge for"):
        ResponsesBackend(Clock(), script=[Deadline()])
    # the same end on the queue is a stall, which a response plays (it stays queued)
    backend = ResponsesBackend(Clock(), script=[QueueStall()])
    r = backend.create(model="gpt-4o", input="hi", background=True)
    assert isinstance(r, dict)
    backend.clock.advance(600)
    assert backend.retrieve(r["id"])["status"] == "queued"


SCENARIO = """\
name = "own kinds"

[[files]]
name = "doc.txt"
text = "the answer is 42"

[[assistants]]
name = "bot"
tools = [{ type = "function", function = { name = "f" } }, { type = "code_interpreter" }, { type = "file_search" }]
script = [
  { queue = "hold", duration = 3, tags = ["slow"] },
  { ask = [{ name = "f", arguments = "{}" }], duration = 1 },
  { notebook = "print(42)", logs = "42\\n", duration = 1 },
  { quote = "see 【1】", cite = [{ marker = "【1】", file = "doc.txt" }], duration = 1 },
  { overload = "rate_limit_exceeded", duration = 1, during = { quote = "【2】 and so", cite = [{ marker = "【2】", file = "doc.txt" }], duration = 0.5 } },
]

[[threads]]
name = "main"
messages = [{ role = "user", content = "hi", attach = ["doc.txt"] }]

[[client]]
do = "create_run"

[[client]]
do = "poll"
until = "stop"

[[client]]
do = "submit_tool_outputs"
outputs = ["ok"]

[[client]]
do = "poll"

[[expect]]
status = "failed"
history = ["queued", "in_progress", "requires_action", "queued", "in_progress", "failed"]
steps = ["tool_calls", "tool_calls", "message_creation", "message_creation"]
"""


def test_a_scenario_file_reads_and_plays_kinds_of_your_own() -> None:
    scenario = parse_scenario(SCENARIO, "own.toml", actions=KINDS)
    assert scenario.assistants[0]["script"] == (
        Hold(3, ("slow",)), Ask((FunctionCall("f"),), 1), Notebook("print(42)", "42\n", 1),
        Quote("see 【1】", (Citation("【1】", "<file:doc.txt>"),), 1),
        Overload("rate_limit_exceeded", 1, during=Quote("【2】 and so", (Citation("【2】", "<file:doc.txt>"),), 0.5)))
    result = run_scenario(scenario)
    assert result.failures == [] and result.checked == 3  # status, history, steps
    sim = result.sim
    [run] = sim.list_runs(result.threads["main"])["data"]
    assert run["last_error"] == {"code": "rate_limit_exceeded", "message": "Overloaded (rate_limit_exceeded)."}
    [doc] = [f["id"] for f in sim.list_files()["data"] if f["filename"] == "doc.txt"]
    cited = [a["file_citation"]["file_id"] for m in sim.list_messages(result.threads["main"])["data"]
             for part in m["content"] for a in part["text"]["annotations"]]
    assert cited == [doc, doc]  # the file's id, in the kind's own citations and in the one it interrupted


@dataclass(frozen=True, slots=True)
class Picky(ScriptAction):
    KEY: ClassVar[str] = "picky"
    STEP: ClassVar[str] = spec.STEP_MESSAGE_CREATION

    text: str
    citations: tuple[Citation, ...] = ()

    def __post_init__(self) -> None:
        if not self.text.endswith("."):
            raise ValueError("a sentence ends with a full stop")


def test_a_kind_refusing_its_values_in_its_own_words_is_a_scenario_error() -> None:
    text = SCENARIO.replace('{ queue = "hold", duration = 3, tags = ["slow"] },', '{ picky = "no stop" },')
    with pytest.raises(ScenarioError, match=r"script\[0\]: Picky refused these values: ValueError: a sentence ends "
                                            "with a full stop") as err:
        parse_scenario(text, actions=[*KINDS, Picky])
    assert isinstance(err.value.__cause__, ValueError)
    assert parse_scenario(text.replace("no stop", "a stop."), actions=[*KINDS, Picky]).assistants[0]["script"][0] == \
        Picky("a stop.")


def test_load_scenario_takes_kinds_too(tmp_path: Any) -> None:
    path = tmp_path / "own.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert load_scenario(path, actions=KINDS) == parse_scenario(SCENARIO, str(path), actions=KINDS)


@pytest.mark.parametrize(("action", "says"), [
    ('{ overload = "server_error" }', "exactly one of say, call, code, file_search, fail, run_out_of_tokens, queue;"),
    ('{ queue = "hold" }', 'queue is a number or "stall", got \'hold\''),
])
def test_without_its_kind_a_file_names_the_keys_it_knows(action: str, says: str) -> None:
    text = f'[[assistants]]\nname = "bot"\nscript = [{action}]\n'
    with pytest.raises(ScenarioError, match=r"bot.toml: assistants\[0\].script\[0\]: ") as err:
        parse_scenario(text, "bot.toml")
    assert says in str(err.value)
    assert parse_scenario(text, "bot.toml", actions=KINDS).assistants[0]["script"][0] in (
        Overload("server_error"), Hold())


@pytest.mark.parametrize(("action", "says"), [
    ('{ queue = 2, tags = [] }', "unknown key 'tags'"),  # a QueueDelay's, not a Hold's
    ('{ queue = "hold", tags = [1] }', "'tags' must be an array of str"),
    ('{ overload = 5 }', "'overload' must be str, got int 5"),
    ('{ overload = "x", retry_after = 1.5 }', "'retry_after' must be int"),
    ('{ overload = "x", during = { quote = 5 } }', "script[0].during: 'quote' must be str"),
    ('{ ask = [{ arguments = "{}" }] }', "ask[0]: missing required key 'name'"),
    ('{ quote = "a", cite = [{ marker = "a", file = "nope" }] }', "no [[files]] entry named 'nope'"),
    ('{ notebook = "x", images = [] }', "unknown key 'images'"),
])
def test_a_kind_of_your_own_is_checked_as_the_built_in_ones_are(action: str, says: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(f'[[assistants]]\nname = "bot"\nscript = [{action}]\n', "bot.toml", actions=KINDS)
    assert says in str(err.value)


def quotes(file_names: list[str]) -> st.SearchStrategy[Quote]:
    return says(file_names).map(lambda s: Quote(s.text, s.citations, s.duration, s.prompt_tokens, s.completion_tokens))


def own_actions(file_names: list[str]) -> st.SearchStrategy[ScriptAction]:
    """A kind of this module's, with any of its fields the format can hold."""
    calls = st.lists(st.builds(FunctionCall, texts.filter(bool), st.dictionaries(texts, texts, max_size=2)),
                     min_size=1, max_size=2).map(tuple)
    return st.one_of(
        st.builds(Notebook, texts, texts, seconds, tokens, tokens),
        st.builds(Ask, calls, seconds, tokens, tokens),
        quotes(file_names),
        st.builds(Overload, texts, seconds, tokens,
                  st.one_of(st.none(), says(file_names), quotes(file_names))),
        st.builds(Hold, seconds, st.lists(texts, max_size=2).map(tuple)),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    file_names = draw(st.lists(st.text(min_size=1, max_size=8), max_size=2, unique=True))
    script = tuple(draw(st.lists(st.one_of(own_actions(file_names), actions(file_names)), max_size=5)))
    files = tuple({"name": n, "text": "x", "purpose": "assistants"} for n in file_names)
    return dataclasses.replace(one_assistant(script), files=files)


@given(scenarios())
def test_kinds_of_your_own_read_back_as_written(scenario: Scenario) -> None:
    text = format_scenario(scenario)
    again = parse_scenario(text, source=scenario.source, actions=KINDS)
    assert again == scenario, text
    assert format_scenario(again) == text


def test_what_an_absent_key_reads_as_is_left_out_and_other_defaults_are_written() -> None:
    text = format_scenario(one_assistant((Hold(), Overload("x"), Notebook("1"))))
    assert 'script = [{ queue = "hold", duration = 5 }, { overload = "x", duration = 2 }, ' \
           '{ notebook = "1", logs = "", duration = 1 }]' in text


def test_a_field_the_format_has_no_syntax_for_is_refused_when_written() -> None:
    with pytest.raises(ScenarioError, match="notebook action cannot hold images"):
        format_scenario(one_assistant((Notebook("plot()", images=(b"\x89PNG",)),)))


@dataclass(frozen=True, slots=True)
class Shout(ScriptAction):
    KEY: ClassVar[str] = "say"  # Say's: a file could not tell them apart

    text: str


@dataclass(frozen=True, slots=True)
class Stuck(ScriptAction):
    KEY: ClassVar[str] = "queue"
    KEY_VALUE: ClassVar[object] = "stall"  # QueueStall's


@dataclass(frozen=True, slots=True)
class Wait(ScriptAction):
    KEY: ClassVar[str] = "queue"

    minutes: float  # its value would be QueueDelay's


@dataclass(frozen=True, slots=True)
class Misnamed(ScriptAction):
    KEY: ClassVar[str] = "misnamed"
    KEY_FIELD: ClassVar[str | None] = "nothing"

    something: str = ""


@dataclass(frozen=True, slots=True)
class Unkeyed(ScriptAction):
    duration: float = 1


@dataclass(frozen=True, slots=True)
class Ping(ScriptAction):
    KEY: ClassVar[str] = "ping"

    pong: str = ""  # Pong's key


@dataclass(frozen=True, slots=True)
class Pong(ScriptAction):
    KEY: ClassVar[str] = "pong"

    ping: str = ""  # Ping's key


@pytest.mark.parametrize(("kinds", "says"), [
    ([Shout], "Say, Shout share the key 'say'"),
    ([Stuck], "QueueDelay, QueueStall, Stuck share the key 'queue'"),
    ([Wait], "QueueDelay, QueueStall, Wait share the key 'queue'"),
    ([Misnamed], "Misnamed: KEY_FIELD 'nothing' is not one of its fields"),
    ([Ping, Pong], "Ping and Pong each have a field keyed as the other kind"),
    ([Unkeyed], "ScriptAction subclass that declares its KEY"),
    ([Say("hi")], "ScriptAction subclass that declares its KEY"),
])
def test_a_kind_a_file_cannot_hold_is_refused_before_reading(kinds: list[Any], says: str) -> None:
    with pytest.raises(ScriptError, match=says):
        parse_scenario('name = "x"\n', actions=kinds)


@dataclass(frozen=True, slots=True)
class Busy(ScriptAction):
    """Its fields have the keys of built-in kinds: ``code`` (CodeInterpreter's), ``say`` (Say's)."""

    KEY: ClassVar[str] = "busy"
    ENDS: ClassVar[str] = "fail"

    code: str = "rate_limit_exceeded"
    say: str = ""


def test_a_field_may_have_another_kinds_key() -> None:
    busy = Busy("server_error", "sorry")
    text = format_scenario(one_assistant((busy, Ping("x"))))
    assert '{ busy = true, code = "server_error", say = "sorry" }' in text
    assert parse_scenario(text, actions=[Busy, Ping]).assistants[0]["script"] == (busy, Ping("x"))
    with pytest.raises(ScenarioError, match=r"exactly one of .*; got say, code, fail, busy"):
        parse_scenario(text.replace("busy = true, ", 'busy = true, fail = "server_error", '), actions=[Busy, Ping])
    with pytest.raises(ScenarioError, match=r"unknown key .logs.\. Known keys: busy, code, say\."):
        parse_scenario(text.replace("busy = true, ", "busy = true, logs = 1, "), actions=[Busy, Ping])


@pytest.mark.parametrize(("action", "error", "says"), [
    (Shout("hi"), ScriptError, "share the key 'say'"),
    (Unkeyed(), ScenarioError, "no scenario syntax for script action Unkeyed"),
])
def test_a_kind_a_file_cannot_hold_is_refused_before_writing(action: ScriptAction, error: type, says: str) -> None:
    with pytest.raises(error, match=says):
        format_scenario(one_assistant((action,)))  # type: ignore[arg-type]


def test_the_built_in_kinds_are_told_apart_by_their_keys() -> None:
    kinds = action_kinds()
    assert [c for k in kinds.values() for c in k] == list(ACTION_TYPES)
    assert kinds["queue"] == (QueueDelay, QueueStall)
    assert list(action_kinds(KINDS)) == [*kinds, "notebook", "ask", "quote", "overload"]
    assert action_kinds(KINDS)["queue"] == (QueueDelay, QueueStall, Hold)
    assert action_kinds([Say, Hold]) == action_kinds([Hold])  # a built-in kind counts once


def test_a_scenario_with_every_kind_plays_from_its_start() -> None:
    scenario = dataclasses.replace(parse_scenario(SCENARIO, actions=KINDS), start=DEFAULT_START)
    assert run_scenario(scenario).ok
