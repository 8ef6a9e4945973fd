"""The front ends of check_client: ``runfsm check``, the pytest parameter, the Hypothesis mode."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from runfsm._cli import main
from runfsm.testing import explore_client

pytest_plugins = ["pytester"]
pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

NAIVE = Path(__file__).resolve().parents[2] / "examples" / "clients" / "naive_loop.py"


# --- runfsm check ----------------------------------------------------------------------------------------


def test_check_prints_a_table_and_exits_1_when_a_behaviour_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", f"{NAIVE}:main", "--only", "incomplete_*", "--only", "completes"]) == 1
    out = capsys.readouterr().out
    assert "naive_loop:main: 3 behaviours (v2, tolerant)" in out
    assert "does not treat 'incomplete' as final" in out and "1 ok, 2 stuck" in out


def test_check_exits_0_when_every_behaviour_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", f"{NAIVE}:main", "--only", "fails_*", "--strict"]) == 0
    assert "3 ok" in capsys.readouterr().out


def test_check_json_is_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", f"{NAIVE}:main_async", "--async", "--only", "expires_in_progress", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [o["verdict"] for o in doc["outcomes"]] == ["stuck"]


def test_check_imports_a_module_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "myclient.py").write_text(
        "def poll(client, assistant_id, thread_id):\n"
        "    return client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id).status\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", "myclient:poll", "--version", "v1"]) == 0
    assert "(v1, tolerant)" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["check", "no_such_module_xyz:f"], "cannot import 'no_such_module_xyz'"),
    (["check", "json:no_such_function"], "json has no attribute 'no_such_function'"),
    (["check", "json:__doc__"], "is a str, not a function"),
    (["check", "nocolon"], "expected MODULE:FUNCTION"),
    (["check", "missing/file.py:main"], "missing/file.py: no such file"),
    (["check", f"{NAIVE}:main", "--async"], "is not an async function"),
    (["check", f"{NAIVE}:main", "--only", "zzz"], "no behaviour matches 'zzz'"),
])
def test_check_bad_input_exits_2_with_one_line(argv: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("runfsm check: ") and message in err and "Traceback" not in err


def test_check_must_finish_fails_a_client_that_leaves_its_run_active(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leaves.py").write_text(
        "def poll(client, assistant_id, thread_id):\n"
        "    return client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id).status\n")
    target = f"{tmp_path / 'leaves.py'}:poll"
    assert main(["check", target, "--only", "requires_action"]) == 0
    capsys.readouterr()
    assert main(["check", target, "--only", "requires_action", "--must-finish"]) == 1
    assert "abandoned" in capsys.readouterr().out


def test_check_a_script_that_exits_at_import_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "script.py").write_text("import sys\nsys.exit(3)\n")
    assert main(["check", f"{tmp_path / 'script.py'}:main"]) == 2
    assert "importing it raised SystemExit: 3" in capsys.readouterr().err


def test_check_list_names_the_behaviours(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list", "--strict"]) == 0  # no client needed to see what it would face
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("completes ") and "stalls_in_queue" not in out
    assert main(["check", "x:y", "--list", "--strict"]) == 0
    assert capsys.readouterr().out == out


def test_check_without_a_client_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert capsys.readouterr().err.strip() == (
        "runfsm check: give the client function to check (MODULE:FUNCTION), or --list to see the behaviours")


# --- the pytest parameter ---------------------------------------------------------------------------------


def test_a_test_taking_runfsm_behaviour_runs_once_per_behaviour(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import runpy, pytest
        pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]
        naive = runpy.run_path({str(NAIVE)!r})["main"]

        @pytest.mark.runfsm(behaviours=["completes", "incomplete_*"])
        def test_naive(runfsm_behaviour):
            runfsm_behaviour.check(naive)

        @pytest.mark.runfsm(behaviours="fails_*", strict=True, version="v1")
        async def test_async_naive(runfsm_behaviour):
            await runfsm_behaviour.acheck(runpy.run_path({str(NAIVE)!r})["main_async"])
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines([
        "*test_naive[[]completes[]] PASSED*",
        "*test_naive[[]incomplete_max_completion_tokens[]] FAILED*",
        "*test_async_naive[[]*fails_server_error[]] PASSED*",
    ])
    result.stdout.fnmatch_lines(["*Likely bug: the loop does not treat 'incomplete' as final*"])


def test_a_bad_behaviour_filter_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.runfsm(behaviours="nothing_like_this")
        def test_x(runfsm_behaviour): pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*no behaviour matches 'nothing_like_this'*"])


# --- the Hypothesis mode -----------------------------------------------------------------------------------


def test_explore_client_shrinks_a_failure_to_the_plainest_behaviour() -> None:
    import runpy

    naive = runpy.run_path(str(NAIVE))["main"]
    outcome = explore_client(naive, max_examples=30)
    assert outcome is not None and outcome.verdict == "stuck"
    # shrunk: a catalogue behaviour with no timing changed
    assert outcome.behaviour.name.startswith("incomplete_") and "[" not in outcome.behaviour.name


def stops_when_the_run_pauses_or_ends(client: openai.OpenAI, assistant_id: str, thread_id: str) -> str:
    return client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id).status


def test_behaviour_variants_change_timings_and_name_what_they_changed() -> None:
    from hypothesis import find

    from runfsm.testing import behaviour_variants

    varied = find(behaviour_variants(), lambda b: b.cancel_in is not None and b.cancel_after != 0.5)
    assert varied.name.startswith("cancelled_while_") and "cancel after" in varied.name


def test_explore_client_passes_a_client_that_handles_every_timing() -> None:
    assert explore_client(stops_when_the_run_pauses_or_ends, max_examples=25) is None


def test_check_without_the_openai_extra_names_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "mine.py").write_text("def poll(client):\n    return None\n")
    code = ("import sys; sys.modules['openai'] = None; from runfsm._cli import main; "
            f"sys.exit(main(['check', {str(tmp_path / 'mine.py')!r} + ':poll']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "pip install 'runfsm[openai]'" in done.stderr and "Traceback" not in done.stderr
