"""Validation of Responses objects, polled traces and streams; mixed logs through runfsm validate."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import _cli as cli
from runfsm import responses_spec as rs
from runfsm import strategies as rst
from runfsm.lifecycle import compile_protocol
from runfsm.validate import validate_paths, validate_trace
from runfsm.validate._responses import ResponsesTracker, validate_responses

PROFILE = compile_protocol(rs.PROTOCOL)
LC = PROFILE.primary


def resp(status: str, rid: str = "resp_1", **fields: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": rid, "object": "response", "created_at": 1_700_000_000, "status": status,
                         "background": True, "error": None, "incomplete_details": None, "completed_at": None}
    if status == "completed":
        d["completed_at"] = 1_700_000_009
    if status == "failed":
        d["error"] = {"code": "server_error", "message": "boom"}
    if status == "incomplete":
        d["incomplete_details"] = {"reason": "max_output_tokens"}
    d.update(fields)
    return d


def ev(kind: str, seq: int, status: str | None = None, rid: str = "resp_1", **fields: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"type": kind, "sequence_number": seq, **fields}
    if status is not None:
        d["response"] = resp(status, rid)
    return d


def stream(end: str = "completed", rid: str = "resp_1", start: int = 0) -> list[dict[str, Any]]:
    return [
        ev("response.created", start, "queued", rid), ev("response.queued", start + 1, "queued", rid),
        ev("response.in_progress", start + 2, "in_progress", rid),
        ev("response.output_item.added", start + 3, output_index=0, item={"type": "message", "id": "msg_1"}),
        ev("response.output_text.delta", start + 4, item_id="msg_1", output_index=0, content_index=0, delta="Hi"),
        ev(f"response.{end}", start + 5, end, rid),
    ]


def codes(items: list[Any], strict: bool = False) -> list[str]:
    return validate_responses(items, strict=strict).codes()


# -- objects and polls ------------------------------------------------------------------------------

def test_a_polled_background_response_validates_clean() -> None:
    assert validate_responses([resp("queued"), resp("in_progress"), resp("completed")]).findings == []
    assert codes([resp("queued"), resp("completed")]) == []  # a poller may miss statuses


def test_field_rules_of_each_terminal_status() -> None:
    assert codes([resp("failed", error=None)]) == ["response.field.error"]
    assert codes([resp("incomplete", incomplete_details=None)]) == ["response.field.incomplete_details"]
    assert codes([resp("in_progress", completed_at=1_700_000_001)]) == ["response.field.completed_at"]
    assert codes([resp("completed", error={"code": "x", "message": "y"})]) == ["response.field.error"]


def test_whole_second_floats_are_read_as_seconds() -> None:
    assert codes([resp("completed", created_at=1_700_000_000.0, completed_at=1_700_000_003.5)]) == []
    assert codes([resp("completed", created_at=float("nan"))]) == ["input.type"]


@pytest.mark.parametrize("second", [1_700_000_000, 1_700_000_001])  # an even and an odd second: .5 rounds to even
@pytest.mark.parametrize("fraction", [0.4, 0.5, 0.6])
def test_a_float_timestamp_is_the_second_it_falls_in(second: int, fraction: float) -> None:
    at = second + fraction
    same = resp("completed", created_at=at, completed_at=second)
    earlier = resp("completed", created_at=second + 1, completed_at=at)
    assert codes([same]) == []  # created and completed in the same second
    report = validate_responses([earlier])
    assert report.codes() == ["response.timestamp_order"]
    assert f"completed_at ({second}) is earlier than created_at ({second + 1})" in report.findings[0].message
    events = stream("completed")  # a streamed response alike
    for event in events:
        if "response" in event:
            event["response"]["created_at"] = second + 1
    events[-1]["response"]["completed_at"] = at
    assert codes(events) == ["response.timestamp_order"]
    # below zero is before any clock, however little
    assert codes([resp("queued", created_at=-1 + fraction)]) == ["response.timestamp_range"]


def test_terminal_statuses_are_absorbing_but_a_lost_cancel_race_is_observed() -> None:
    assert codes([resp("completed"), resp("in_progress")]) == ["response.terminal_left"]
    report = validate_responses([resp("cancelled"), resp("completed")])
    assert [(f.code, f.severity) for f in report.findings] == [("response.observed_transition", "info")]
    assert report.ok
    assert codes([resp("cancelled"), resp("completed")], strict=True) == ["response.terminal_left"]


def test_unknown_statuses_and_objects_are_findings() -> None:
    assert codes([resp("requires_action")]) == ["response.unknown_status"]
    assert codes([resp("expired")]) == ["response.unknown_status"]
    assert codes(["{not json", 7, {"object": "thread.run", "id": "run_1", "status": "queued"}]) == [
        "input.json", "input.type", "input.object"]


# -- streams ----------------------------------------------------------------------------------------

def test_a_whole_background_stream_validates_clean() -> None:
    for end in ("completed", "failed", "incomplete"):
        assert validate_responses(stream(end)).findings == []


def test_a_foreground_stream_is_created_in_progress() -> None:
    events = [ev("response.created", 0, "in_progress"), ev("response.in_progress", 1, "in_progress"),
              ev("response.completed", 2, "completed")]
    assert codes(events) == []


@pytest.mark.parametrize(("seqs", "code"), [
    ((0, 1, 2, 2, 3, 4), "stream.sequence_order"),
    ((0, 1, 2, 1, 3, 4), "stream.sequence_order"),
    ((0, 1, 2, 4, 5, 6), "stream.sequence_gap"),
])
def test_sequence_numbers_that_repeat_go_back_or_skip(seqs: tuple[int, ...], code: str) -> None:
    events = [dict(e, sequence_number=n) for e, n in zip(stream(), seqs, strict=True)]
    assert codes(events) == [code]


def test_one_terminal_event_and_nothing_after_it() -> None:
    events = [*stream(), ev("response.output_text.delta", 6, item_id="msg_1", delta="late")]
    assert codes(events) == ["stream.after_terminal"]
    twice = [*stream(), ev("response.failed", 6, "failed")]
    assert "stream.after_terminal" in codes(twice)


def test_a_stream_cut_short_is_noted_and_a_cancelled_event_does_not_exist() -> None:
    report = validate_responses(stream()[:3])
    assert [(f.code, f.severity) for f in report.findings] == [("stream.unterminated", "info")]
    assert codes([*stream()[:3], ev("response.cancelled", 3, "cancelled")]) == [
        "stream.cancelled_event", "stream.unterminated"]


def test_unknown_events_missing_sequence_numbers_and_other_responses() -> None:
    events = stream()
    events[3] = ev("response.teleported", 3)
    assert codes(events) == ["stream.unknown_event"]
    events = stream()
    del events[4]["sequence_number"]
    assert codes(events) == ["stream.sequence_missing", "stream.sequence_gap"]
    events = stream()
    events[2] = ev("response.in_progress", 2, "in_progress", rid="resp_2")
    assert "stream.response_id" in codes(events)
    events = stream()
    events[1] = dict(events[1], type="response.in_progress")
    assert "stream.event_type" in codes([("response.queued", e) if i == 1 else e for i, e in enumerate(events)])


def test_a_resumed_stream_starts_exactly_after_its_cursor() -> None:
    full = stream()
    for cursor, first, code in ((2, 3, None), (2, 4, "stream.resume_start"), (2, 2, "stream.resume_start")):
        t = ResponsesTracker()
        for e in full[:3]:
            t.feed(e)
        t.end_stream()
        t.begin_stream("resumed", starting_after=cursor)
        for e in full[first:]:
            t.feed_event(None, e, stream="resumed")
        t.close()
        found = [f.code for f in t.findings if f.severity != "info"]
        assert found == ([] if code is None else [code]), (cursor, first)


def test_a_status_event_skipping_a_status_is_an_illegal_edge() -> None:
    events = [ev("response.created", 0, "queued"), ev("response.completed", 1, "completed")]
    assert codes(events) == ["response.illegal_transition"]


# -- strategies drive it: every legal path as a stream validates, every drawn object too -------------

def _as_stream(path: tuple[str, ...]) -> list[dict[str, Any]]:
    events = [ev("response.created", 0, path[0])]
    for n, status in enumerate(path[1:], 1):
        events.append(ev(f"response.{status}", n, status))
    return events


@given(rst.status_paths(lifecycle=LC, view="stream"))
def test_legal_paths_streamed_validate_clean(path: tuple[str, ...]) -> None:
    if "cancelled" in path:  # no stream event says cancelled: such a stream just stops
        path = path[:path.index("cancelled")]
    report = validate_responses(_as_stream(path))
    assert report.errors == []


@given(rst.status_paths(lifecycle=LC, view="poll"))
def test_legal_paths_polled_validate_clean(path: tuple[str, ...]) -> None:
    assert validate_responses([resp(s) for s in path]).errors == []


@given(rst.wire_objects(profile=PROFILE))
def test_drawn_response_objects_validate_clean(obj: dict[str, Any]) -> None:
    assert obj["object"] == "response"
    assert validate_responses([obj]).findings == []


@given(st.lists(st.integers(min_value=-3, max_value=12), min_size=1, max_size=12))
def test_any_sequence_numbers_give_findings_never_a_traceback(seqs: list[int]) -> None:
    events = [ev("response.output_text.delta", n, item_id="m", delta="x") for n in seqs]
    found = codes(events)
    strictly_by_one = all(b == a + 1 for a, b in itertools.pairwise(seqs))
    assert ("stream.sequence_order" in found or "stream.sequence_gap" in found) == (not strictly_by_one)


# -- runfsm validate: two protocols in one log, told apart by content ---------------------------------

def _assistants_run(status: str) -> dict[str, Any]:
    return {"id": "run_1", "object": "thread.run", "created_at": 1_700_000_000, "thread_id": "thread_1",
            "assistant_id": "asst_1", "status": status, "required_action": None, "last_error": None,
            "expires_at": 1_700_000_600 if status != "completed" else None,
            "started_at": None if status == "queued" else 1_700_000_001, "cancelled_at": None, "failed_at": None,
            "completed_at": 1_700_000_005 if status == "completed" else None, "incomplete_details": None,
            "model": "gpt-4o", "instructions": None, "tools": [], "metadata": {}, "usage": None}


def test_a_mixed_json_lines_log_is_read_by_both_trackers(tmp_path: Path) -> None:
    log = tmp_path / "mixed.jsonl"
    lines = [_assistants_run("queued"), resp("queued"), *stream(rid="resp_2"), _assistants_run("completed"),
             resp("completed")]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    report = validate_paths([log])
    assert report.errors == [], report.findings
    assert report.histories["response resp_1"] == ["queued", "completed"]
    assert report.histories["response resp_2"] == ["queued", "in_progress", "completed"]
    assert "run_1" in str(report.histories)


def test_a_responses_sse_file_is_a_stream(tmp_path: Path) -> None:
    sse = tmp_path / "stream.sse"
    events = stream() + stream(rid="resp_9")
    events[-1]["sequence_number"] = 7  # a gap in the second stream
    sse.write_text("".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events), encoding="utf-8")
    report = validate_paths([sse])
    assert report.codes() == ["stream.sequence_gap"]


def test_validate_trace_takes_responses_records_and_pairs() -> None:
    report = validate_trace([resp("completed"), resp("in_progress"), ("response.created", ev("response.created", 0))])
    assert "response.terminal_left" in report.codes()
    assert "input.missing_key" in report.codes()


def test_the_cli_reports_responses_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text(json.dumps(resp("completed")) + "\n" + json.dumps(resp("queued")) + "\n", encoding="utf-8")
    assert cli.main(["validate", str(log)]) == 1
    assert "response.terminal_left" in capsys.readouterr().out


def test_jobs_give_the_same_findings_on_a_mixed_log(tmp_path: Path) -> None:
    """Responses records carry no thread: the worker that owns unthreaded records checks them all."""
    log = tmp_path / "mixed.jsonl"
    broken = stream(rid="resp_3")
    broken[-1]["sequence_number"] += 3  # a gap
    lines = [_assistants_run("queued"), resp("completed"), resp("queued"), *stream(rid="resp_2"), *broken,
             _assistants_run("completed")]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    one, two = validate_paths([log]), validate_paths([log], jobs=2)
    assert sorted(one.codes()) == sorted(two.codes())
    assert {"response.terminal_left", "stream.sequence_gap"} <= set(two.codes())
    assert two.histories == one.histories and "response resp_2" in two.histories


def test_stream_event_lines_are_records_not_unreadable_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap of listed unreadable lines, a clean Responses stream is still no unreadable input."""
    from runfsm.validate import _parallel as parallel
    from runfsm.validate import _tracker as tracker

    monkeypatch.setattr(tracker, "LISTED_PER_FILE", 2)
    monkeypatch.setattr(parallel, "LISTED_PER_FILE", 2)
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(e) for e in stream()) + "\n", encoding="utf-8")
    for jobs in (1, 2):
        report = validate_paths([log], jobs=jobs)
        assert report.findings == [] and report.ok, (jobs, report.codes())


def test_findings_of_both_protocols_come_in_input_order(tmp_path: Path) -> None:
    log = tmp_path / "mixed.jsonl"
    cut = stream(rid="resp_4")[:-1]  # no terminal event: noted when the log ends
    lines = [*cut, _assistants_run("queued"), _assistants_run("completed")]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    (f,) = validate_paths([log]).findings
    assert f.code == "stream.unterminated" and f.index == len(lines) - 1  # noted where the log ends, not earlier


def test_unreadable_names_streams_and_cursors_are_findings_or_errors_not_tracebacks() -> None:
    t = ResponsesTracker()
    assert [f.code for f in t.feed_event(["a"], ev("response.created", 0, "queued"))] == ["input.type"]
    assert [f.code for f in t.feed({**resp("queued"), "object": [1]})] == ["input.object"]
    assert t.feed_event(None, ev("response.created", 0, "queued"), stream=[1, 2]) == []
    assert t.feed_event(None, ev("response.in_progress", 1, "in_progress"), stream=[1, 2]) == []  # the same stream
    for bad in ("3", [1], True, -2, 1.5):
        with pytest.raises(ValueError, match="starting_after"):
            t.begin_stream("s", starting_after=bad)  # type: ignore[arg-type]


@given(st.integers(min_value=-3, max_value=5))
def test_a_new_stream_begins_at_sequence_number_zero(first: int) -> None:
    declared = ResponsesTracker()
    declared.begin_stream("s")
    found = declared.feed_event(None, ev("response.output_text.delta", first, item_id="m", delta="x"), stream="s")
    opened = ResponsesTracker()  # no begin_stream: a stream that opens with response.created is a new one
    found_opened = opened.feed_event(None, ev("response.created", first, "queued"))
    for codes in ([f.code for f in found], [f.code for f in found_opened]):
        assert codes == ([] if first == 0 else ["stream.sequence_start"])
    if first > 0:
        assert f"begins at sequence_number {first}, not 0 ({first} event(s) missing)" in found[0].message


def test_a_stream_of_unknown_start_or_resumed_is_not_held_to_zero() -> None:
    t = ResponsesTracker()  # joined midway, not opening with response.created: it may have been resumed
    assert t.feed_event(None, ev("response.output_text.delta", 7, item_id="m", delta="x")) == []
    t.begin_stream("r", starting_after=3)
    assert [f.code for f in t.feed_event(None, ev("response.output_text.delta", 4, item_id="m", delta="x"),
                                         stream="r")] == []
    t.begin_stream("back", starting_after=-1)  # resumed from before the first event: it begins at 0 too
    assert [f.code for f in t.feed_event(None, ev("response.output_text.delta", 1, item_id="m", delta="x"),
                                         stream="back")] == ["stream.resume_start"]


@pytest.mark.parametrize("field", [f for f in rs.IMMUTABLE_FIELDS if f != "id"])
def test_an_immutable_field_of_a_response_never_changes(field: str) -> None:
    t = ResponsesTracker()
    t.feed(resp("queued", **{field: "a" if field != "created_at" else 1_700_000_000}))
    changed = "b" if field != "created_at" else 1_700_000_005
    found = t.feed(resp("in_progress", **{field: changed}))
    assert [f.code for f in found] == [f"response.immutable.{field}"]
    assert found[0].message.startswith(f"response resp_1: {field} changed from ")
    assert "never change across snapshots of one response" in found[0].message
    assert t.feed(resp("in_progress", **{field: changed})) == []  # said once; the new value is now known
    # a streamed snapshot is a snapshot too
    s = ResponsesTracker()
    s.feed_event(None, {**ev("response.created", 0), "response": resp("queued", model="m1")})
    found = s.feed_event(None, {**ev("response.in_progress", 1), "response": resp("in_progress", model="m2")})
    assert [f.code for f in found] == ["response.immutable.model"]


def test_an_immutable_field_first_seen_later_is_learnt_not_reported() -> None:
    t = ResponsesTracker()
    t.feed(resp("queued"))  # no model, no previous_response_id
    assert t.feed(resp("in_progress", model="m1", previous_response_id="resp_0")) == []
    assert t.feed(resp("in_progress", model=None)) == []  # absent says nothing
    assert [f.code for f in t.feed(resp("completed", model="m2"))] == ["response.immutable.model"]
