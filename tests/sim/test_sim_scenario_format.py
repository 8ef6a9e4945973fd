"""The scenario format read and written in one place: writing is the exact inverse of reading.

For any scenario the reader can produce, ``parse(write(s)) == s`` and writing again gives the same
text; every built-in scenario survives parse -> write -> parse.  A writer that dropped one field
(a citation, a token count, a message) would fail the round trip: see the last tests.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm.sim import (
    Action,
    CallFunctions,
    Citation,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
    Scenario,
    ScenarioError,
    SearchResult,
    SimConfig,
    format_scenario,
    parse_scenario,
)
from runfsm.sim import _scenario_format as fmt
from runfsm.sim._builtin import builtin_names, load_builtin
from runfsm.sim._clock import DEFAULT_START
from runfsm.strategies import model_scripts

# Text as the reader can return it: any characters but surrogates (TOML text is UTF-8),
# control characters and DEL included, which the writer must escape.
texts = st.text(max_size=12)
names = st.text(min_size=1, max_size=8)
seconds = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False, allow_infinity=False))
tokens = st.one_of(st.none(), st.integers(0, 2**64))
# JSON-like values TOML can hold: no null, finite numbers, nested a little.
scalars = st.one_of(st.booleans(), st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(texts, inner, max_size=3)), max_leaves=8)
tables = st.dictionaries(texts, values, max_size=3)


def file_ref(file_names: list[str]) -> st.SearchStrategy[str | None]:
    """A citation's file: none, a declared file (its placeholder id), or a raw id."""
    declared = [st.sampled_from([f"<file:{n}>" for n in file_names])] if file_names else []
    return st.one_of(st.none(), texts, *declared)


@st.composite
def says(draw: st.DrawFn, file_names: list[str]) -> Say:
    text = draw(st.text(max_size=20))
    cites = []
    for _ in range(draw(st.integers(0, 2))) if text else ():
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        cites.append(Citation(text[start:end], draw(file_ref(file_names))))
    return Say(text, draw(seconds), draw(tokens), draw(tokens), tuple(cites))


@st.composite
def step_actions(draw: st.DrawFn, file_names: list[str]) -> Say | CallFunctions | CodeInterpreter | FileSearch:
    pick = draw(st.integers(0, 3))
    if pick == 0:
        return draw(says(file_names))
    if pick == 1:
        calls = draw(st.lists(st.builds(FunctionCall, names, st.one_of(tables, tables.map(json.dumps))),
                              min_size=1, max_size=3))
        return CallFunctions(tuple(calls), draw(seconds), draw(tokens), draw(tokens))
    if pick == 2:
        return CodeInterpreter(draw(texts), draw(texts), draw(seconds), draw(tokens), draw(tokens))
    return FileSearch(draw(seconds), draw(tokens), draw(tokens))


@st.composite
def actions(draw: st.DrawFn, file_names: list[str]) -> Action:
    """Any script action with any of its fields the format can hold."""
    pick = draw(st.integers(0, 4))
    if pick == 0:
        return draw(step_actions(file_names))
    if pick == 1:
        code = draw(st.sampled_from(spec.RUN_ERROR_CODES))
        in_queue = draw(st.booleans())
        during = None if in_queue or code not in spec.STEP_ERROR_CODES else draw(
            st.one_of(st.none(), step_actions(file_names)))
        return Fail(code, draw(st.one_of(st.none(), texts)), draw(seconds), during, in_queue)
    if pick == 2:
        return RunOutOfTokens(draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS)), draw(seconds),
                              draw(st.one_of(st.none(), says(file_names))))
    if pick == 3:
        return QueueDelay(draw(seconds))
    return QueueStall()


def scripts(file_names: list[str]) -> st.SearchStrategy[tuple[Action, ...]]:
    return st.lists(actions(file_names), max_size=4).map(tuple)


@st.composite
def configs(draw: st.DrawFn) -> SimConfig:
    inferred = draw(st.booleans())
    return SimConfig(queue_latency=draw(seconds), deadline=draw(st.integers(1, 10**6)), cancel_delay=draw(seconds),
                     inferred=inferred, cancel_race=inferred and draw(st.booleans()),
                     keep_deadline_when_ended=draw(st.booleans()), delta_chars=draw(st.integers(1, 100)),
                     trace=draw(st.booleans()))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def messages(draw: st.DrawFn, file_names: list[str]) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        m: dict[str, Any] = {"role": draw(st.sampled_from(["user", "assistant"])), "content": draw(texts)}
        attach = draw(st.lists(st.sampled_from(file_names), max_size=2)) if file_names else []
        if attach:  # the reader leaves an empty attach out
            m["attach"] = [f"<file:{n}>" for n in attach]
        out.append(m)
    return out


@st.composite
def client_entries(draw: st.DrawFn, file_names: list[str]) -> dict[str, Any]:
    """A [[client]] entry as the reader returns it (optional keys present or not)."""
    do = draw(st.sampled_from(["create_thread", "create_message", "create_run", "create_thread_and_run", "poll",
                               "retrieve_run", "submit_tool_outputs", "cancel", "advance", "list_messages",
                               "list_run_steps"]))
    c: dict[str, Any] = {"do": do}
    maybe = {
        "thread": names, "assistant": names, "metadata": tables, "run": names, "stream": st.booleans(),
        "params": st.dictionaries(st.sampled_from(["instructions", "metadata", "model", "temperature"]), values,
                                  max_size=2),
        "every": st.integers(1, 100) | st.floats(0.5, 100), "until": st.sampled_from(["stop", "terminal"]),
        "max_polls": st.integers(1, 10_000), "order": st.sampled_from(["asc", "desc"]),
        "limit": st.integers(1, 100), "role": st.sampled_from(["user", "assistant"]),
    }
    for key in fmt._CLIENT_KEYS[do]:
        if key in maybe and draw(st.booleans()):
            c[key] = draw(maybe[key])
    if do in ("create_thread", "create_thread_and_run"):
        c["messages"] = draw(messages(file_names))
    if do == "create_message":
        c["content"] = draw(texts)
        c["attach"] = [f"<file:{n}>" for n in (draw(st.lists(st.sampled_from(file_names))) if file_names else [])]
    if do == "submit_tool_outputs":
        c["outputs"] = draw(st.lists(texts, max_size=3))
    if do == "advance":
        c["seconds"] = draw(seconds)
    if draw(st.booleans()):
        c["expect_error"] = draw(st.sampled_from([400, 404]))
    return c


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Scenarios as :func:`parse_scenario` returns them: every key, table and action kind."""
    file_names = draw(st.lists(names, max_size=2, unique=True))
    files = tuple({"name": n, "text": draw(texts), "purpose": draw(st.sampled_from(["assistants", "vision"]))}
                  for n in file_names)
    assistants = tuple(
        {"name": n, "model": draw(names), "instructions": draw(optional(texts)), "description": draw(optional(texts)),
         "tools": draw(st.lists(tables, max_size=2)), "metadata": draw(optional(tables)),
         "script": draw(scripts(file_names))}
        for n in draw(st.lists(names, max_size=2, unique=True)))
    threads = tuple({"name": draw(names), "messages": draw(messages(file_names)), "metadata": draw(optional(tables))}
                    for _ in range(draw(st.integers(0, 2))))
    expect_keys = {"run": names, "status": texts, "message": texts, "history": st.lists(texts, max_size=3),
                   "steps": st.lists(texts, max_size=3)}
    expect = tuple({k: draw(v) for k, v in expect_keys.items() if draw(st.booleans())}
                   for _ in range(draw(st.integers(0, 2))))
    return Scenario(
        name=draw(texts), description=draw(texts), seed=draw(st.integers(-(2**63), 2**63 - 1)),
        start=draw(st.integers(0, 2 * 10**9) | st.floats(0, 2e9)), version=draw(st.sampled_from(spec.VERSIONS)),
        config=draw(configs()), files=files, assistants=assistants, threads=threads,
        client=tuple(draw(st.lists(client_entries(file_names), max_size=4))), expect=expect,
    )


def roundtrips(scenario: Scenario) -> None:
    text = format_scenario(scenario)
    again = parse_scenario(text, source=scenario.source)
    assert again == scenario, text
    assert format_scenario(again) == text


@given(scenarios())
def test_any_scenario_reads_back_as_written(scenario: Scenario) -> None:
    roundtrips(scenario)


def one_assistant(script: tuple[Action, ...], version: str = spec.DEFAULT_VERSION) -> Scenario:
    return Scenario(name="script", description="", seed=0, start=DEFAULT_START, version=version, config=SimConfig(),
                    files=(), assistants=({"name": "model", "model": "gpt-4o", "instructions": None,
                                           "description": None, "tools": [], "metadata": None, "script": script},),
                    threads=(), client=(), expect=())


@given(st.sampled_from(spec.VERSIONS).flatmap(
    lambda v: st.tuples(st.just(v), model_scripts(inferred=True, version=v))))
def test_model_scripts_read_back_as_written(drawn: tuple[str, tuple[Action, ...]]) -> None:
    version, script = drawn
    roundtrips(one_assistant(script, version))


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_survive_parse_write_parse(name: str) -> None:
    scenario = load_builtin(name)
    assert scenario.assistants and scenario.client
    roundtrips(scenario)


def test_every_field_is_written() -> None:
    say = Say("see 【1】", 2.5, 7, 9, (Citation("【1】", "<file:a.txt>"), Citation("see", "file-raw")))
    script = (
        QueueDelay(3), say, CallFunctions((FunctionCall("f", '{"x": 1}'),), 1, 3, 4),
        CodeInterpreter("print(1)", "1\n", 4, 5, 6), FileSearch(2, 1, 0),
        Fail("server_error", "boom", 1.5, CodeInterpreter("x", "")), RunOutOfTokens("max_prompt_tokens", 2, Say("cut")),
        Fail("invalid_prompt", in_queue=True), QueueStall(),
    )
    scenario = Scenario(name="all", description="", seed=0, start=DEFAULT_START, version="v2", config=SimConfig(),
                        files=({"name": "a.txt", "text": "A", "purpose": "assistants"},),
                        assistants=(one_assistant(script).assistants[0],), threads=(), client=(), expect=())
    text = format_scenario(scenario)
    for written in ('cite = [{ marker = "【1】", file = "a.txt" }, { marker = "see", file_id = "file-raw" }]',
                    "prompt_tokens = 7, completion_tokens = 9", 'message = "boom"', "in_queue = true",
                    'during = { say = "cut"', 'run_out_of_tokens = "max_prompt_tokens"', 'queue = "stall"'):
        assert written in text
    roundtrips(scenario)


def test_text_that_toml_must_escape_reads_back() -> None:
    odd = "tab\t nl\n cr\r nul\0 del\x7f quote\" backslash\\ \u2028 \U0001f600"
    roundtrips(one_assistant((Say(odd), CallFunctions((FunctionCall(odd, {odd: [odd]}),)))))


@pytest.mark.parametrize("action, what", [
    (CodeInterpreter("plot()", images=(b"\x89PNG",)), "images"),
    (FileSearch(results=(SearchResult("file-1", "text", 0.5),)), "results"),
    (FileSearch(ranker="auto"), "ranker"),
    (FileSearch(score_threshold=0.5), "score_threshold"),
])
def test_what_the_format_cannot_hold_is_refused_not_dropped(action: Action, what: str) -> None:
    with pytest.raises(ScenarioError, match=what):
        format_scenario(one_assistant((action,)))


@pytest.mark.parametrize("value", [None, math.nan, math.inf, b"bytes", object()])
def test_a_value_toml_cannot_hold_is_a_scenario_error(value: object) -> None:
    with pytest.raises(ScenarioError, match="cannot hold"):
        fmt.toml_value({"key": [value]})


def test_an_attachment_no_file_declares_is_a_scenario_error() -> None:
    bad = dataclasses.replace(one_assistant(()), threads=(
        {"name": "t", "messages": [{"role": "user", "content": "hi", "attach": ["file-raw"]}], "metadata": None},))
    with pytest.raises(ScenarioError, match=r"threads\[0\]: attach names a file"):
        format_scenario(bad)


def test_the_round_trip_catches_a_writer_that_drops_a_field(monkeypatch: pytest.MonkeyPatch) -> None:
    written = fmt.action_table

    def drops_token_counts(a: Action, files: Any = ()) -> dict[str, Any]:
        return {k: v for k, v in written(a, files).items() if k != "completion_tokens"}

    monkeypatch.setattr(fmt, "action_table", drops_token_counts)
    with pytest.raises(AssertionError):
        test_any_scenario_reads_back_as_written()
