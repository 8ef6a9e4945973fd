"""The ``runfsm`` command as a new user meets it: ``--version``, built-in scenarios, hints that lead somewhere."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import runfsm
from runfsm._cli import main as runfsm_main
from runfsm.sim import parse_scenario
from runfsm.sim._builtin import SEED_SCENARIOS, builtin_names, builtin_text, load_builtin, resolve_scenario
from runfsm.sim._errors import ScenarioError

BIN = Path(sys.executable).parent


def runfsm_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed ``runfsm`` console script, as a user runs it."""
    exe = BIN / ("runfsm.exe" if os.name == "nt" else "runfsm")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        runfsm_main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"runfsm {runfsm.__version__}\n"
    # one place: the installed metadata's version is read from runfsm.__version__
    assert importlib.metadata.version("runfsm") == runfsm.__version__


def test_subcommand_version_options_still_choose_the_api_version(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["diagram", "--version", "v1", "--format", "mermaid", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "run-v1.mmd").is_file()


def test_every_built_in_scenario_is_in_the_package_and_the_demo() -> None:
    assert sorted(builtin_names()) == sorted(SEED_SCENARIOS)
    packaged = sorted(p.stem for p in (Path(runfsm.__file__).parent / "scenarios").glob("*.toml"))
    assert packaged == list(builtin_names())


@pytest.mark.parametrize("name", SEED_SCENARIOS)
def test_simulate_plays_a_built_in_scenario_by_name(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert runfsm_main(["simulate", name, "--jsonl", "out.jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: ") and "held" in out
    assert runfsm_main(["validate", "out.jsonl"]) == 0


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["simulate", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(builtin_names())
    for name, line in zip(builtin_names(), lines, strict=True):
        assert load_builtin(name).description in line
    assert runfsm_main(["simulate", "--show", "weather"]) == 0
    text = capsys.readouterr().out
    assert text == builtin_text("weather")
    assert parse_scenario(text, "copy.toml").assistants == load_builtin("weather").assistants


def test_a_file_wins_over_a_built_in_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("weather").write_text(builtin_text("greeting"), encoding="utf-8")
    assert resolve_scenario("weather").description == load_builtin("greeting").description
    assert resolve_scenario("greeting.toml").name == "greeting"  # the name with its suffix finds the built-in too


@pytest.mark.parametrize(("arg", "needle"), [
    ("weathr", "Did you mean 'weather'?"),
    ("examples/scenarios/weather.toml", "`runfsm simulate weather`"),
    ("no/such/file.toml", "Built-in scenarios: cancelled"),
    ("a\x00b", "'a\\x00b'"),
    ("x" * 5000, "no such scenario file"),
])
def test_unknown_scenarios_get_one_line_with_the_way_out(arg: str, needle: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert runfsm_main(["simulate", arg]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("runfsm simulate: ") and captured.err.count("\n") == 1
    assert needle in captured.err


@pytest.mark.parametrize("argv", [["simulate"], ["simulate", "--show", "nope"], ["simulate", "--show", ""]])
def test_simulate_without_a_scenario_is_an_input_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("runfsm simulate: ") and err.count("\n") == 1 and "cancelled, code_interpreter" in err


@given(st.text(min_size=1, max_size=40).filter(lambda s: s not in builtin_names() and not s.startswith("-")))
def test_any_scenario_argument_is_a_scenario_error_or_a_play(arg: str) -> None:
    # the test process's directory holds no scenario file of such a name (the names are random)
    try:
        scenario = resolve_scenario(arg)
    except ScenarioError as exc:
        assert "\n" not in str(exc).replace(repr(arg), "")
    else:  # pragma: no cover - only if a random name happens to be a file
        assert scenario.source


def test_demo_out_is_an_input_error_when_it_cannot_be_created(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert runfsm_main(["demo", "--out", str(blocker / "d")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runfsm demo: cannot create") and err.count("\n") == 1


def test_simulate_jsonl_target_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["simulate", "greeting", "--jsonl", str(tmp_path / "no" / "dir.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("runfsm simulate: cannot write")
    assert runfsm_main(["simulate", "greeting", "--jsonl", "a\x00b"]) == 2
    assert "'a\\x00b'" in capsys.readouterr().err


def _hints(text: str) -> list[str]:
    """The commands the demo suggests at its end (``Next:`` lines), without their comments."""
    tail = text[text.index("\nNext: "):]
    return [re.split(r"\s{3,}\(", line.removeprefix("Next:").strip())[0]
            for line in tail.strip().splitlines() if line.strip()]


def test_every_command_the_demo_suggests_runs(tmp_path: Path) -> None:
    done = runfsm_cmd("demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    hints = _hints(done.stdout)
    assert len(hints) >= 3 and all(h.startswith("runfsm ") for h in hints)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for hint in hints:
        words = shlex.split(hint)
        assert "examples" not in hint  # nothing a wheel does not ship
        ran = subprocess.run(hint, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300, check=False)
        assert ran.returncode == 0, f"{hint}: {ran.stderr}"
        if ">" in words:
            assert (tmp_path / words[words.index(">") + 1]).stat().st_size > 0
