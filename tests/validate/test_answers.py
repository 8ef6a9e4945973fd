"""Which answers are checked and how: one rule for the guards and the test-proxy recordings."""

from __future__ import annotations

import pytest

from runfsm.validate import Tracker
from runfsm.validate._answers import StreamCheck, answer_kind, check_answer


@pytest.mark.parametrize(("status", "ctype", "kind"), [
    (199, "application/json", None), (200, "application/json", "json"), (299, "application/json; charset=utf-8",
                                                                         "json"),
    (300, "application/json", None), (399, "application/json", None), (400, "text/plain", "refusal"),
    (401, "application/json", None), (500, "text/event-stream", None), (200, "Text/Event-Stream; charset=utf-8",
                                                                        "stream"),
    (200, "text/plain", None), (200, "", None),
])
def test_the_kind_of_an_answer_at_every_boundary(status: int, ctype: str, kind: str | None) -> None:
    assert answer_kind(status, ctype) == kind


def test_a_stream_ends_once_and_takes_nothing_after_it() -> None:
    tracker = Tracker()
    run = ('{"id":"run_1","object":"thread.run","status":"queued","thread_id":"thread_1","assistant_id":"asst_1",'
           '"created_at":1700000000}')
    stream = StreamCheck(tracker, "k", "test")
    assert stream.feed(f"event: thread.run.created\ndata: {run}\n".encode()) == []
    stream.end(True)
    assert tracker.history("run_1") == ["queued"]  # the last event, without its blank line, closed by the end
    seen = len(tracker.findings)
    assert stream.end(True) == [] and stream.feed(f"event: thread.run.completed\ndata: {run}\n\n".encode()) == []
    assert len(tracker.findings) == seen and tracker.history("run_1") == ["queued"]


def test_a_refusal_that_is_not_json_or_not_a_refusal_is_no_finding() -> None:
    tracker = Tracker()
    assert check_answer(tracker, "refusal", b"\xff not json", "/threads/t/runs", "x") == []
    assert check_answer(tracker, "refusal", {"error": {"message": "Nope."}}, "/threads/t/runs", "x") == []
    message = "Thread thread_1 already has an active run run_1."
    found = check_answer(tracker, "refusal", f'{{"error": {{"message": "{message}"}}}}', "/threads/thread_1/runs", "x")
    assert [f.code for f in found] == ["client.thread_locked_run"] and tracker.findings == found
