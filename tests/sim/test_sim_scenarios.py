"""Scenario files: the seed examples (each a test), the format's errors, `runfsm simulate` and `runfsm demo`."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
from pathlib import Path

import pytest

from runfsm import _demo as demo
from runfsm.sim import Citation, Say, ScenarioError, load_scenario, parse_scenario, run_scenario
from runfsm.sim._builtin import builtin_names
from runfsm.sim._cli import main as simulate_main

# The built-in scenarios, read from the package's folder in the source tree (runfsm.sim._builtin reads the same
# files through importlib.resources; tests/test_cli.py checks that an installed copy has them).
EXAMPLES = Path(__file__).resolve().parents[2] / "runfsm" / "scenarios"
FILES = sorted(EXAMPLES.glob("*.toml"))


def test_the_examples_are_the_demo_seed_scenarios() -> None:
    assert sorted(p.stem for p in FILES) == sorted(demo.SEED_SCENARIOS) == list(builtin_names())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("stream", [False, True], ids=["polled", "streamed"])
def test_seed_scenario(path: Path, stream: bool, tmp_path: Path) -> None:
    result = run_scenario(load_scenario(path), stream=stream)
    assert result.checked >= 2 and result.failures == []
    trace = result.sim.trace
    assert any("event" in r for r in trace) == stream
    validate = importlib.import_module("runfsm.validate")
    report = validate.validate_trace(trace, strict=not result.scenario.config.inferred)
    assert report.errors == []
    out = tmp_path / "trace.jsonl"
    assert result.sim.export_jsonl(out) == len(trace)
    assert validate.validate_paths([out]).errors == []


def test_seed_facts() -> None:
    weather = run_scenario(load_scenario(EXAMPLES / "weather.toml"))
    step = weather.sim.peek_steps(weather.runs["weather"])[0]
    calls = step["step_details"]["tool_calls"]
    assert [json.loads(c["function"]["arguments"])["location"] for c in calls] == ["北京", "上海", "成都"]
    order = run_scenario(load_scenario(EXAMPLES / "order_total.toml"))
    (call,) = order.sim.peek_steps(order.runs["order"])[0]["step_details"]["tool_calls"]
    assert call["function"]["name"] == "calculate_order_total"
    assert {"item_type", "quantity"} <= set(json.loads(call["function"]["arguments"])["items"][0])
    code = run_scenario(load_scenario(EXAMPLES / "code_interpreter.toml"))
    (ci,) = code.sim.peek_steps(code.runs["solve"])[0]["step_details"]["tool_calls"]
    assert "3 * x + 11" in ci["code_interpreter"]["input"] and ci["code_interpreter"]["outputs"][0]["logs"]
    cancelled = run_scenario(load_scenario(EXAMPLES / "cancelled.toml"))
    (msg,) = cancelled.sim.run_messages(cancelled.runs["long"])
    assert msg["incomplete_details"] == {"reason": "run_cancelled"}


def test_same_scenario_same_trace() -> None:
    def trace() -> str:
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in
                         run_scenario(load_scenario(EXAMPLES / "weather.toml"), stream=True).sim.trace)

    assert trace() == trace()


GOOD = """
name = "t"
[config]
inferred = true
[[files]]
name = "doc.txt"
text = "x"
[[assistants]]
name = "a"
tools = [{ type = "file_search" }, { type = "code_interpreter" },
         { type = "function", function = { name = "f" } }]
script = [
  { queue = 2 },
  { call = [{ name = "f", arguments = { x = 1 } }] },
  { queue = "stall" },
]
[[assistants]]
name = "b"
tools = [{ type = "file_search" }, { type = "code_interpreter" }]
script = [
  { code = "1", logs = "1" },
  { file_search = true },
  { say = "see 【1】", cite = [{ marker = "【1】", file = "doc.txt" }] },
  { run_out_of_tokens = "max_completion_tokens", duration = 1, during = { say = "cut short", duration = 3 } },
]
[[threads]]
name = "one"
messages = [{ content = "hi", attach = ["doc.txt"] }]
[[client]]
do = "create_run"
assistant = "a"
run = "r1"
[[client]]
do = "poll"
[[client]]
do = "submit_tool_outputs"
outputs = ["1"]
[[client]]
do = "poll"
until = "terminal"
[[client]]
do = "create_thread_and_run"
thread = "two"
assistant = "b"
messages = [{ content = "q" }]
run = "r2"
[[client]]
do = "poll"
[[client]]
do = "create_message"
thread = "two"
content = "thanks"
[[expect]]
run = "r1"
history = ["queued", "in_progress", "requires_action", "queued", "expired"]
[[expect]]
run = "r2"
status = "incomplete"
steps = ["tool_calls", "tool_calls", "message_creation", "message_creation"]
message = "cut"
"""


def test_every_action_kind_parses_and_plays() -> None:
    result = run_scenario(parse_scenario(GOOD, "good.toml"))
    assert result.failures == [] and result.checked == 4


def test_a_placeholder_no_file_declares_plays_as_the_id_it_is() -> None:
    # a Scenario built in Python may name a file the scenario does not declare: it is an id as it stands
    base = parse_scenario(CITED, "cited.toml")
    cite = Citation("[1]", "<file:undeclared>")
    script = (Say("see [1]", citations=(cite,)),)
    scenario = dataclasses.replace(base, assistants=[dict(base.assistants[0], script=script)])
    result = run_scenario(scenario)
    assert result.ok
    messages = result.sim.list_messages(result.threads["main"], order="asc")["data"]
    (annotation,) = messages[-1]["content"][0]["text"]["annotations"]
    assert annotation["file_citation"]["file_id"] == "<file:undeclared>"
    declared = dataclasses.replace(scenario, assistants=[dict(base.assistants[0], script=(
        Say("see [1]", citations=(Citation("[1]", "<file:doc.txt>"),)),))])
    played = run_scenario(declared)
    messages = played.sim.list_messages(played.threads["main"], order="asc")["data"]
    (annotation,) = messages[-1]["content"][0]["text"]["annotations"]
    assert annotation["file_citation"]["file_id"].startswith("file-")


CITED = """\
name = "cited"

[[files]]
name = "doc.txt"
text = "the answer"

[[assistants]]
name = "bot"
tools = [{ type = "file_search" }]
script = [{ say = "hi" }]

[[threads]]
name = "main"
messages = [{ role = "user", content = "hi" }]

[[client]]
do = "create_run"

[[client]]
do = "poll"
"""


def test_failed_expectations_are_reported_not_raised() -> None:
    result = run_scenario(parse_scenario(GOOD.replace('message = "cut"', 'message = "other"'), "x.toml"))
    assert len(result.failures) == 1 and "'cut'" in result.failures[0] and "'other'" in result.failures[0]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("name = \"t\"", "nmae = \"t\""), "Did you mean 'name'"),
        (("{ code = \"1\", logs = \"1\" }", "{ cod = \"1\" }"), "Did you mean 'code'"),
        (("{ file_search = true }", "{ file_search = true, say = \"x\" }"), "exactly one of"),
        (("do = \"poll\"\n[[client]]", "do = \"pol\"\n[[client]]"), "Did you mean 'poll'"),
        (("file = \"doc.txt\"", "file = \"nope.txt\""), "nope.txt"),
        (("inferred = true", "inferred = \"yes\""), "inferred"),
        (("outputs = [\"1\"]", "outputs = [1]"), "outputs"),
        (("[[files]]", "[[files]"), "not valid TOML"),
        (("until = \"terminal\"", "until = \"never\""), "until"),
        (("{ queue = 2 },", "{ queue = -2 },"), "seconds"),
        (("run_out_of_tokens = \"max_completion_tokens\"", "run_out_of_tokens = \"max\""), "max_prompt_tokens"),
    ],
)
def test_malformed_scenarios_name_file_entry_and_fix(change: tuple[str, str], needle: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "bad.toml")
    assert str(err.value).startswith("bad.toml: ")
    assert needle in str(err.value)


def test_unexpected_refusals_and_unmet_expected_errors() -> None:
    with pytest.raises(ScenarioError, match=r"client\[2\].*Expected tool outputs"):
        run_scenario(parse_scenario(GOOD.replace('outputs = ["1"]', "outputs = []"), "x.toml"))
    text = GOOD.replace('content = "thanks"', 'content = "thanks"\nexpect_error = 400')
    with pytest.raises(ScenarioError, match="expected HTTP 400, but the request succeeded"):
        run_scenario(parse_scenario(text, "x.toml"))


def test_simulate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "w.jsonl"
    code = simulate_main(argparse.Namespace(file=str(EXAMPLES / "weather.toml"), stream=True, jsonl=str(out)))
    text = capsys.readouterr().out
    assert code == 0
    assert "requires_action" in text and "今天北京的温度是10℃" in text and "3/3 held" in text
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines and all(json.loads(line) for line in lines) and f"{len(lines)} records" in text
    bad = tmp_path / "bad.toml"
    bad.write_text("nmae = 1\n", encoding="utf-8")
    assert simulate_main(argparse.Namespace(file=str(bad), stream=False, jsonl=None)) == 2
    assert "bad.toml" in capsys.readouterr().err
    failing = tmp_path / "failing.toml"
    failing.write_text(GOOD.replace('message = "cut"', 'message = "other"'), encoding="utf-8")
    assert simulate_main(argparse.Namespace(file=str(failing), stream=False, jsonl=None)) == 1
    assert "FAILED" in capsys.readouterr().out


def test_demo_writes_nothing_without_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    importlib.import_module("runfsm.validate")
    monkeypatch.chdir(tmp_path)
    assert demo.main(argparse.Namespace(version="v2", out=None)) == 0
    text = capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    for stem in demo.SEED_SCENARIOS:
        assert f"] {stem}: " in text
    assert "今天北京的温度是10℃,上海的温度是15℃,成都的温度是20℃。" in text
    assert "the validator found 0 errors" in text


def test_demo_out_writes_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    importlib.import_module("runfsm.validate")
    assert demo.main(argparse.Namespace(version="v1", out=str(tmp_path / "o"))) == 0
    traces = sorted(p.name for p in (tmp_path / "o" / "traces").iterdir())
    assert traces == sorted(f"{s}.{m}.jsonl" for s in demo.SEED_SCENARIOS for m in ("polled", "streamed"))
    assert "API v1" in capsys.readouterr().out


@pytest.mark.parametrize("do", ["[]", "[\"poll\"]", "{ a = 1 }", "5"])
def test_a_client_do_of_the_wrong_type_is_a_scenario_error(do: str) -> None:
    with pytest.raises(ScenarioError, match=r"client\[0\].*unknown do"):
        parse_scenario(f"[[client]]\ndo = {do}\n", "bad.toml")


def test_a_strict_mode_refusal_of_the_simulator_is_a_scenario_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Cancelling a still-queued run takes an inferred edge: strict mode refuses it.
    text = (EXAMPLES / "cancelled.toml").read_text(encoding="utf-8").replace(
        "do = \"advance\"\nseconds = 6\n", "do = \"retrieve_run\"\n", 1)
    with pytest.raises(ScenarioError, match=r"client\[2\] \(cancel\).*inferred"):
        run_scenario(parse_scenario(text, "queued_cancel.toml"))
    path = tmp_path / "queued_cancel.toml"
    path.write_text(text, encoding="utf-8")
    assert simulate_main(argparse.Namespace(file=str(path), stream=False, jsonl=None)) == 2
    assert "queued_cancel.toml" in capsys.readouterr().err
