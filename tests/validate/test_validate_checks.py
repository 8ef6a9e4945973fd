"""Per-object rules: every field rule of the spec, the value domains, timestamps, and unreadable objects."""

from __future__ import annotations

from typing import Any

import pytest

from runfsm import spec
from runfsm.lifecycle import profile
from runfsm.validate import InputError, Tracker, validate_trace
from runfsm.validate._checks import Anchors, ObjectChecks

T0 = 1_700_000_000
KINDS = ("run", "run_step", "message")
CASES = [(v, k) for v in spec.VERSIONS for k in KINDS]


def wanted(rule: spec.FieldRule, status: str) -> bool | None:
    inside = status in rule.statuses
    if rule.kind in ("exactly", "set") and inside:
        return True
    if (rule.kind == "exactly" and not inside) or (rule.kind == "null_outside" and not inside) or (
            rule.kind == "null" and inside):
        return False
    return None


def legal(version: str, kind: str, status: str) -> dict[str, Any]:
    """An object of ``kind`` in ``status`` that keeps every field rule."""
    prof = profile(version)
    lc = prof.lifecycle(kind)
    d: dict[str, Any] = {"id": f"{kind}_1", "object": spec.OBJECT_TYPES[kind], "created_at": T0,
                         "thread_id": "thread_1", "status": status}
    if kind == "run":
        d.update({k: None for k in spec.RUN_KEYS if k not in d}, assistant_id="asst_1", model="m", tools=[],
                 metadata={})
    else:
        d["run_id"] = "run_1"
    if kind == "run_step":
        d.update(type="message_creation", step_details={"type": "message_creation",
                                                        "message_creation": {"message_id": "msg_1"}})
    for rule in lc.field_rules:
        if wanted(rule, status):
            d[rule.field] = value(rule.field, kind)
    if kind == "run" and d.get("expires_at") is not None:
        d["expires_at"] = T0 + spec.RUN_DEADLINE_SECONDS
    return d


def value(fieldname: str, kind: str) -> Any:
    if fieldname == "required_action":
        return {"type": spec.REQUIRED_ACTION_TYPE, spec.REQUIRED_ACTION_TYPE: {"tool_calls": [
            {"id": "call_1", "type": spec.PAUSING_TOOL_CALL_TYPE, "function": {"name": "f", "arguments": "{}"}}]}}
    if fieldname == "last_error":
        return {"code": (spec.RUN_ERROR_CODES if kind == "run" else spec.STEP_ERROR_CODES)[0], "message": "x"}
    if fieldname == "incomplete_details":
        return {"reason": (spec.RUN_INCOMPLETE_REASONS if kind == "run" else spec.MESSAGE_INCOMPLETE_REASONS)[0]}
    if fieldname == "usage":
        return {"total_tokens": 1}
    return T0 + 5


@pytest.mark.parametrize(("version", "kind"), CASES)
def test_objects_keeping_every_rule_have_no_findings(version: str, kind: str) -> None:
    checks = ObjectChecks(profile(version), kind)
    for status in checks.lifecycle.order:
        oid, got_status, problems = checks.inspect(legal(version, kind, status))
        assert (oid, got_status, problems) == (f"{kind}_1", status, [])


@pytest.mark.parametrize(("version", "kind"), CASES)
def test_every_field_rule_is_enforced_with_its_grade(version: str, kind: str) -> None:
    lc = profile(version).lifecycle(kind)
    checks = ObjectChecks(profile(version), kind)
    tried = 0
    for status in lc.order:
        for rule in lc.field_rules:
            want = wanted(rule, status)
            if want is None:
                continue
            d = legal(version, kind, status)
            d[rule.field] = None if want else value(rule.field, kind)
            _, _, problems = checks.inspect(d)
            hits = [p for p in problems if p.rule is not None and lc_rule(lc, p.rule).field == rule.field]
            assert hits, (status, rule.code)
            agreed = [r for r in lc.field_rules if r.field == rule.field and wanted(r, status) == want]
            expected = "warning" if all(r.disputed for r in agreed) else "error"
            assert hits[0].severity == expected, (status, rule.code)
            assert hits[0].code == f"{kind}.field.{lc_rule(lc, hits[0].rule).code.split('.', 1)[1]}"
            assert status in hits[0].message and rule.field in hits[0].message
            tried += 1
    assert tried >= len(lc.field_rules)


def lc_rule(lc: Any, code: str | None) -> spec.FieldRule:
    return next(r for r in lc.field_rules if r.code == code)


def test_unknown_status_is_an_error_with_a_suggestion() -> None:
    d = legal("v2", "run", "completed")
    d["status"] = "complete"
    report = validate_trace([d])
    (f,) = report.errors
    assert f.code == "run.unknown_status" and "Did you mean 'completed'?" in f.message
    assert "Known statuses:" in f.message
    assert "run_1" not in report.histories  # an unknown status is not tracked


def test_v1_has_no_incomplete() -> None:
    d = legal("v2", "run", "incomplete")
    assert validate_trace([d], version="v2").ok
    assert [f.code for f in validate_trace([d], version="v1").errors] == ["run.unknown_status"]


def test_message_objects_without_status_are_normal() -> None:
    msg = {"id": "msg_1", "object": "thread.message", "created_at": T0, "thread_id": "thread_1", "run_id": None,
           "role": "user", "content": []}
    assert validate_trace([msg]).findings == []


def test_unknown_extra_keys_and_step_expiry_spellings_are_normal() -> None:
    d = legal("v2", "run", "in_progress")
    d.update(temperature=1, some_future_key={"x": 1}, instructions=None)
    step = legal("v2", "run_step", "completed")
    step_wire = dict(step, expires_at=T0 + 600)
    step_schema = dict(step, expired_at=None, id="step_2")
    assert validate_trace([d, step_wire, step_schema]).findings == []


def test_timestamps_before_created_at() -> None:
    d = legal("v2", "run", "completed")
    d["completed_at"] = T0 - 1
    codes = [f.code for f in validate_trace([d]).errors]
    assert codes == ["run.timestamp_order"]
    step = legal("v2", "run_step", "expired")
    step["expired_at"] = T0 - 5
    assert [f.code for f in validate_trace([step]).errors] == ["run_step.timestamp_order"]


def test_deadline_is_created_at_plus_the_spec_deadline_while_active() -> None:
    d = legal("v2", "run", "requires_action")
    d["expires_at"] = T0 + spec.RUN_DEADLINE_SECONDS + 30
    (f,) = validate_trace([d]).findings
    assert (f.code, f.severity) == ("run.expires_at_deadline", "warning")
    assert str(T0 + spec.RUN_DEADLINE_SECONDS) in f.message


def test_missing_run_keys_are_reported_once_per_run() -> None:
    d = legal("v2", "run", "queued")
    del d["required_action"]
    report = validate_trace([d, dict(d), dict(d)])
    assert [f.code for f in report.findings] == ["run.missing_keys"]
    v1 = legal("v1", "run", "queued")
    del v1["incomplete_details"]  # v1 runs have no incomplete_details
    assert validate_trace([v1], version="v1").findings == []


@pytest.mark.parametrize(("mutate", "code", "severity"), [
    (lambda d: d["required_action"].update(type="other"), "run.value.required_action", "error"),
    (lambda d: d["required_action"]["submit_tool_outputs"]["tool_calls"][0].update(type="code_interpreter"),
     "run.value.required_action", "error"),
    (lambda d: d["required_action"]["submit_tool_outputs"].update(tool_calls=[]), "run.value.required_action",
     "error"),
])
def test_required_action_shape(mutate: Any, code: str, severity: str) -> None:
    d = legal("v2", "run", "requires_action")
    mutate(d)
    (f,) = validate_trace([d]).findings
    assert (f.code, f.severity, f.rule) == (code, severity, "run.required_action")


def test_value_domains_are_warnings() -> None:
    failed = legal("v2", "run", "failed")
    failed["last_error"] = {"code": "brand_new_code", "message": "x"}
    incomplete = dict(legal("v2", "run", "incomplete"), id="run_2", incomplete_details={"reason": "bored"})
    step = legal("v2", "run_step", "failed")
    step["last_error"] = {"code": "invalid_prompt", "message": "x"}  # not a step error code
    msg = dict(legal("v2", "message", "incomplete"), incomplete_details={"reason": "max_completion_tokens"})
    report = validate_trace([failed, incomplete, step, msg])
    assert {(f.code, f.severity) for f in report.findings} == {
        ("run.value.last_error", "warning"), ("run.value.incomplete_details_reason", "warning"),
        ("run_step.value.last_error", "warning"), ("message.value.incomplete_details_reason", "warning"),
    }


@pytest.mark.parametrize(("version", "call_type", "ok"), [
    ("v2", "file_search", True), ("v2", "retrieval", False), ("v1", "retrieval", True), ("v1", "file_search", False),
])
def test_tool_call_types_follow_the_version(version: str, call_type: str, ok: bool) -> None:
    step = legal(version, "run_step", "completed")
    step.update(type="tool_calls", step_details={"type": "tool_calls", "tool_calls": [
        {"id": "c1", "type": call_type, call_type: {}}]})
    codes = [f.code for f in validate_trace([step], version=version).findings]
    assert codes == ([] if ok else ["run_step.value.tool_call_type"])


def test_step_details_must_match_the_step_type() -> None:
    step = legal("v2", "run_step", "completed")
    step["type"] = "tool_calls"
    assert [f.code for f in validate_trace([step]).errors] == ["run_step.value.step_details"]


@pytest.mark.parametrize(("key", "bad", "code"), [
    ("id", None, "input.missing_key"),
    ("id", 5, "input.type"),
    ("status", None, "input.missing_key"),
    ("status", ["queued"], "input.type"),
    ("created_at", "yesterday", "input.type"),
    ("created_at", True, "input.type"),
    ("completed_at", 1.5, "input.type"),
    ("completed_at", float("inf"), "input.type"),
    ("thread_id", 7, "input.type"),
    ("last_error", "boom", "input.type"),
    ("required_action", [], "input.type"),
])
def test_wrong_types_and_missing_keys_make_the_object_unreadable(key: str, bad: Any, code: str) -> None:
    d = legal("v2", "run", "completed")
    d[key] = bad
    checks = ObjectChecks(profile("v2"), "run")
    with pytest.raises(InputError) as err:
        checks.inspect(d, "f.jsonl", 3)
    assert err.value.code == code and err.value.line == 3 and "f.jsonl:3" in str(err.value)
    (f,) = Tracker().feed(d, source="f.jsonl", line=3)
    assert (f.code, f.kind, f.source, f.line, f.severity) == (code, "input", "f.jsonl", 3, "error")


@pytest.mark.parametrize("kind", ["run", "run_step", "message"])
def test_a_timestamp_no_clock_can_hold_is_an_error(kind: str) -> None:
    # 10**400, negative, beyond year 9999: read without a crash, reported once each, the rest still checked
    for value in (10 ** 400, -1, 253_402_300_800):
        d = legal("v2", kind, "completed")
        d["created_at"] = value
        found = validate_trace([d]).findings
        assert [f.code for f in found if f.code.endswith("timestamp_range")] == [f"{kind}.timestamp_range"]
        assert "no clock can hold" in found[0].message and len(found[0].message) < 400
    d = legal("v2", kind, "completed")
    d["created_at"] = 253_402_300_799  # the last second of year 9999 is fine
    assert not [f for f in validate_trace([d]).findings if f.code.endswith("timestamp_range")]
    d["created_at"] = 1.5  # a float with a fraction is no Unix time either
    (f,) = validate_trace([d]).findings
    assert f.code == "input.type" and "integer Unix time" in f.message


def test_a_step_needs_its_run_id() -> None:
    step = legal("v2", "run_step", "completed")
    del step["run_id"]
    (f,) = Tracker().feed(step)
    assert f.code == "input.missing_key" and "run_id" in f.message


@pytest.mark.parametrize("version", spec.VERSIONS)
def test_anchors_are_derived_from_the_tables(version: str) -> None:
    a = Anchors(profile(version))
    assert a.run_working == "in_progress"
    assert (a.run_clock_end, a.step_clock_end) == ("expired", "expired")
    assert a.step_recorded_end == {"completed"}
    # a message out of tokens ends before its run (recorded 2024-04-27), where runs can end incomplete
    message_end = {"completed", "incomplete"} if version == "v2" else {"completed"}
    assert a.ordered_end == {"run_step": {"completed"}, "message": message_end}
    assert a.end_stamp == {"completed": "completed_at", "failed": "failed_at", "cancelled": "cancelled_at"}


def test_huge_and_deeply_nested_values_do_not_break_messages() -> None:
    deep: Any = []
    for _ in range(50_000):
        deep = [deep]
    d = legal("v2", "run", "in_progress")
    d["usage"] = {"nested": deep, "big": "x" * 1_000_000}
    d["status"] = "in_progress"
    (f,) = validate_trace([d]).findings
    assert f.code == "run.field.usage_early" and len(f.message) < 500
    d["status"] = "q" * 100_000
    (f,) = validate_trace([d]).findings
    assert f.code == "run.unknown_status" and len(f.message) < 500
