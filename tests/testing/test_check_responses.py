"""check_client(protocol="responses"): background poll loops and stream resumes against every behaviour."""

from __future__ import annotations

import itertools
import time
from typing import Any

import openai
import pytest
from hypothesis import find, given, settings

from runfsm import responses_spec as rspec
from runfsm.sim import Simulator, responses_of
from runfsm.sim._script import Say
from runfsm.testing import (
    Behaviour,
    CheckError,
    acheck_client,
    behaviour_variants,
    catalogue,
    check_behaviour,
    check_client,
    explore_client,
)

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
    with pytest.raises(CheckError, match="unknown protocol 'chat'; known: assistants, responses"):
        check_client(poll_loop, protocol="chat")
    with pytest.raises(CheckError, match="needs sdk='openai'"):
        check_client(poll_loop, protocol="responses", sdk="azure")
    with pytest.raises(CheckError, match="not thread_id"):
        check_client(lambda client, thread_id: None, protocol="responses")
    with pytest.raises(CheckError, match="unknown protocol"):
        catalogue(protocol="chat")


# --- the protocol a behaviour belongs to -----------------------------------------------------------------


def test_explore_client_explores_the_responses_catalogue() -> None:
    assert explore_client(poll_loop, protocol="responses", max_examples=15) is None
    assert explore_client(poll_loop, protocol="responses", behaviours=catalogue(protocol="responses"),
                          max_examples=10) is None
    outcome = explore_client(waits_for_completed, protocol="responses", max_examples=30)
    assert outcome is not None and outcome.verdict == "stuck"
    assert outcome.behaviour.protocol == "responses" and "[" not in outcome.behaviour.name


def test_responses_variants_change_only_what_the_responses_backend_has() -> None:
    from runfsm.testing._catalogue import SETTINGS

    names = {b.name for b in catalogue(protocol="responses")}

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(behaviour_variants(protocol="responses"))
    def variant(behaviour: Behaviour) -> None:
        assert behaviour.protocol == "responses"
        assert set(behaviour.config) <= SETTINGS["responses"]
        assert behaviour.name.split("[")[0] in names

    variant()


def test_responses_variants_do_vary_timings() -> None:
    varied = find(behaviour_variants(protocol="responses"), lambda b: "cancel after" in b.name)
    assert varied.name.startswith("cancelled_while_") and varied.cancel_in is not None
    slower = find(behaviour_variants(protocol="responses"), lambda b: "actions x" in b.name)
    base = next(b for b in catalogue(protocol="responses") if b.name == slower.name.split("[")[0])
    assert slower.script != base.script


def test_a_behaviour_of_the_other_protocol_is_refused_before_anything_runs() -> None:
    ran: list[str] = []

    def records(client: openai.OpenAI, behaviour: Behaviour) -> None:
        ran.append(behaviour.name)

    stream_cut = next(b for b in catalogue(protocol="responses") if b.name == "stream_cut")
    requires_action = next(b for b in catalogue() if b.name == "requires_action")
    assert stream_cut.protocol == "responses" and requires_action.protocol == "assistants"
    with pytest.raises(CheckError, match="behaviour stream_cut is a Responses behaviour; check it with "
                                         "protocol='responses'"):
        check_behaviour(records, stream_cut)
    with pytest.raises(CheckError, match="behaviour requires_action is an Assistants behaviour"):
        check_client(records, protocol="responses", behaviours=[stream_cut, requires_action])
    with pytest.raises(CheckError, match="behaviour stream_cut is a Responses behaviour"):
        check_client(records, behaviours=[requires_action, stream_cut])
    assert ran == []


@pytest.mark.parametrize(("protocol", "config", "name"), [
    ("assistants", {"colour": 1}, "colour"),
    ("assistants", {"inferred": True}, "inferred"),  # the check's own strict option sets it
    ("responses", {"create": 1}, "create"),
    ("responses", {"cuts": {}}, "cuts"),
    ("responses", {"queue_latency": 3}, "queue_latency"),
])
def test_a_setting_the_backend_does_not_have_is_refused_before_anything_runs(
        protocol: str, config: dict[str, Any], name: str) -> None:
    ran: list[str] = []
    behaviour = Behaviour("odd", "sets something odd", (Say("hi"),), config=config, protocol=protocol)
    with pytest.raises(CheckError, match=f"behaviour odd: .*no setting '{name}'; it has "):
        check_client(lambda client: ran.append("x"), protocol=protocol, behaviours=[behaviour])
    assert ran == []


def test_the_settable_names_are_the_backends_own() -> None:
    from runfsm.sim import ResponsesBackend, SimConfig
    from runfsm.testing._catalogue import SETTINGS

    backend = ResponsesBackend()
    assert SETTINGS["responses"] == {"cut_streams_after", "lose_cancel_race", "cancel_finished"}
    assert all(hasattr(backend, name) for name in SETTINGS["responses"])
    assert SETTINGS["assistants"] < set(SimConfig.__dataclass_fields__)


@pytest.mark.parametrize("cancel_in", ["in_progess", "requires_action"])
def test_a_cancel_in_status_the_protocol_lacks_is_refused(cancel_in: str) -> None:
    behaviour = Behaviour("odd", "", (Say("hi"),), cancel_in=cancel_in, protocol="responses")
    with pytest.raises(CheckError, match=f"behaviour odd: cancel_in={cancel_in!r} is not a status of a response; "
                                         "its statuses are queued, in_progress, "):
        check_behaviour(poll_loop, behaviour, protocol="responses")


def spins_on_a_response(client: openai.OpenAI) -> None:
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status != "completed":  # never re-reads the response
        pass


def test_a_responses_client_that_spins_is_told_which_response_it_left() -> None:
    outcome = check_client(spins_on_a_response, protocol="responses", only="completes", wall_timeout=0.5)["completes"]
    assert outcome.verdict == "stuck"
    assert "did not sleep for 0.5 s of wall time; its last response response1 (resp_" in outcome.detail
    assert ") is 'queued'" in outcome.detail
    assert "never created" not in outcome.detail


def reads_a_lost_response(client: openai.OpenAI) -> str:
    """Polls its response, then reads one the server no longer keeps and carries on."""
    r = poll_loop(client)
    try:
        client.responses.retrieve("resp_gone")
    except openai.NotFoundError:
        return f"{r.status} (the other one is gone)"
    return r.status


def test_a_refusal_whose_template_has_a_placeholder_can_be_tolerated() -> None:
    behaviour = Behaviour("lost", "the server forgets a response", (Say("hi"),), tolerated=("response_not_found",),
                          protocol="responses")
    outcome = check_behaviour(reads_a_lost_response, behaviour, protocol="responses")
    assert outcome.verdict == "ok", outcome
    assert outcome.returned == "completed (the other one is gone)"
    assert any("(404: Response with id 'resp_gone' not found.)" in n and "as this behaviour means it to" in n
               for n in outcome.notes), outcome.notes
    untolerated = check_behaviour(reads_a_lost_response, behaviour.replace(tolerated=()), protocol="responses")
    assert untolerated.verdict == "refused"
    # another refusal with the same placeholder is still one: the whole message must fit the template
    other = behaviour.replace(tolerated=("resume_too_old",))
    assert check_behaviour(reads_a_lost_response, other, protocol="responses").verdict == "refused"
