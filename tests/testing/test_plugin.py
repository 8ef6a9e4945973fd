"""The pytest plugin: registered by entry point, light to import, fixtures that work and fail clearly."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    found = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "runfsm"]
    assert [e.value for e in found] == ["runfsm.pytest_plugin"]


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    code = (
        "import sys, runfsm.pytest_plugin;"
        "heavy = {'runfsm.sim', 'runfsm.validate', 'runfsm.openai', 'openai', 'hypothesis', 'transitions',"
        " 'graphviz', 'httpx', 'httpx2'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_fixtures_give_a_clock_and_a_simulator_on_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from runfsm.sim import Clock, DEFAULT_START, Say, Simulator

        def test_defaults(runfsm_clock, runfsm_sim):
            assert isinstance(runfsm_clock, Clock) and runfsm_clock.now == DEFAULT_START
            assert isinstance(runfsm_sim, Simulator) and runfsm_sim.clock is runfsm_clock
            assert runfsm_sim.version == "v2" and not runfsm_sim.config.inferred

        @pytest.mark.runfsm(start=1_712_000_000, version="v1", config={"inferred": True}, script=[Say("Hi")])
        def test_marker_options(runfsm_sim):
            assert runfsm_sim.clock.now == 1_712_000_000
            assert runfsm_sim.version == "v1" and runfsm_sim.config.inferred
            asst = runfsm_sim.create_assistant(model="gpt-4o")
            thread = runfsm_sim.create_thread()
            run = runfsm_sim.create_run(thread["id"], assistant_id=asst["id"])
            runfsm_sim.advance(10)
            assert runfsm_sim.retrieve_run(thread["id"], run["id"])["status"] == "completed"

        def test_each_test_gets_a_fresh_simulator(runfsm_sim):
            assert runfsm_sim.trace == [] and list(runfsm_sim.iter_runs()) == []
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_marker_mistakes_are_reported_at_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.runfsm(sed=3)
        def test_typo(runfsm_sim):
            pass

        @pytest.mark.runfsm(config={"deadline": -5})
        def test_bad_config(runfsm_sim):
            pass

        @pytest.mark.runfsm(start="yesterday")
        def test_bad_start(runfsm_clock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines([
        "*unknown option(s) sed; known: seed, version, start, config, script, poll_interval*",
        "*cannot build the simulator*deadline*",
        "*runfsm(start=...)*",
    ])


def test_the_openai_client_fixture_talks_to_the_simulator(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    pytester.makepyfile(
        """
        import pytest
        from runfsm.sim import Say

        @pytest.mark.runfsm(script=[Say("Hello from the simulator.", duration=2)])
        def test_sdk(runfsm_sim, runfsm_openai):
            asst = runfsm_openai.beta.assistants.create(model="gpt-4o")
            run = runfsm_openai.beta.threads.create_and_run_poll(
                assistant_id=asst.id, thread={"messages": [{"role": "user", "content": "Hi"}]})
            assert run.status == "completed"
            assert [s for _, s in runfsm_sim.timeline(run.id)] == ["queued", "in_progress", "completed"]
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1)


def test_the_openai_fixtures_skip_without_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys
        import pytest

        @pytest.fixture(autouse=True)
        def no_openai(monkeypatch):
            monkeypatch.setitem(sys.modules, "openai", None)
        """
    )
    pytester.makepyfile(
        """
        def test_sync(runfsm_openai):
            raise AssertionError("not reached")

        def test_async(runfsm_async_openai):
            raise AssertionError("not reached")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*the openai extra is not installed*"])


def test_check_trace_option_fails_a_test_whose_trace_breaks_the_spec(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_recorded_garbage(runfsm_sim):
            # A record that is not what the API would answer: a completed run without completed_at.
            runfsm_sim.trace.append({"object": "thread.run", "id": "run_1", "thread_id": "thread_1",
                                     "status": "completed", "created_at": 1, "started_at": 1,
                                     "completed_at": None})

        def test_clean(runfsm_sim):
            asst = runfsm_sim.create_assistant(model="gpt-4o")
            runfsm_sim.create_thread()
        """
    )
    plain = pytester.runpytest("-p", "no:cacheprovider")
    plain.assert_outcomes(passed=2)
    checked = pytester.runpytest("-p", "no:cacheprovider", "--runfsm-check-trace")
    checked.assert_outcomes(passed=2, errors=1)
    checked.stdout.fnmatch_lines(["*the simulator's trace has 1 error finding(s):",
                                  "*error run.field.completed_at: run run_1 is 'completed'*"])
    pytester.makeini("[pytest]\nrunfsm_check_trace = true\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2, errors=1)


def test_the_marker_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.runfsm(**options): options of the runfsm fixtures*"])
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--runfsm-check-trace*"])
