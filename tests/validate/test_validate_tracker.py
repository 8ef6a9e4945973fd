"""The tracker across objects: poll view, stream view, both mixed, couplings, the thread lock, memory."""

from __future__ import annotations

from typing import Any

import pytest

from runfsm import spec
from runfsm.validate import Finding, Report, Tracker, validate_trace

T0 = 1_700_000_000
CALL = {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{}"}}


def run(status: str, rid: str = "run_1", tid: str = "thread_1", created: int = T0, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=rid, object="thread.run", created_at=created, thread_id=tid, assistant_id="asst_1", status=status,
             model="m", tools=[], metadata={})
    active = status in ("queued", "in_progress", "requires_action", "cancelling")
    if active:
        d["expires_at"] = created + spec.RUN_DEADLINE_SECONDS
    if status in ("in_progress", "requires_action", "completed", "incomplete", "cancelling", "cancelled",
                  "failed", "expired"):
        d["started_at"] = created + 1
    if status == "requires_action":
        d["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
            {**CALL, "id": c} for c in kw.pop("calls", ["call_a"])]}}
    end = kw.pop("end", created + 5)
    if status == "completed":
        d["completed_at"] = end
    if status == "failed":
        d.update(failed_at=end, last_error={"code": "server_error", "message": "x"})
    if status == "cancelled":
        d["cancelled_at"] = end
    if status == "incomplete":
        d["incomplete_details"] = {"reason": "max_prompt_tokens"}
    d.update(kw)
    return d


def step(status: str, sid: str = "step_1", rid: str = "run_1", calls: dict[str, str | None] | None = None,
         message: str | None = None, **kw: Any) -> dict[str, Any]:
    if calls is not None:
        details: dict[str, Any] = {"type": "tool_calls", "tool_calls": [
            {"id": c, "type": "function", "function": {"name": "f", "arguments": "{}", "output": out}}
            for c, out in calls.items()]}
    else:
        details = {"type": "message_creation", "message_creation": {"message_id": message or "msg_1"}}
    d: dict[str, Any] = {
        "id": sid, "object": "thread.run.step", "created_at": T0 + 1, "run_id": rid, "assistant_id": "asst_1",
        "thread_id": "thread_1", "type": details["type"], "status": status, "cancelled_at": None,
        "completed_at": None, "expires_at": T0 + 600, "failed_at": None, "last_error": None,
        "step_details": details, "usage": None,
    }
    stamp = {"completed": "completed_at", "cancelled": "cancelled_at", "failed": "failed_at"}.get(status)
    if stamp:
        d[stamp] = T0 + 4
    if status == "failed":
        d["last_error"] = {"code": "server_error", "message": "x"}
    if status != "in_progress":
        d["usage"] = {"total_tokens": 1}
    d.update(kw)
    return d


def msg(status: str | None, mid: str = "msg_1", rid: str | None = "run_1") -> dict[str, Any]:
    d: dict[str, Any] = {"id": mid, "object": "thread.message", "created_at": T0 + 1, "thread_id": "thread_1",
                         "run_id": rid, "role": "assistant", "content": []}
    if status is not None:
        d.update(status=status, incomplete_details=None, incomplete_at=None, completed_at=None)
        if status == "completed":
            d["completed_at"] = T0 + 4
        if status == "incomplete":
            d.update(incomplete_at=T0 + 4, incomplete_details={"reason": "run_cancelled"})
    return d


def ev(name: str, data: Any) -> tuple[str, Any]:
    return (name, data)


def codes(report: Report | list[Finding]) -> list[str]:
    findings = report.findings if isinstance(report, Report) else report
    return [f.code for f in findings]


# --- poll view ------------------------------------------------------------------------------


def test_polling_may_skip_statuses() -> None:
    report = validate_trace([run("queued"), run("completed")])
    assert report.findings == []
    assert report.histories == {"run_1": ["queued", "completed"]}
    assert report.transitions == {"run_1": [("queued", "completed", True)]}


def test_repeated_polls_collapse_in_the_history() -> None:
    t = Tracker()
    for s in ("queued", "queued", "in_progress", "in_progress", "in_progress", "completed", "completed"):
        t.feed(run(s))
    assert t.history("run_1") == ["queued", "in_progress", "completed"]
    assert t.findings == []


def test_terminal_is_absorbing() -> None:
    report = validate_trace([run("completed"), run("in_progress")])
    (f,) = report.errors
    assert f.code == "run.terminal_left" and "'completed'" in f.message and "'in_progress'" in f.message
    assert report.transitions["run_1"] == [("completed", "in_progress", False)]


def test_unreachable_move_names_what_is_reachable() -> None:
    report = validate_trace([run("requires_action"), run("incomplete")])
    # requires_action -> queued -> in_progress -> incomplete is reachable: fine
    assert report.ok
    report = validate_trace([run("cancelling"), run("in_progress")])
    (f,) = report.errors
    assert f.code == "run.illegal_transition" and "reachable from 'cancelling'" in f.message


@pytest.mark.parametrize("strict", [False, True])
def test_poll_moves_possible_only_through_inferred_edges(strict: bool) -> None:
    report = validate_trace([run("cancelling"), run("completed")], strict=strict)
    (f,) = report.findings
    assert f.code == "run.inferred_transition"
    assert f.severity == ("error" if strict else "info")
    # queued -> cancelling is an inferred edge, but a poller may have missed in_progress
    assert validate_trace([run("queued"), run("cancelling")], strict=True).findings == []


def test_immutable_fields() -> None:
    report = validate_trace([run("queued"), run("in_progress", tid="thread_2"), run("completed", tid="thread_2",
                                                                                   created=T0 + 1)])
    assert codes(report.errors) == ["run.immutable.thread_id", "run.immutable.created_at"]


def test_started_at_restamps_forward_never_back() -> None:
    ok = [run("in_progress", started_at=T0 + 1), run("requires_action", started_at=T0 + 1),
          run("queued", started_at=T0 + 1), run("in_progress", started_at=T0 + 9), run("completed", started_at=T0 + 9)]
    assert validate_trace(ok).findings == []
    back = [run("in_progress", started_at=T0 + 9), run("completed", started_at=T0 + 2)]
    assert codes(validate_trace(back).errors) == ["run.started_at_decreased"]
    cleared = [run("requires_action", started_at=T0 + 1), run("queued", started_at=None)]
    (f,) = validate_trace(cleared).findings
    assert (f.code, f.severity) == ("run.started_at_cleared", "warning")


# --- the thread lock ------------------------------------------------------------------------


def test_interleaved_polling_of_sequential_runs_is_not_an_alarm() -> None:
    trace = [run("in_progress"), run("queued", rid="run_2", created=T0 + 10), run("completed", end=T0 + 9),
             run("in_progress", rid="run_2", created=T0 + 10)]
    assert validate_trace(trace).findings == []


def test_same_second_handover_is_not_an_alarm() -> None:
    trace = [run("completed", end=T0 + 10), run("queued", rid="run_2", created=T0 + 10)]
    assert validate_trace(trace).findings == []


def test_a_run_seen_active_after_the_next_one_appeared() -> None:
    trace = [run("in_progress"), run("queued", rid="run_2", created=T0 + 10), run("in_progress")]
    report = validate_trace(trace)
    (f,) = report.errors
    assert f.code == "run.thread_locked" and "run_1" in f.message and "run_2" in f.message


def test_two_active_runs_in_one_list_page() -> None:
    page = {"object": "list", "data": [run("queued", rid="run_2", created=T0 + 10), run("requires_action")]}
    assert codes(validate_trace([page]).errors) == ["run.thread_locked"]
    other_threads = {"object": "list", "data": [run("queued", rid="run_2", tid="t2"), run("requires_action")]}
    assert validate_trace([other_threads]).findings == []


def test_overlapping_timestamps_of_finished_runs() -> None:
    trace = [run("completed", end=T0 + 20), run("completed", rid="run_2", created=T0 + 10, end=T0 + 30)]
    assert codes(validate_trace(trace).errors) == ["run.thread_locked"]
    reported_once = [*trace, run("completed", rid="run_2", created=T0 + 10, end=T0 + 30)]
    assert codes(validate_trace(reported_once).errors) == ["run.thread_locked"]


# --- steps and messages against their run ---------------------------------------------------


def test_step_or_message_in_progress_after_the_run_ended() -> None:
    report = validate_trace([run("completed"), step("in_progress"), msg("in_progress")])
    assert codes(report.errors) == ["run_step.active_after_run_end", "message.active_after_run_end"]
    # seen before the run ended: fine (it ended later, unseen)
    assert validate_trace([step("in_progress"), msg("in_progress"), run("completed")]).findings == []
    # a step ending with a cancelled run is inferred; a message ending with it is documented
    for strict, severity in ((False, "info"), (True, "error")):
        found = validate_trace([run("cancelled"), step("in_progress"), msg("in_progress")], strict=strict).findings
        assert [(f.code, f.severity) for f in found] == [("run_step.active_after_run_end", severity),
                                                         ("message.active_after_run_end", "error")]


def test_expired_step_under_a_run_that_did_not_expire() -> None:
    expired_step = step("expired", expired_at=T0 + 3)
    assert codes(validate_trace([run("completed"), expired_step]).errors) == ["run_step.expired_run_not_expired"]
    assert codes(validate_trace([expired_step, run("failed")]).errors) == ["run_step.expired_run_not_expired"]
    assert validate_trace([expired_step, run("expired")]).findings == []


def test_function_outputs_must_cover_the_required_calls() -> None:
    waiting = run("requires_action", calls=["call_a", "call_b"])
    partial = step("completed", calls={"call_a": "1", "call_b": None})
    report = validate_trace([waiting, partial])
    assert set(codes(report.errors)) == {"run_step.output_missing", "run_step.outputs_incomplete"}
    only_one = step("completed", calls={"call_a": "1"})
    assert codes(validate_trace([waiting, only_one]).errors) == ["run_step.outputs_incomplete"]
    both = step("completed", calls={"call_a": "1", "call_b": "2"})
    assert validate_trace([waiting, both]).findings == []
    earlier_round = step("completed", sid="step_0", calls={"call_z": "1"})
    assert validate_trace([waiting, earlier_round]).findings == []


def test_two_steps_in_progress_in_one_list_page() -> None:
    page = {"object": "list", "data": [step("in_progress", sid="step_2"), step("in_progress")]}
    assert codes(validate_trace([page]).errors) == ["run_step.parallel"]


# --- stream view ----------------------------------------------------------------------------

CREATE = [ev("thread.run.created", run("queued")), ev("thread.run.queued", run("queued")),
          ev("thread.run.in_progress", run("in_progress"))]
WORK = [
    ev("thread.run.step.created", step("in_progress")), ev("thread.run.step.in_progress", step("in_progress")),
    ev("thread.message.created", msg("in_progress")), ev("thread.message.in_progress", msg("in_progress")),
    ev("thread.message.delta", {"id": "msg_1", "object": "thread.message.delta", "delta": {}}),
    ev("thread.message.completed", msg("completed")), ev("thread.run.step.completed", step("completed")),
]
FINISH = [ev("thread.run.completed", run("completed")), ev("done", "[DONE]")]


def test_the_documented_stream_passes() -> None:
    report = validate_trace([*CREATE, *WORK, *FINISH])
    assert report.findings == []
    assert report.histories["run_1"] == ["queued", "in_progress", "completed"]


def test_a_stream_may_not_skip_a_status() -> None:
    report = validate_trace([CREATE[0], CREATE[1], *FINISH])
    (f,) = report.errors
    assert f.code == "run.illegal_transition" and "skipped" in f.message


@pytest.mark.parametrize("strict", [False, True])
def test_inferred_edges_in_a_stream(strict: bool) -> None:
    trace = [CREATE[0], ev("thread.run.cancelling", run("cancelling")), ev("thread.run.cancelled", run("cancelled")),
             ev("done", "[DONE]")]
    (f,) = validate_trace(trace, strict=strict).findings
    assert (f.code, f.severity) == ("run.inferred_transition", "error" if strict else "info")


def test_function_call_round_trip_over_two_streams() -> None:
    tool_step = step("in_progress", sid="step_t", calls={"call_a": None})
    first = [*CREATE, ev("thread.run.step.created", tool_step), ev("thread.run.step.in_progress", tool_step),
             ev("thread.run.requires_action", run("requires_action")), ev("done", "[DONE]")]
    second = [ev("thread.run.step.completed", step("completed", sid="step_t", calls={"call_a": "42"})),
              ev("thread.run.queued", run("queued", started_at=T0 + 1)), ev("thread.run.in_progress", run("in_progress")), *FINISH]
    report = validate_trace(first + second)
    assert report.findings == []
    assert report.histories["run_1"] == ["queued", "in_progress", "requires_action", "queued", "in_progress",
                                         "completed"]
    # the submit stream may not skip queued either
    report = validate_trace([*first, second[0], *second[2:]])
    assert codes(report.errors) == ["run.illegal_transition"]
    # and must cover the calls the run waited for
    wrong = [ev("thread.run.step.completed", step("completed", sid="step_x", calls={"call_q": "1"})), *second[1:]]
    assert "run_step.outputs_incomplete" in codes(validate_trace(first + wrong).errors)


@pytest.mark.parametrize(("trace", "code"), [
    ([CREATE[1], CREATE[2], *FINISH], "stream.start"),
    ([ev("thread.run.step.completed", step("completed")), *FINISH], "stream.start"),
    ([*CREATE, ev("done", "[DONE]")], "stream.done_early"),
    ([*CREATE, *WORK, *FINISH, ev("thread.run.in_progress", run("in_progress"))], "stream.after_done"),
    ([*CREATE, ev("thread.run.completed", run("in_progress"))], "stream.event_status"),
    ([*CREATE, ev("thread.run.step.created", run("in_progress"))], "stream.event_object"),
    ([*CREATE, WORK[0], WORK[1], ev("thread.run.step.created", step("in_progress", sid="step_2"))],
     "stream.step_overlap"),
    ([*CREATE, WORK[2]], "stream.order"),                       # message created outside its step
    ([*CREATE, WORK[0], WORK[2], WORK[6]], "stream.order"),     # step completed while its message goes on
    ([*CREATE, WORK[0], WORK[2], WORK[5], WORK[4]], "stream.order"),  # delta after the message completed
    ([CREATE[0], WORK[0]], "stream.order"),                     # step created while the run is queued
    ([*CREATE, WORK[1]], "stream.order"),                       # step in_progress before it was created
    ([*CREATE, WORK[0], WORK[1], *FINISH], "stream.open_at_run_end"),
    ([ev("thread.created", {"id": "thread_9", "object": "thread"}), *CREATE, *FINISH], "stream.thread_mismatch"),
    ([ev("thread.created", {"id": "thread_1", "object": "thread"}), CREATE[1]], "stream.order"),
    ([*CREATE, ev("thread.run.in_progress", run("in_progress", rid="run_2"))], "stream.mixed_runs"),
    ([*CREATE, *WORK, ev("thread.run.completed", run("completed")), ev("done", "[DONE]"),
      ev("done", "[DONE]")], "stream.after_done"),
])
def test_stream_order_violations(trace: list[tuple[str, Any]], code: str) -> None:
    report = validate_trace(trace)
    assert code in codes(report.errors), codes(report)


@pytest.mark.parametrize("strict", [False, True])
def test_order_of_a_cancel_inside_a_stream_is_inferred(strict: bool) -> None:
    trace = [*CREATE, WORK[0], WORK[1], ev("thread.run.cancelling", run("cancelling")),
             ev("thread.run.cancelled", run("cancelled")), ev("done", "[DONE]")]
    found = [f for f in validate_trace(trace, strict=strict).findings if f.code == "stream.open_at_run_end"]
    assert [f.severity for f in found] == ["error" if strict else "info"]


def test_warnings_and_notes_in_streams() -> None:
    trace = [*CREATE, ev("thread.run.in_progress", run("in_progress")), ev("thread.run.complete", run("completed")),
             ev("thread.run.completed", run("completed")), ev("done", "whatever")]
    report = validate_trace(trace)
    assert {(f.code, f.severity) for f in report.findings} == {
        ("stream.repeated_status", "warning"), ("stream.unknown_event", "warning"), ("stream.done_data", "warning")}
    unknown = next(f for f in report.findings if f.code == "stream.unknown_event")
    assert "Did you mean 'thread.run.completed'?" in unknown.message
    notes = validate_trace([*CREATE, ev("error", {"error": {"message": "server fell over"}})])
    assert [(f.code, f.severity) for f in notes.findings] == [("stream.error_event", "info")]
    assert "server fell over" in notes.findings[0].message
    cut = validate_trace(CREATE)
    assert [(f.code, f.severity) for f in cut.findings] == [("stream.unterminated", "info")]


def test_a_new_create_stream_ends_an_abandoned_one() -> None:
    abandoned = [*CREATE, ev("thread.run.created", run("queued", rid="run_2", created=T0 + 10))]
    report = validate_trace(abandoned)
    assert codes(report.findings)[:1] == ["stream.unterminated"]
    assert report.ok
    again = [*CREATE, ev("thread.run.created", run("queued"))]  # a run is created once
    assert "stream.order" in codes(validate_trace(again).errors) or not validate_trace(again).ok


def test_streams_are_kept_apart_by_key() -> None:
    t = Tracker()
    for i, (name, data) in enumerate(CREATE):
        t.feed_event(name, data, stream="a")
        other = run(data["status"], rid="run_2", tid="thread_2")
        t.feed_event(name, other, stream="b")
        assert t.findings == [], i
    t.feed_event("thread.run.completed", run("completed"), stream="a")
    t.feed_event("done", "[DONE]", stream="a")
    assert t.findings == []
    assert t.end_stream("b") and t.findings[-1].code == "stream.unterminated"


# --- mixing polls and streams, and concurrent observations -----------------------------------


def test_a_poll_between_stream_events_does_not_confuse_the_stream() -> None:
    trace = [*CREATE, run("completed"), *WORK, *FINISH]  # a concurrent poll saw the end before the stream did
    report = validate_trace(trace)
    assert report.findings == []
    assert report.histories["run_1"] == ["queued", "in_progress", "completed"]


def test_concurrent_requests_may_answer_out_of_order() -> None:
    t = Tracker()
    before = t.mark()
    t.feed(run("completed"))
    assert t.feed(run("in_progress"), after=before) == []  # its request was sent before the answer above
    assert t.history("run_1") == ["completed"]
    assert codes(t.feed(run("in_progress"))) == ["run.terminal_left"]  # sent after: a real move back


# --- input, memory, robustness ---------------------------------------------------------------


class _Model:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def model_dump(self) -> dict[str, Any]:
        return self.data


def test_inputs_of_every_shape() -> None:
    import json

    t = Tracker()
    t.feed(json.dumps(run("queued")))
    t.feed(json.dumps(run("in_progress")).encode())
    t.feed(_Model(run("requires_action")))
    t.feed([run("queued", started_at=T0 + 1), run("in_progress")])
    t.feed_record(("thread.run.completed", run("completed")))
    t.feed_record({"event": "done", "data": "[DONE]"})
    t.feed({"object": "thread", "id": "thread_1"})  # not a lifecycle object: skipped quietly
    t.feed({"object": "thread.run.step.delta", "id": "step_1", "delta": {}})
    assert t.findings == [f for f in t.findings if f.code == "stream.start"]
    assert t.history("run_1") == ["queued", "in_progress", "requires_action", "queued", "in_progress", "completed"]


def test_unreadable_inputs_are_findings_not_exceptions() -> None:
    t = Tracker()
    assert codes(t.feed("{nope")) == ["input.json"]
    assert codes(t.feed(b"\xff\xfe")) == ["input.encoding"]
    assert codes(t.feed(3.5)) == ["input.type"]
    assert codes(t.feed({"id": "run_1", "status": "queued"})) == ["input.object"]
    assert codes(t.feed({"object": "list", "data": {}})) == ["input.type"]
    assert codes(t.feed_event("thread.run.created", "{broken")) == ["input.json"]
    assert codes(Tracker().feed_event("thread.run.created", None)) == ["input.sse"]


def test_a_bug_inside_the_validator_becomes_a_finding() -> None:
    class Evil(dict):  # type: ignore[type-arg]
        def get(self, *args: Any) -> Any:
            raise RuntimeError("boom")

    (f,) = Tracker().feed(Evil(object="thread.run"))
    assert f.code == "internal.error" and "boom" in f.message


def test_forget_and_keep_finished_bound_memory() -> None:
    t = Tracker()
    t.feed(run("in_progress"))
    t.feed(step("in_progress"))
    t.forget("run_1")
    assert t.history("run_1") == [] and t.run_ids() == []
    t.feed(step("completed"))  # the step is new again: no state left behind
    assert t.findings == []
    bounded = Tracker(keep_finished=3)
    for i in range(10):
        bounded.feed(run("completed", rid=f"run_{i}", tid=f"t{i}", created=T0 + 100 * i, end=T0 + 100 * i + 5))
    assert bounded.run_ids() == ["run_7", "run_8", "run_9"]
    assert len(bounded._runs.threads) == 3


def test_the_share_is_the_report_as_plain_copies() -> None:
    t = Tracker()
    t.feed(run("queued"))
    t.feed(run("in_progress"))
    t.feed(run("thinking", rid="run_2", tid="thread_2"))
    share = t.share()
    report = t.report()
    assert [(rid, h, m) for _, rid, h, m in share.runs] == [
        (rid, report.histories[rid], report.transitions[rid]) for rid in report.histories]
    assert share.unknown == report.unknown_statuses == {"run_2": {"thinking": 1}}
    assert share.periods == report.periods and sum(share.periods.values()) == 1
    share.runs[0][2].append("completed")
    share.unknown["run_2"]["thinking"] = 9
    assert t.history("run_1") == ["queued", "in_progress"] and t.report().unknown_statuses["run_2"]["thinking"] == 1


def test_an_id_in_two_files_is_two_runs_only_when_the_sources_are_files() -> None:
    for files in (False, True):
        t = Tracker()
        if files:
            t.sources_are_files()
        t.feed(run("completed"), source="a.jsonl", line=1)
        found = t.feed(run("queued", tid="thread_2"), source="b.jsonl", line=1)
        codes = [f.code for f in found]
        assert (codes == ["run.id_reused"]) if files else ("run.terminal_left" in codes)


def test_history_is_capped() -> None:
    t = Tracker(history_limit=4)
    t.feed(run("in_progress"))
    for _ in range(10):
        t.feed(run("requires_action"))
        t.feed(run("queued", started_at=T0 + 1))
        t.feed(run("in_progress"))
    assert len(t.history("run_1")) == 4 and len(t.moves("run_1")) == 4
    assert t.findings == []


def test_one_response_holds_one_stream() -> None:
    t = Tracker()
    t.begin_stream("r", single=True)
    for name, data in [*CREATE, *WORK, *FINISH]:
        t.feed_event(name, data, stream="r")
    assert t.findings == []
    t.feed_event("thread.run.created", run("queued", rid="run_2", created=T0 + 10), stream="r")
    assert codes(t.findings) == ["stream.after_done"]
    t2 = Tracker()
    t2.begin_stream("r", single=True)
    for name, data in CREATE:
        t2.feed_event(name, data, stream="r")
    t2.feed_event("thread.created", {"id": "thread_1", "object": "thread"}, stream="r")
    assert codes(t2.findings) == ["stream.order"]


@pytest.mark.parametrize(("version", "expected"), [("v2", {("stream.order", "info"),
                                                            ("message.active_after_run_end", "error")}),
                                                   ("v1", set())])
def test_a_message_interrupted_by_its_run_depends_on_the_version(version: str, expected: set[Any]) -> None:
    """v2 ends it 'incomplete'; v1 has no such status, so nothing says how it ends."""
    trace = [*CREATE, WORK[0], WORK[1], WORK[2], WORK[3], ev("thread.run.cancelling", run("cancelling")),
             ev("thread.run.step.cancelled", step("cancelled")), ev("thread.run.cancelled", run("cancelled")),
             ev("done", "[DONE]"), msg("in_progress")]
    found = {(f.code, f.severity) for f in validate_trace(trace, version=version).findings}
    assert found - {("run.inferred_transition", "info"), ("stream.open_at_run_end", "info")} == expected


def test_an_event_name_that_is_not_a_string() -> None:
    assert codes(Tracker().feed_event(["thread.run.created"], run("queued"))) == ["input.type"]  # type: ignore[arg-type]


# --- odd input: runfsm's own finding, never an internal error ------------------------------------------------------

HUGE = 10**5000  # too many digits for str(int)


@pytest.mark.parametrize("fields", [
    {"created_at": HUGE},  # timestamps before created_at
    {"expires_at": HUGE},  # the deadline warning
    {"created_at": -HUGE, "expires_at": 5},
])
def test_huge_integer_timestamps_are_reported_not_crashed_on(fields: dict[str, Any]) -> None:
    found = Tracker().feed(run("in_progress", **fields))
    assert found and not [f for f in found if f.code.startswith("internal")]
    assert {f.code for f in found} & {"run.timestamp_order", "run.expires_at_deadline"}
    assert all(len(f.message) < 600 for f in found)


def test_huge_started_at_going_back_is_reported() -> None:
    t = Tracker()
    t.feed(run("in_progress", started_at=HUGE))
    found = t.feed(run("in_progress", started_at=T0 + 2))
    assert [f.code for f in found] == ["run.started_at_decreased"]
    assert "bits" in found[0].message


@pytest.mark.parametrize("rid", [{"a": 1}, ["run_1"]])
def test_unhashable_run_id_is_an_input_error(rid: object) -> None:
    found = Tracker().feed(run("queued", rid=rid))  # type: ignore[arg-type]
    assert [f.code for f in found] == ["input.type"]
    assert "'id' of type" in found[0].message


@pytest.mark.parametrize("obj", [{"a": 1}, ["thread.run"]])
def test_unhashable_object_type_is_an_input_error(obj: object) -> None:
    found = Tracker().feed({"object": obj, "id": "x", "status": "queued"})
    assert [f.code for f in found] == ["input.object"]
    assert f"'object' of type {type(obj).__name__}" in found[0].message
    # in a list page as well, and the good item next to it is still checked
    page = {"object": "list", "data": [{"object": obj, "id": "y"}, run("queued", rid="run_9")]}
    t = Tracker()
    codes = [f.code for f in t.feed(page)]
    assert codes == ["input.object"] and t.history("run_9") == ["queued"]
