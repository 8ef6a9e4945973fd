"""The live-client guard on ``client.responses``: what a guarded openai client receives is checked too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runfsm import GuardError, guard, tracker_of
from runfsm.sim import Clock, QueueDelay, Say, Simulator

openai = pytest.importorskip("openai")
httpx2 = pytest.importorskip("httpx2")
rfo = pytest.importorskip("runfsm.openai")


def test_a_correct_background_poll_loop_and_stream_give_the_guard_nothing_to_report() -> None:
    sim = Simulator(clock=Clock(), script=[QueueDelay(2), Say("Hello there", duration=3)])
    client = guard(rfo.client(sim), policy="raise")
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status in ("queued", "in_progress"):
        r = client.responses.retrieve(r.id)
    assert r.status == "completed"
    events = list(client.responses.create(model="gpt-4o", input="again", background=True, stream=True))
    assert events[-1].type == "response.completed"
    report = tracker_of(client).report()
    assert report.errors == []
    assert report.histories[f"response {r.id}"] == ["queued", "in_progress", "completed"]
    streamed = events[-1].response.id
    assert report.histories[f"response {streamed}"][-1] == "completed"


def _response(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 1_750_000_000, "status": status,
            "model": "gpt-4o", "output": [], "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            "background": True, "error": None, "incomplete_details": None, **fields}


def test_a_server_that_breaks_the_responses_lifecycle_is_caught_inside_the_sdk_call() -> None:
    """A response read completed and then in progress again: a terminal status left."""
    answers = iter([_response("completed"), _response("in_progress")])

    def handler(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": "application/json"},
                               content=json.dumps(next(answers)).encode())

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = guard(openai.OpenAI(api_key="test", base_url="http://api.test/v1", http_client=http, max_retries=0))
    assert client.responses.retrieve("resp_1").status == "completed"
    with pytest.raises(GuardError, match="terminal"):
        client.responses.retrieve("resp_1")
