"""Optional dependencies: a missing one names its extra; skips for it are reported; plain ``async def`` tests run."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runfsm._cli import main as runfsm_main
from runfsm.errors import MissingExtra, RunfsmError

pytest_plugins = ["pytester"]


def _without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where importing any of ``modules`` fails as if it were not installed."""
    block = "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    program = "import sys\n" + block + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)


CHECK = """
from runfsm.errors import MissingExtra, RunfsmError
try:
    {statement}
except MissingExtra as exc:
    assert isinstance(exc, ImportError) and isinstance(exc, RunfsmError)
    print(exc.extra, exc.name, "|", exc)
else:
    raise SystemExit("no MissingExtra")
"""


@pytest.mark.parametrize(("missing", "statement", "extra"), [
    (["openai"], "import runfsm.openai", "openai"),
    (["openai"], "from runfsm.openai import client", "openai"),
    (["pydantic"], "import runfsm.openai", "openai"),
    (["hypothesis"], "import runfsm.strategies", "testing"),
    (["hypothesis"], "from runfsm import strategies", "testing"),
    (["openai"], "from runfsm import strategies as rs; rs.runs(sdk=True)", "openai"),
    (["openai"], "from runfsm import strategies as rs; rs.as_sdk({'object': 'thread.run'})", "openai"),
    (["openai", "httpx2"], "import runfsm; runfsm.guard(object())", "openai"),
    (["openai", "httpx2"], "from runfsm import tracker_of; tracker_of(object())", "openai"),
    (["openai", "httpx2"], "import runfsm; runfsm.guard_transport", "openai"),
])
def test_a_missing_optional_dependency_names_the_extra(missing: list[str], statement: str, extra: str) -> None:
    done = _without(missing, CHECK.format(statement=statement))
    assert done.returncode == 0, done.stderr
    got_extra, name, message = done.stdout.strip().split(" ", 2)
    assert got_extra == extra and name in missing
    assert f"pip install 'runfsm[{extra}]'" in message and repr(name) in message
    assert "Traceback" not in done.stderr


def test_missing_extra_is_one_class_with_a_readable_message() -> None:
    exc = MissingExtra("openai", "openai", "runfsm.openai")
    assert isinstance(exc, ImportError) and isinstance(exc, RunfsmError) and exc.name == "openai"
    assert str(exc) == ("runfsm.openai needs the 'openai' package, which is not installed. "
                        "Install it with: pip install 'runfsm[openai]'")


def test_the_core_needs_no_extra() -> None:
    done = _without(["openai", "httpx2", "hypothesis", "graphviz"], """
        import runfsm
        from runfsm.validate import Tracker
        from runfsm.sim import Simulator
        from runfsm.diagrams import to_dot, to_mermaid
        assert to_dot("run") and to_mermaid("run") and Tracker() and Simulator()
        assert runfsm.RUN.is_legal("queued", "in_progress")
    """)
    assert done.returncode == 0, done.stderr


def test_svg_without_the_renderer_names_the_diagrams_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    render = importlib.import_module("runfsm.diagrams._render")
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setattr(render.sys, "executable", str(tmp_path / "bin" / "python"))
    assert runfsm_main(["diagram", "--format", "svg", "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runfsm diagram: error: ") and err.count("\n") == 1
    assert "pip install 'runfsm[diagrams]'" in err
    assert not (tmp_path / "d").exists()  # nothing written when the renderer is missing


BLOCK_OPENAI = """
import sys
sys.modules["openai"] = None  # as if the openai extra were not installed
"""


def test_a_run_where_every_test_was_skipped_for_an_extra_is_not_green(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BLOCK_OPENAI)
    pytester.makepyfile("""
        def test_uses_the_client(runfsm_openai):
            raise AssertionError("never runs")

        def test_async_too(runfsm_async_openai):
            raise AssertionError("never runs")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines([
        "*runfsm: tests skipped for a missing extra*",
        "2 test(s) skipped: pip install 'runfsm[[]openai[]]'",
        "Nothing passed or failed: this run checked nothing*",
    ])


def test_skips_for_an_extra_are_listed_beside_tests_that_ran(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BLOCK_OPENAI)
    pytester.makepyfile("""
        import pytest

        def test_uses_the_client(runfsm_openai):
            raise AssertionError("never runs")

        def test_with_the_simulator(runfsm_sim):
            assert runfsm_sim.clock.now > 0

        @pytest.mark.skip(reason="unrelated")
        def test_skipped_for_another_reason():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["1 test(s) skipped: pip install 'runfsm[[]openai[]]'"])
    result.stdout.no_fnmatch_line("*checked nothing*")


def test_nothing_is_reported_when_every_extra_is_there(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    pytester.makepyfile("""
        def test_uses_the_client(runfsm_openai):
            assert runfsm_openai.beta.assistants.create(model="gpt-4o").id
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*missing extra*")


def test_a_plain_async_def_test_uses_the_async_client(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    pytest.importorskip("anyio")
    pytester.makepyfile("""
        import pytest
        from runfsm.sim import Say

        @pytest.mark.runfsm(script=[Say("Hello!")])
        async def test_async_client(runfsm_async_openai, runfsm_sim):
            oai = runfsm_async_openai
            asst = await oai.beta.assistants.create(model="gpt-4o")
            run = await oai.beta.threads.create_and_run_poll(
                assistant_id=asst.id, thread={"messages": [{"role": "user", "content": "Hi"}]})
            assert run.status == "completed"
            assert [s for _, s in runfsm_sim.timeline(run.id)][-1] == "completed"

        async def test_async_without_runfsm_fixtures_is_left_alone():
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["PASSED *test_async_client*"])
    result.stdout.no_fnmatch_line("PASSED *test_async_without_runfsm_fixtures_is_left_alone*")


def test_an_explicit_async_marker_is_left_to_its_plugin(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    pytest.importorskip("anyio")
    pytester.makepyfile("""
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_marked(runfsm_async_openai):
            assert (await runfsm_async_openai.beta.assistants.create(model="gpt-4o")).id
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
