"""check_client(protocol="responses"): background poll loops and stream resumes against every behaviour."""

from __future__ import annotations

import itertools
import time
from typing import Any

import openai
import pytest

from runfsm import responses_spec as rspec
from runfsm.sim import Simulator, responses_of
from runfsm.testing import CheckError, acheck_client, catalogue, check_behaviour, check_client

ACTIVE = rspec.POLL_WHILE
TERMINAL_EVENTS = rspec.TERMINAL_EVENTS


def poll_loop(client: openai.OpenAI) -> Any:
    """The documented loop: poll while queued or in_progress."""
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status in ACTIVE:
        time.sleep(1)
        r = client.responses.retrieve(r.id)
    return r


def waits_for_completed(client: openai.OpenAI) -> Any:
    """The classic bug: only 'completed' ends the loop."""
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status != "completed":
        time.sleep(1)
        r = client.responses.retrieve(r.id)
    return r


def trusts_the_stream(client: openai.OpenAI) -> str:
    """Reads one stream and takes its end as the response's end."""
    text = ""
    for event in client.responses.create(model="gpt-4o", input="hi", background=True, stream=True):
        if event.type == "response.output_text.delta":
            text += event.delta
    return text


def resumes(client: openai.OpenAI) -> str:
    """Resumes a dropped stream after the last event read; polls when a resume is refused or nothing more comes."""
    rid, last, text = "", -1, ""
    stream: Any = client.responses.create(model="gpt-4o", input="hi", background=True, stream=True)
    while True:
        before = last
        for event in stream:
            last = event.sequence_number
            if event.type == "response.created":
                rid = event.response.id
            elif event.type == "response.output_text.delta":
                text += event.delta
            elif event.type in TERMINAL_EVENTS:
                return f"{event.type}: {text}"
        if last == before:  # nothing new: a cancel sends no event, the status says whether it ended
            r = client.responses.retrieve(rid)
            if r.status not in ACTIVE:
                return f"{r.status}: {text}"
        try:
            stream = client.responses.retrieve(rid, stream=True, starting_after=last)
        except openai.BadRequestError:  # too late to resume: poll to the end
            r = client.responses.retrieve(rid)
            while r.status in ACTIVE:
                time.sleep(1)
                r = client.responses.retrieve(rid)
            return f"{r.status} (polled)"


def reached(client: openai.OpenAI, sim: Simulator) -> set[tuple[str, str]]:
    """A correct streaming client; returns the (trigger, source) of every transition its responses took."""
    resumes(client)
    backend = responses_of(sim)
    out = set()
    for rid, history in backend.timelines().items():
        body = backend.retrieve(rid)
        statuses = [s for _, s in history]
        for source, dest in itertools.pairwise(statuses):
            rows = [t for t in rspec.TRANSITIONS if (t.source, t.dest) == (source, dest)]
            if dest == "incomplete":
                reason = body["incomplete_details"]["reason"]
                rows = [t for t in rows if rspec.REASON_BY_TRIGGER[t.trigger] == reason]
            out |= {(t.trigger, t.source) for t in rows}
    return out


def test_every_transition_of_the_responses_lifecycle_is_reached_by_some_behaviour() -> None:
    report = check_client(reached, protocol="responses")
    assert report.ok, report
    got: set[tuple[str, str]] = set().union(*(o.returned for o in report.outcomes))
    wanted = {(t.trigger, t.source) for t in rspec.TRANSITIONS}
    assert not wanted - got, f"no behaviour reaches {sorted(wanted - got)}: give the trigger a recipe"


def test_the_catalogue_follows_the_responses_spec() -> None:
    names = [b.name for b in catalogue(protocol="responses")]
    assert len(names) == len(set(names))
    assert [n for n in names if n.startswith("incomplete_")] == [f"incomplete_{r}" for r in rspec.INCOMPLETE_REASONS]
    assert [n for n in names if n.startswith("cancelled_while_")] == [
        f"cancelled_while_{t.source}" for t in rspec.TRANSITIONS if t.trigger == "cancel"]
    assert {"completes", "fails", "slow_queue", "cancel_loses_to_completion", "stream_cut", "resume_too_old"} <= set(names)
    assert "cancel_loses_to_completion" not in [b.name for b in catalogue(protocol="responses", strict=True)]


def test_the_documented_poll_loop_is_ok_on_every_behaviour() -> None:
    report = check_client(poll_loop, protocol="responses")
    assert report.ok, report
    assert set(report.verdicts().values()) == {"ok"}
    assert report["cancelled_while_queued"].history() == ["queued", "cancelled"]
    assert report["cancel_loses_to_completion"].returned.status == "completed"
    assert report["incomplete_content_filter"].returned.incomplete_details.reason == "content_filter"
    assert "responses" in report.settings


def test_a_loop_waiting_for_completed_is_stuck_on_every_other_ending() -> None:
    report = check_client(waits_for_completed, protocol="responses")
    stuck = {name for name, verdict in report.verdicts().items() if verdict == "stuck"}
    assert stuck == {"fails", "incomplete_max_output_tokens", "incomplete_content_filter", "cancelled_while_queued",
                     "cancelled_while_in_progress"}
    assert all(v == "ok" for n, v in report.verdicts().items() if n not in stuck)
    for name, status in (("fails", "failed"), ("incomplete_max_output_tokens", "incomplete"),
                         ("cancelled_while_in_progress", "cancelled")):
        outcome = report[name]
        assert isinstance(outcome.error, BaseException) and outcome.error.status == status  # type: ignore[attr-defined]
        lines = outcome.detail.splitlines()
        assert len(lines) == 2
        rid = outcome.error.run_id  # type: ignore[attr-defined]
        assert lines[0].startswith(f"response {rid} has been {status!r} since ")
        assert lines[1] == (f"Likely bug: the loop does not treat {status!r} as final "
                            "(a response ends in one of: cancelled, completed, failed, incomplete).")
        assert outcome.headline == f"does not treat {status!r} as final (response1 read 11 more times)"
    assert "response1 (resp_" in str(report["fails"])


def test_a_client_that_ignores_a_cut_stream_is_reported_abandoned() -> None:
    report = check_client(trusts_the_stream, protocol="responses")
    assert {n for n, v in report.verdicts().items() if v != "ok"} == {"stream_cut", "resume_too_old"}
    outcome = report["stream_cut"]
    assert outcome.verdict == "abandoned"
    assert outcome.returned == "The "  # the text stopped where the stream did
    assert "cut after sequence_number 5" in outcome.detail
    assert "resume with starting_after=5, or poll" in outcome.detail
    assert outcome.events[-1] == "response.output_text.delta"


def test_a_client_that_resumes_with_starting_after_is_ok() -> None:
    report = check_client(resumes, protocol="responses")
    assert report.ok, report
    assert report["stream_cut"].returned == "response.completed: The answer is 42."
    assert report["stream_cut"].calls == ["POST /responses -> 200 stream", "GET /responses/response1 -> 200 stream"]
    assert report["stream_cut"].events.count("response.output_text.delta") == 4  # "The " once: no event twice
    too_old = report["resume_too_old"]
    assert too_old.returned == "completed (polled)"
    assert any("400" in c for c in too_old.calls)  # the refused resume, tolerated: the behaviour means it
    assert any("as this behaviour means it to" in n for n in too_old.notes)


def test_an_unhandled_refused_resume_is_still_refused() -> None:
    def resumes_blindly(client: openai.OpenAI) -> None:
        last, rid = -1, ""
        for event in client.responses.create(model="gpt-4o", input="hi", background=True, stream=True):
            last, rid = event.sequence_number, getattr(getattr(event, "response", None), "id", rid)
        list(client.responses.retrieve(rid, stream=True, starting_after=last))

    [behaviour] = [b for b in catalogue(protocol="responses") if b.name == "resume_too_old"]
    outcome = check_behaviour(resumes_blindly, behaviour, protocol="responses")
    assert outcome.verdict == "refused"
    assert "can no longer be resumed" in outcome.detail


def test_async_clients_are_checked_too() -> None:
    import asyncio

    async def poll(client: openai.AsyncOpenAI) -> str:
        r = await client.responses.create(model="gpt-4o", input="hi", background=True)
        while r.status != "completed":
            await asyncio.sleep(1)
            r = await client.responses.retrieve(r.id)
        return r.status

    report = asyncio.run(acheck_client(poll, protocol="responses", only="fails"))
    assert report.verdicts() == {"fails": "stuck"}


def test_wrong_protocol_settings_are_check_errors() -> None:
    with pytest.raises(CheckError, match="protocol must be one of assistants, responses, got 'chat'"):
        check_client(poll_loop, protocol="chat")
    with pytest.raises(CheckError, match="needs sdk='openai'"):
        check_client(poll_loop, protocol="responses", sdk="azure")
    with pytest.raises(CheckError, match="not thread_id"):
        check_client(lambda client, thread_id: None, protocol="responses")
    with pytest.raises(CheckError, match="protocol must be one of"):
        catalogue(protocol="chat")
