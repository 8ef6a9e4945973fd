"""Exhaustive exploration of the simulator: invariants in every state, spec coverage, shortest paths as scenarios."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from runfsm import _cli as cli
from runfsm import spec
from runfsm.explore import (
    Exploration,
    Target,
    behaviours,
    explore,
    reached_targets,
    scenario_files,
    targets,
)
from runfsm.lifecycle import profile
from runfsm.sim import Clock, Say, SimConfig, Simulator, parse_scenario, run_scenario
from runfsm.sim._engine import Engine
from runfsm.sim._wire import Wire
from runfsm.validate import validate_trace

DEPTH = 5  # every target's shortest path has at most 4 moves; one more explores around them
# The simulator has no model action that trips a content filter, so nothing ends a message that way.
NEVER_REACHED = {Target("message", "incomplete", "filter_content", "in_progress")}


@functools.cache
def _explored(version: str, inferred: bool, depth: int = DEPTH) -> Exploration:
    return explore(version, inferred=inferred, depth=depth)


def _targets(version: str, inferred: bool) -> set[Target]:
    return set(targets(profile(version), strict=not inferred))


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_strict_simulator_holds_every_invariant_in_every_state(version: str) -> None:
    exp = _explored(version, False)
    assert not exp.truncated and exp.states > 200
    assert exp.ok, exp.summary()


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("inferred", [False, True])
def test_exploration_reaches_every_status_and_transition_of_the_spec(version: str, inferred: bool) -> None:
    exp = _explored(version, inferred)
    assert set(exp.coverage.targets) == _targets(version, inferred)
    assert set(exp.coverage.unreached) == NEVER_REACHED & _targets(version, inferred)
    inferred_edges = {t for t in exp.coverage.paths if t.trigger is not None and any(
        e.inferred for e in profile(version).lifecycle(t.kind).edges(t.source, t.status))}
    assert bool(inferred_edges) == inferred  # strict mode neither targets nor takes an inferred edge


def test_tolerant_simulator_holds_every_invariant_in_every_state() -> None:
    exp = _explored("v2", True)
    assert not exp.truncated and exp.states > 500
    assert exp.ok, exp.summary()


def test_paths_are_shortest() -> None:
    exp = _explored("v2", True)
    lengths = sorted({len(p) for p in exp.coverage.paths.values()})
    assert lengths[0] == 1 and lengths[-1] <= 4
    for n in lengths[1:]:
        shallower = explore("v2", inferred=True, depth=n - 1)
        for target, path in exp.coverage.paths.items():
            if len(path) == n:
                assert target not in shallower.coverage.paths, (target, path)
    # and by hand: creating a run shows it queued; letting time pass completes it
    assert [m.do for m in exp.coverage.paths[Target("run", "queued")]] == ["create_run"]
    assert [str(m) for m in exp.coverage.paths[Target("run", "completed")]] == ["create_run(reply)", "wait_until_deadline"]


def test_behaviours_follow_the_version_and_mode() -> None:
    names = {b.name for b in behaviours("v2", inferred=True)}
    assert {"out_of_tokens", "stall", "fail_in_queue"} <= names
    assert "out_of_tokens" not in {b.name for b in behaviours("v1", inferred=True)}
    assert not any(b.inferred for b in behaviours("v2"))


# --- the shortest paths as scenario files --------------------------------------------------


SCENARIO_CASES = [
    pytest.param(version, inferred, stream, id=f"{version}-{'tolerant' if inferred else 'strict'}-{mode}")
    for version, inferred in (("v2", True), ("v2", False), ("v1", True))
    for stream, mode in ((False, "poll"), (True, "stream"))
]


@pytest.mark.parametrize(("version", "inferred", "stream"), SCENARIO_CASES)
def test_every_emitted_scenario_plays_reaches_its_targets_and_validates(
    version: str, inferred: bool, stream: bool
) -> None:
    exp = _explored(version, inferred)
    files = scenario_files(exp)
    covered = {t for _, _, covers in files for t in covers}
    assert covered == set(exp.coverage.paths)
    problems = []
    for name, text, covers in files:
        result = run_scenario(parse_scenario(text, name), stream=stream)
        assert result.ok, (name, result.failures)
        assert result.checked >= 2 * len(result.runs)
        missing = set(covers) - reached_targets(result.sim)
        assert not missing, (name, missing)
        report = validate_trace(result.sim.trace, strict=not inferred, version=version)
        problems += [f"{name}: {f}" for f in report.findings if f.severity != "info"]
        if stream:
            assert any(isinstance(r, dict) and "event" in r for r in result.sim.trace)
    assert not problems, "\n".join(problems)


def test_scenario_text_is_deterministic_and_names_its_targets() -> None:
    exp = _explored("v2", False)
    first = scenario_files(exp)
    again = scenario_files(_explored("v2", False))
    assert first == again
    name, text, covers = first[0]
    assert name.startswith("01-") and name.endswith(".toml")
    assert all(f"# {t}" in text for t in covers)


# --- the explorer has teeth: planted simulator bugs are found ------------------------------


def _violations(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, replacement: Any) -> list[str]:
    monkeypatch.setattr(target, name, replacement)
    exp = explore("v2", inferred=False, depth=4, max_runs=2)
    return [v.message for v in exp.violations]


def test_a_missing_thread_lock_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Engine.start_run

    def start_without_lock(self: Engine, run: Any, sink: Any) -> None:
        original(self, run, sink)
        run.thread.active_run = None

    found = _violations(monkeypatch, Engine, "start_run", start_without_lock)
    assert any(m.startswith("validator:") and "run.thread_locked" in m for m in found)
    assert any("accepted, but the API refuses it" in m for m in found)


def test_a_missed_deadline_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _violations(monkeypatch, Engine, "_on_expire", lambda self, run, epoch: None)
    assert any("past its deadline" in m for m in found)


def test_a_message_left_open_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _violations(monkeypatch, Engine, "_end_message", lambda self, msg, trigger: None)
    assert any("still 'in_progress'" in m for m in found)
    assert any(m.startswith("validator:") and "message.active_after_run_end" in m for m in found)


def test_a_step_left_open_when_its_run_expires_is_found_by_the_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    def expire_leaving_the_step(self: Engine, run: Any, epoch: int) -> None:
        if self._live(run, epoch, "expire"):
            self._end_message(run.message, "expire")
            self._move_run(run, "expire")

    found = _violations(monkeypatch, Engine, "_on_expire", expire_leaving_the_step)
    assert any(m.startswith("validator:") and "run_step.active_after_run_end" in m for m in found)


def test_a_message_leaving_its_terminal_status_is_found_by_the_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Wire.message

    def message_reopened_later(self: Wire, m: Any, now: float, **kwargs: Any) -> dict[str, Any]:
        out = original(self, m, now, **kwargs)
        if out.get("status") == "completed" and out["completed_at"] < now:
            out["status"] = "in_progress"
        return out

    monkeypatch.setattr(Wire, "message", message_reopened_later)
    # a reply, then time passing in a second run: five moves
    found = [v.message for v in explore("v2", inferred=False, depth=5, max_runs=2).violations]
    assert any(m.startswith("validator:") and "message.terminal_left" in m for m in found)


def test_a_wrong_field_is_found_by_the_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Wire.run

    def run_with_early_completion(self: Wire, r: Any) -> dict[str, Any]:
        out = original(self, r)
        if out["status"] == profile().run.initial:
            out["completed_at"] = out["created_at"]
        return out

    found = _violations(monkeypatch, Wire, "run", run_with_early_completion)
    assert any(m.startswith("validator:") and "completed_at" in m for m in found)


# --- runfsm paths and reached_targets ------------------------------------------------------


def test_runfsm_paths_writes_one_scenario_per_distinct_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["paths", "--out", str(tmp_path), "--depth", "5", "--strict"]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.toml"))
    assert written and written == [name for name, _, _ in scenario_files(explore("v2", inferred=False, depth=5))]
    out = capsys.readouterr().out
    assert f"wrote {len(written)} scenario files" in out and "invariant violations: 0" in out
    for p in tmp_path.glob("*.toml"):
        assert run_scenario(parse_scenario(p.read_text(encoding="utf-8"), p.name)).ok


def test_runfsm_paths_prints_to_stdout_and_refuses_a_bad_depth(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["paths", "--depth", "4", "--version", "v1", "--strict"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("# ===== ") >= 5 and 'version = "v1"' in captured.out
    assert "coverage:" in captured.err
    assert cli.main(["paths", "--depth", "0"]) == 2
    assert "--depth must be a positive" in capsys.readouterr().err


def test_reached_targets_measures_what_a_test_exercised() -> None:
    sim = Simulator(clock=Clock(), script=[Say("Hi", duration=1)], config=SimConfig())
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread()
    sim.create_run(thread["id"], assistant_id=asst["id"])
    sim.advance(10)
    got = reached_targets(sim)
    lc = profile().run
    start = lc.by_trigger[(lc.initial, "start")]
    assert Target("run", start.dest, start.trigger, start.source) in got
    assert Target("run", lc.initial) in got
    assert not any(t.status in lc.paused for t in got if t.kind == "run")
    assert {t.kind for t in got} == {"run", "run_step", "message"}
    assert lc.initial == spec.RUN_INITIAL
