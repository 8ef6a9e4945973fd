"""Every official spec example is read without crashing, and each known defect (listed in the
examples' README) comes out as the right finding, at the right line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runfsm.validate import Report, validate_paths

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "spec_examples"
FILES = sorted(p for p in EXAMPLES.iterdir() if p.name != "README.md")


def check(name: str) -> Report:
    return validate_paths([EXAMPLES / name])


def found(report: Report) -> set[tuple[str, int | None]]:
    return {(f.code, f.line) for f in report.findings}


def bad_json_lines(name: str) -> set[int]:
    """Lines whose ``data:`` payload is not JSON as written (computed here, independently)."""
    out = set()
    for n, line in enumerate((EXAMPLES / name).read_text().splitlines(), 1):
        if line.startswith("data: ") and line != "data: [DONE]":
            try:
                json.loads(line[6:])
            except ValueError:
                out.add(n)
    return out


def elision_lines(name: str) -> set[int]:
    return {n for n, line in enumerate((EXAMPLES / name).read_text().splitlines(), 1) if line.strip() == "..."}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_is_read_without_crashing(path: Path) -> None:
    report = validate_paths([path])
    assert not [f for f in report.findings if f.code == "internal.error"]
    for f in report.findings:
        assert f.source == str(path)
        assert f.line is not None, f
        assert f.message and f.code.count(".") >= 1


def test_all_examples_together_are_read_too() -> None:
    report = validate_paths(FILES)
    assert not [f for f in report.findings if f.code == "internal.error"]
    # unrelated examples reuse run ids: read as one log, the reuse is reported, not crashed on
    assert report.input_errors


def test_queued_run_with_completed_at_and_no_expires_at() -> None:
    report = check("createRun__default.json")
    by_code = {f.code: f for f in report.findings}
    early = by_code["run.field.completed_at_early"]
    assert (early.severity, early.rule, early.object_id) == ("warning", "run.completed_at_early", "run_abc123")
    assert "'queued'" in early.message and "completed_at" in early.message
    expires = by_code["run.field.expires_at_active"]
    assert (expires.severity, expires.rule) == ("warning", "run.expires_at_active")
    assert report.ok  # disputed rules are warnings, not errors


def test_function_tools_without_requires_action_is_not_a_violation() -> None:
    """A run may declare a function tool and answer without calling it: no false alarm."""
    report = check("createRun__streaming_with_functions.sse.txt")
    assert [f for f in report.findings if not f.code.startswith("input.")] == []
    assert report.histories["run_123"] == ["queued", "in_progress", "completed"]


@pytest.mark.parametrize("name", [p.name for p in FILES if p.name.endswith(".sse.txt")])
def test_extra_brace_lines_and_elisions_are_input_errors_of_their_line(name: str) -> None:
    report = check(name)
    json_lines = {f.line for f in report.findings if f.code == "input.json"}
    assert json_lines == bad_json_lines(name)
    sse_lines = {f.line for f in report.findings if f.code == "input.sse"}
    assert elision_lines(name) <= sse_lines
    assert all(f.severity == "error" and f.kind == "input" for f in report.input_errors)


def test_extra_brace_objects_are_still_checked() -> None:
    """The object before the stray brace is read, so its run still gets a full history."""
    report = check("createThreadAndRun__streaming_with_functions.sse.txt")
    assert report.histories["run_123"] == ["queued", "in_progress", "requires_action"]
    usage = [f for f in report.findings if f.code == "run.field.usage_early"]
    assert [(f.line, f.severity) for f in usage] == [(37, "warning")]


def test_missing_data_prefix_and_null_started_at() -> None:
    report = check("createThreadAndRun__streaming.sse.txt")
    assert found(report) == {
        ("run.field.started_at", 11),       # in_progress with started_at null (disputed: warning)
        ("input.sse", 28),                  # the '...' elision
        ("input.sse", 43),                  # the line that lost its 'data: ' prefix
        ("run.immutable.created_at", 43),   # ... read anyway: its created_at differs from the others
    }
    started = next(f for f in report.findings if f.code == "run.field.started_at")
    assert started.severity == "warning" and started.rule == "run.started_at"
    changed = next(f for f in report.findings if f.code == "run.immutable.created_at")
    assert changed.severity == "error" and "1710348075" in changed.message and "1710348076" in changed.message
    assert report.histories["run_123"][-1] == "completed"


@pytest.mark.parametrize("name", ["getRunStep__default.json", "listRunSteps__default.json",
                                  "submitToolOuputsToRun__streaming.sse.txt", "createRun__streaming.sse.txt"])
def test_step_expiry_key_is_accepted_either_way(name: str) -> None:
    report = check(name)
    assert not [f for f in report.findings if f.kind == "run_step" or "expire" in f.message]


def test_submit_stream_starts_with_the_tool_step() -> None:
    report = check("submitToolOuputsToRun__streaming.sse.txt")
    assert [f for f in report.findings if not f.code.startswith("input.")] == []
    assert report.histories["run_123"] == ["queued", "in_progress", "completed"]


def test_examples_without_defects_pass() -> None:
    for name in ("createThreadAndRun__default.json", "getRunStep__default.json", "listRunSteps__default.json"):
        assert check(name).findings == [], name


@pytest.mark.parametrize("name", ["cancelRun__default.json", "getRun__default.json", "listRuns__default.json",
                                  "modifyRun__default.json", "submitToolOuputsToRun__default.json"])
def test_run_examples_lack_keys_the_wire_always_has(name: str) -> None:
    report = check(name)
    assert report.findings and {f.code for f in report.findings} == {"run.missing_keys"}
    assert all(f.severity == "warning" and "required_action" in f.message for f in report.findings)


@pytest.mark.parametrize("name", ["RunObject.json", "RunStepObject.json", "MessageObject.json"])
def test_schema_documents_are_not_api_objects(name: str) -> None:
    report = check(name)
    assert [(f.code, f.line) for f in report.findings] == [("input.object", 1)]
