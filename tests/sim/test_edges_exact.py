"""Exact at the edges: each test here fails on a one-token change that the rest of the suite let through."""

from __future__ import annotations

from typing import Any

import pytest

from runfsm import spec
from runfsm.explore import explore
from runfsm.openai import client
from runfsm.sim import Clock, Say, SimConfig, Simulator
from runfsm.sim._engine import Engine
from runfsm.validate import Tracker

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

START = 1_700_000_000
DEADLINE = spec.RUN_DEADLINE_SECONDS


def _run_with_reply_lasting(seconds: float) -> tuple[Simulator, dict[str, Any]]:
    sim = Simulator(clock=Clock(START), config=SimConfig(queue_latency=1), script=[Say("Hi", duration=seconds)])
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    sim.advance(DEADLINE + 10)
    return sim, sim.retrieve_run(thread["id"], run["id"])


def test_a_run_whose_last_action_ends_exactly_at_the_deadline_expires() -> None:
    sim, run = _run_with_reply_lasting(DEADLINE - 1)  # queued 1 s, then writes until created_at + 600 exactly
    assert run["status"] == "expired"
    assert sim.timeline(run["id"])[-1] == (START + DEADLINE, "expired")


def test_a_run_whose_last_action_ends_one_second_before_the_deadline_completes() -> None:
    sim, run = _run_with_reply_lasting(DEADLINE - 2)
    assert run["status"] == "completed"
    assert sim.timeline(run["id"])[-1] == (START + DEADLINE - 1, "completed")


def test_expires_at_is_null_once_a_run_has_ended_and_set_while_it_is_active() -> None:
    sim = Simulator(clock=Clock(START), script=[Say("Hi", duration=2)])
    asst = sim.create_assistant(model="gpt-4o")
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    assert run["expires_at"] == START + DEADLINE
    sim.advance(10)
    done = sim.retrieve_run(thread["id"], run["id"])
    assert done["status"] == "completed" and done["expires_at"] is None
    # and the validator notices a completed run that kept its deadline
    findings = Tracker().feed({**done, "expires_at": START + DEADLINE})
    assert [f.code for f in findings] == ["run.field.expires_at_terminal"]


def _run(status: str, **fields: Any) -> dict[str, Any]:
    base = {key: None for key in spec.RUN_KEYS}
    base.update(id="run_1", object=spec.OBJECT_TYPES["run"], created_at=START, thread_id="thread_1",
                assistant_id="asst_1", status=status, expires_at=START + DEADLINE, model="gpt-4o", tools=[],
                metadata={})
    base.update(fields)
    return base


def test_started_at_going_back_by_one_second_is_reported() -> None:
    tracker = Tracker()
    assert tracker.feed(_run("in_progress", started_at=START + 5)) == []
    assert tracker.feed(_run("in_progress", started_at=START + 5)) == []
    codes = [f.code for f in tracker.feed(_run("in_progress", started_at=START + 4))]
    assert codes == ["run.started_at_decreased"]


def test_a_finished_run_that_still_carries_required_action_is_an_error() -> None:
    action = {"type": spec.REQUIRED_ACTION_TYPE, spec.REQUIRED_ACTION_TYPE: {"tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}
    findings = Tracker().feed(_run("completed", started_at=START + 1, completed_at=START + 2, expires_at=None,
                                   required_action=action))
    assert [(f.code, f.severity) for f in findings] == [("run.field.required_action", "error")]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_before_a_cursor_through_the_sdk_returns_the_page_just_before_it(order: str) -> None:
    sim = Simulator(clock=Clock(START))
    oai = client(sim)
    thread = oai.beta.threads.create()
    ids = []
    for i in range(7):
        sim.advance(1)
        ids.append(oai.beta.threads.messages.create(thread_id=thread.id, role="user", content=f"m{i}").id)
    listed = ids if order == "asc" else ids[::-1]
    page = oai.beta.threads.messages.list(thread_id=thread.id, order=order, before=listed[5], limit=2)
    assert [m.id for m in page.data] == listed[3:5]
    assert page.has_more is True
    first = oai.beta.threads.messages.list(thread_id=thread.id, order=order, before=listed[2], limit=2)
    assert [m.id for m in first.data] == listed[0:2] and first.has_more is False


# --- the explorer's checks have teeth --------------------------------------------------------------


def _violations(monkeypatch: pytest.MonkeyPatch, target: Any, name: str, replacement: Any) -> list[str]:
    monkeypatch.setattr(target, name, replacement)
    return [v.message for v in explore("v2", inferred=False, depth=5).violations]


def test_the_explorer_catches_a_refusal_in_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from runfsm.sim import APIError

    original = Simulator.cancel_run

    def cancel_in_other_words(self: Simulator, thread_id: str, run_id: str) -> Any:
        status = self.peek_run(run_id)["status"]
        if status in self.profile.run.terminal:
            raise APIError(400, f"This run is already {status}.")
        return original(self, thread_id, run_id)

    found = _violations(monkeypatch, Simulator, "cancel_run", cancel_in_other_words)
    assert any("refused with HTTP 400 'This run is already" in m and "Cannot cancel run with status" in m
               for m in found)


def test_the_explorer_catches_a_server_edge_during_a_client_call(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Engine.cancel

    def cancel_at_once(self: Engine, run: Any) -> None:
        original(self, run)
        self._on_cancelled(run, run.epoch)  # the cancel finishes inside the client's call

    found = _violations(monkeypatch, Engine, "cancel", cancel_at_once)
    assert any("cancelling -> cancelled (server) during a client call" in m for m in found)


def test_the_explorer_catches_a_client_edge_while_only_time_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Engine._on_start

    def start_then_cancel(self: Engine, run: Any, epoch: int) -> None:
        original(self, run, epoch)
        if run.status == self.in_progress:
            self._move_run(run, "cancel")  # a client edge, taken by the clock

    found = _violations(monkeypatch, Engine, "_on_start", start_then_cancel)
    assert any("a client edge, while only time passed" in m for m in found)
