"""Hostile scenario files: every one is a ``ScenarioError`` naming the file and the entry, never a traceback.

Size, nesting and polling are bounded, so no file can exhaust memory or hang ``runfsm simulate``.
"""

from __future__ import annotations

import argparse
import os
import textwrap
from pathlib import Path

import pytest

from runfsm.sim import ScenarioError, load_scenario, parse_scenario, run_scenario
from runfsm.sim._cli import main as simulate_main
from runfsm.sim._scenario_format import MAX_BYTES, MAX_POLLS

BASE = textwrap.dedent("""\
    start = 1712030000

    [[assistants]]
    name = "bot"
    tools = [{ type = "function", function = { name = "f" } }]
    script = [{ call = [{ name = "f" }] }, { say = "done" }]

    [[threads]]
    name = "main"
    messages = [{ role = "user", content = "hi" }]
""")


def _play(text: str, source: str = "case.toml") -> None:
    run_scenario(parse_scenario(text, source))


@pytest.mark.parametrize(
    ("extra", "entry", "says"),
    [
        ('[[client]]\ndo = "create_run"\nparams = { stream = true }\n', "client[0] (create_run)", "'stream'"),
        ('[[client]]\ndo = "create_run"\nparams = { assistant_id = "x" }\n', "client[0] (create_run)", "assistant_id"),
        ('[[client]]\ndo = "create_run"\nparams = { thread_id = "x" }\n', "client[0] (create_run)", "thread_id"),
        ('[[client]]\ndo = "create_thread_and_run"\nparams = { thread = {} }\n', "client[0] (create_thread_and_run)",
         "'thread'"),
        ('[[client]]\ndo = "create_run"\nparams = { metadata = { when = 2024-01-01T00:00:00Z } }\n',
         "client[0].params.metadata.when", "date"),
        ('[[client]]\ndo = "create_run"\nparams = { temperature = nan }\n', "client[0].params.temperature", "nan"),
        ('[[client]]\ndo = "create_run"\n[[client]]\ndo = "poll"\nevery = 0\nmax_polls = 1000000000\n',
         "client[1] (poll)", "every"),
        ('[[client]]\ndo = "create_run"\n[[client]]\ndo = "poll"\nmax_polls = 1000000000\n', "client[1] (poll)",
         "max_polls"),
        ('[[client]]\ndo = "advance"\nseconds = 1e300\n', "client[0] (advance)", "1e+300"),
        ('[[client]]\ndo = "advance"\nseconds = 4503599627370496\n[[client]]\ndo = "advance"\nseconds = 4503599627370496\n',
         "client[1] (advance)", "past the latest time"),
        ('[[client]]\ndo = "create_run"\nparams = { max_completion_tokens = 5 }\n', "client[0] (create_run)",
         "max_completion_tokens"),
    ],
)
def test_client_entries_that_cannot_be_played_name_file_and_entry(extra: str, entry: str, says: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _play(BASE + extra)
    message = str(err.value)
    assert message.startswith("case.toml: ") and entry in message and says in message


@pytest.mark.parametrize(
    ("text", "entry", "says"),
    [
        ("start = 9223372036854775807\n", "top level", "start"),
        ("start = 2024-01-01\n", "start", "date"),
        (BASE.replace('function = { name = "f" }', 'function = { name = "f", parameters = { at = 12:00:00 } }'),
         "assistants[0].tools[0].function.parameters.at", "time"),
        (BASE.replace('function = { name = "f" }', 'function = { name = "f", parameters = { x = inf } }'),
         "assistants[0].tools[0].function.parameters.x", "inf"),
        ("a = " + "[" * 40 + "]" * 40 + "\n", "a" + "[0]" * 32, "nested more than"),
        ("a = " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply", "32 levels"),
        ("a = " + "{ b = " * 1000 + "1" + " }" * 1000 + "\n", "nested", "32 levels"),
        ("# " + "x" * MAX_BYTES + "\n", "larger than", "bytes"),
    ],
)
def test_documents_that_cannot_be_read_name_file_and_entry(text: str, entry: str, says: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _play(text)
    message = str(err.value)
    assert message.startswith("case.toml: ") and entry in message and says in message


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused_without_reading_it_all() -> None:
    with pytest.raises(ScenarioError, match=r"^/dev/zero: larger than a scenario may be"):
        load_scenario("/dev/zero")


def test_the_cli_reports_every_case_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        "clash.toml": BASE + '[[client]]\ndo = "create_run"\nparams = { stream = true }\n',
        "date.toml": BASE + '[[client]]\ndo = "create_run"\nparams = { metadata = { d = 1979-05-27 } }\n',
        "deep.toml": "a = " + "[" * 1000 + "]" * 1000 + "\n",
        "clock.toml": BASE + '[[client]]\ndo = "advance"\nseconds = 9007199254740993\n',
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code = simulate_main(argparse.Namespace(file=str(path), stream=False, jsonl=str(tmp_path / "out.jsonl")))
        err = capsys.readouterr().err
        assert code == 2 and err.startswith(f"runfsm simulate: {path}: ") and "Traceback" not in err


def test_a_scenario_that_polls_a_stalled_run_stops_at_its_bound() -> None:
    text = textwrap.dedent("""\
        [config]
        inferred = true

        [[assistants]]
        name = "stuck"
        script = [{ queue = "stall" }]

        [[threads]]
        name = "main"
        messages = [{ role = "user", content = "hi" }]

        [[client]]
        do = "create_run"

        [[client]]
        do = "poll"
        every = 0.001
        max_polls = 10000
    """)
    with pytest.raises(ScenarioError, match=r"client\[1\] \(poll\): run \S+ did not stop after 10,000 polls"):
        _play(text)
    assert MAX_POLLS == 10_000
