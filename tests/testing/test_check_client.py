"""check_client on real code: the seeds' loop, the SDK's helpers, a naive loop, and clients with each kind of bug."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import runpy
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from runfsm.errors import ClientStuck
from runfsm.testing import (
    Behaviour,
    CheckError,
    Outcome,
    acheck_client,
    catalogue,
    check_behaviour,
    check_client,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
SEED000 = ROOT / "examples" / "seeds" / "seed000_poll_run_status.py"
NAIVE = ROOT / "examples" / "clients" / "naive_loop.py"


def seed000(client: openai.OpenAI, assistant_id: str) -> None:
    """The tutorial's program as written: its loop stops only on requires_action and completed."""
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_path(str(SEED000), init_globals={"client": client, "ASSISTANT_ID": assistant_id})


def naive() -> Any:
    return runpy.run_path(str(NAIVE))


def outputs(run: Any) -> list[dict[str, str]]:
    return [{"tool_call_id": c.id, "output": "sunny"} for c in run.required_action.submit_tool_outputs.tool_calls]


def with_helpers(client: openai.OpenAI, assistant_id: str, thread_id: str) -> str:
    run = client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    while run.status == "requires_action":
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(thread_id=thread_id, run_id=run.id,
                                                                     tool_outputs=outputs(run))
    return run.status


def streamed(client: openai.OpenAI, assistant_id: str, thread_id: str) -> str:
    events: list[str] = []

    class Handler(openai.AssistantEventHandler):
        def on_event(self, event: Any) -> None:
            events.append(event.event)

    with client.beta.threads.runs.stream(thread_id=thread_id, assistant_id=assistant_id,
                                         event_handler=Handler()) as stream:
        stream.until_done()
        run = stream.get_final_run()
    while run.status == "requires_action":
        with client.beta.threads.runs.submit_tool_outputs_stream(thread_id=thread_id, run_id=run.id,
                                                                 tool_outputs=outputs(run),
                                                                 event_handler=Handler()) as stream:
            stream.until_done()
            run = stream.get_final_run()
    return run.status


# --- proof on real code ---------------------------------------------------------------------------------

SEED000_STOPS = ("requires_action", "completed")


def seen(outcome: Outcome) -> list[str]:
    """The run statuses the client was answered with, in order."""
    return [c.rsplit(" ", 1)[-1].split(" x")[0] for c in outcome.calls if "/runs/run1 -> 200" in c]


def test_seed000s_loop_is_stuck_exactly_where_it_never_sees_a_status_it_stops_on() -> None:
    report = check_client(seed000)
    for o in report.outcomes:
        statuses = [c.split("-> 200 ")[-1].split(" x")[0] for c in o.calls if "GET /threads/{thread}/runs/run1 ->" in c]
        stops = any(s in SEED000_STOPS for s in statuses)
        assert (o.verdict == "ok") == stops, o
        if not stops:
            final = o.history()[-1]
            assert final in ("failed", "expired", "incomplete", "cancelled")
            assert o.error is not None and isinstance(o.error, ClientStuck)
            assert f"the loop does not treat {final!r} as final" in o.detail
            assert o.error.polls == 11  # it is stopped right after the default allowance, not later
    stuck = {o.behaviour.name for o in report.outcomes if o.verdict == "stuck"}
    assert {"fails_server_error", "incomplete_max_completion_tokens", "expires_in_progress",
            "cancelled_while_in_progress"} <= stuck
    assert report["completes"].verdict == report["requires_action"].verdict == "ok"


@pytest.mark.parametrize("client_fn", [with_helpers, streamed], ids=["poll helpers", "stream with handler"])
def test_the_sdks_helpers_handle_every_behaviour(client_fn: Any) -> None:
    report = check_client(client_fn)
    assert report.ok, report.table()
    for o in report.outcomes:
        assert o.returned == o.history()[-1]  # the helper returned the status the run really ended in


def test_the_naive_example_loop_forgets_incomplete_and_expired() -> None:
    report = check_client(naive()["main"])
    stuck = {o.behaviour.name: o.error.status for o in report.outcomes if isinstance(o.error, ClientStuck)}
    assert set(stuck.values()) == {"incomplete", "expired"}
    assert all(o.verdict == "ok" for o in report.outcomes if o.behaviour.name not in stuck)


def test_the_async_naive_loop_gets_the_same_verdicts() -> None:
    module = naive()
    sync = check_client(module["main"]).verdicts()
    assert check_client(module["main_async"]).verdicts() == sync

    async def inside_a_running_loop() -> dict[str, str]:
        return (await acheck_client(module["main_async"], only="incomplete_*")).verdicts()

    assert asyncio.run(inside_a_running_loop()) == {k: v for k, v in sync.items() if k.startswith("incomplete_")}


# --- each verdict ------------------------------------------------------------------------------------


def submits_twice(client: openai.OpenAI, assistant_id: str, thread_id: str) -> str:
    run = client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    if run.status == "requires_action":
        out = outputs(run)
        client.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=out)
        with contextlib.suppress(openai.BadRequestError):  # swallowed: still a bug
            client.beta.threads.runs.submit_tool_outputs(thread_id=thread_id, run_id=run.id, tool_outputs=out)
        run = client.beta.threads.runs.poll(thread_id=thread_id, run_id=run.id)
    return run.status


def test_a_refusal_is_reported_with_the_apis_words_even_when_swallowed() -> None:
    outcome = check_client(submits_twice, only="requires_action")["requires_action"]
    assert outcome.verdict == "refused"
    assert outcome.detail == ('the API refused POST /threads/{thread}/runs/run1/submit_tool_outputs (400): '
                              'Runs in status "queued" do not accept tool outputs.')
    assert check_client(submits_twice, only="completes")["completes"].verdict == "ok"


def reads_required_action_blindly(client: openai.OpenAI, assistant_id: str, thread_id: str) -> int:
    run = client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    return len(run.required_action.submit_tool_outputs.tool_calls)  # type: ignore[union-attr]


def test_a_crash_is_reported_unless_declared() -> None:
    report = check_client(reads_required_action_blindly, only=["completes", "requires_action"])
    assert report["completes"].verdict == "crashed"
    assert report["completes"].detail.startswith("AttributeError: 'NoneType' object has no attribute")
    assert report["requires_action"].verdict == "ok" and report["requires_action"].returned == 1
    declared = check_client(reads_required_action_blindly, only="completes", raises=AttributeError)
    assert declared["completes"].verdict == "ok"


def stops_at_requires_action(client: openai.OpenAI, assistant_id: str, thread_id: str) -> str:
    return client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id).status


def test_abandoning_an_active_run_fails_only_when_asked() -> None:
    assert check_client(stops_at_requires_action, only="requires_action").ok
    outcome = check_client(stops_at_requires_action, only="requires_action", must_finish=True)["requires_action"]
    assert outcome.verdict == "abandoned"
    assert "was still 'requires_action'" in outcome.detail


def test_expect_checks_run_per_behaviour() -> None:
    def ends_completed(o: Outcome) -> None:
        assert o.returned == "completed", f"returned {o.returned!r}"

    report = check_client(with_helpers, only=["completes", "fails_server_error"], expect={"*": ends_completed})
    assert report["completes"].verdict == "ok"
    assert report["fails_server_error"].verdict == "unexpected"
    assert report["fails_server_error"].detail.startswith("expect failed: returned 'failed'")
    assert not check_client(with_helpers, only="completes", expect=lambda o: False).ok


def spins(client: openai.OpenAI, assistant_id: str, thread_id: str) -> None:
    run = client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant_id)
    while run.status != "completed":  # never re-reads the run
        pass


def test_a_client_that_spins_without_calling_the_api_is_stopped_by_the_wall_clock_net() -> None:
    outcome = check_client(spins, only="completes", wall_timeout=0.5)["completes"]
    assert outcome.verdict == "stuck"
    assert outcome.error is not None and outcome.error.reason == "wall_clock"  # type: ignore[attr-defined]
    assert "made no API call and did not sleep for 0.5 s" in outcome.detail
    assert "'queued'" in outcome.detail


def sleeps_forever(client: openai.OpenAI, assistant_id: str, thread_id: str) -> None:
    client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    while True:
        time.sleep(5)


def test_sleeping_forever_after_the_run_ended_is_stuck_in_simulated_time() -> None:
    outcome = check_client(sleeps_forever, only="completes", wall_timeout=None)["completes"]
    assert outcome.verdict == "stuck" and outcome.error.reason == "idle"  # type: ignore[union-attr]


def own_assistant(client: openai.OpenAI, thread_id: str) -> str:
    asst = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object", "properties": {}}}}])
    return client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=asst.id).status


def test_a_behaviour_that_needs_a_tool_the_clients_assistant_lacks_is_skipped_with_the_reason() -> None:
    report = check_client(own_assistant, only=["completes", "code_interpreter"])
    assert report["completes"].verdict == "ok"
    skipped = report["code_interpreter"]
    assert skipped.verdict == "skipped" and skipped.ok
    assert "code_interpreter, which is not among the run's tools" in skipped.detail


def test_strict_mode_reports_a_clients_inferred_move_as_refused() -> None:
    def cancels_at_once(client: openai.OpenAI, assistant_id: str, thread_id: str) -> None:
        run = client.beta.threads.runs.create(thread_id=thread_id, assistant_id=assistant_id)
        client.beta.threads.runs.cancel(thread_id=thread_id, run_id=run.id)  # still queued

    assert check_client(cancels_at_once, only="completes")["completes"].verdict == "ok"
    strict = check_client(cancels_at_once, only="completes", strict=True)["completes"]
    assert strict.verdict == "refused" and "strict mode refuses this move" in strict.detail


# --- output ---------------------------------------------------------------------------------------------


def test_the_report_shows_statuses_and_calls_never_wire_dicts() -> None:
    report = check_client(naive()["main"], only="incomplete_max_completion_tokens")
    text = report.table()
    assert "{'" not in text and '{"' not in text
    assert "incomplete_max_completion_tokens    stuck" in text or "stuck      does not treat 'incomplete'" in text
    assert "run1 (run_" in text and "queued +0s, in_progress +1s, incomplete +3s" in text
    assert "GET /threads/{thread}/runs/run1 -> 200 incomplete x11" in text
    doc = json.loads(report.as_json())
    assert doc["outcomes"][0]["verdict"] == "stuck" and doc["ok"] is False


def test_a_check_is_deterministic() -> None:
    first = check_client(naive()["main"]).as_json()
    assert check_client(naive()["main"]).as_json() == first


def test_control_characters_in_what_a_client_raises_are_escaped() -> None:
    def raises_nasty(client: openai.OpenAI) -> None:
        raise ValueError("line\nOK: all good\x1b[32m")

    text = check_client(raises_nasty, only="completes").table()
    assert "\x1b" not in text and "\nOK: all good" not in text and "\\n" in text


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [None, 42, "module:function"])
def test_something_that_is_not_a_function_is_refused(fn: Any) -> None:
    with pytest.raises(CheckError, match="needs a function to call"):
        check_client(fn)


def test_a_parameter_runfsm_cannot_provide_is_named() -> None:
    def wants(client: openai.OpenAI, database: object) -> None: ...

    with pytest.raises(CheckError, match="parameter 'database' is not something runfsm can provide"):
        check_client(wants)


def test_a_filter_that_matches_nothing_lists_the_behaviours() -> None:
    with pytest.raises(CheckError, match="no behaviour matches 'nope_\\*'; known: completes, "):
        check_client(with_helpers, only="nope_*")


@pytest.mark.parametrize("options", [{"raises": "ValueError"}, {"version": "v3"}, {"wall_timeout": 0},
                                     {"poll_interval": -1}, {"poll_interval": float("inf")}, {"expect": 3},
                                     {"tools": "get_weather"}, {"colour": "blue"}, {"poll_after_ms": -1},
                                     {"poll_after_ms": 1.5}, {"start": -5}, {"start": 10**400}, {"seed": "x"}])
def test_bad_options_are_refused_before_anything_runs(options: dict[str, Any]) -> None:
    with pytest.raises(CheckError):
        check_client(with_helpers, **options)


def test_an_exception_in_one_behaviour_does_not_stop_the_others() -> None:
    def fails_on_code(client: openai.OpenAI, behaviour: Behaviour, assistant_id: str, thread_id: str) -> str:
        if behaviour.name == "code_interpreter":
            raise RuntimeError("boom")
        return with_helpers(client, assistant_id, thread_id)

    report = check_client(fails_on_code)
    assert report["code_interpreter"].verdict == "crashed"
    assert [o.verdict for o in report.outcomes].count("ok") == len(report.outcomes) - 1


def test_check_behaviour_runs_one_behaviour() -> None:
    behaviour = next(b for b in catalogue() if b.name == "expires_in_progress")
    outcome = check_behaviour(with_helpers, behaviour)
    assert outcome.ok and outcome.history() == ["queued", "in_progress", "expired"]


def test_behaviours_must_be_behaviours_and_acheck_client_an_async_function() -> None:
    with pytest.raises(CheckError, match=r"behaviours= takes runfsm\.testing\.Behaviour values"):
        check_client(with_helpers, behaviours=["completes"])  # type: ignore[list-item]
    with pytest.raises(CheckError, match="acheck_client needs a coroutine function"):
        asyncio.run(acheck_client(with_helpers))  # type: ignore[arg-type]


def test_a_behaviour_case_refuses_a_sync_function_for_acheck() -> None:
    from runfsm.testing import BehaviourCase

    case = BehaviourCase(catalogue()[0])
    with pytest.raises(CheckError, match="acheck needs a coroutine function"):
        asyncio.run(case.acheck(with_helpers))  # type: ignore[arg-type]
    assert case.check(with_helpers).verdict == "ok"


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"only": 3}, "only= takes a name pattern or a list of them, got 3"),
    ({"only": [3]}, r"only= takes a name pattern or a list of them, got \[3\]"),
    ({"expect": {1: lambda o: True}}, "expect= takes .* got a key 1"),
])
def test_bad_filters_are_named_before_anything_runs(kwargs: dict[str, Any], named: str) -> None:
    ran: list[str] = []
    with pytest.raises(CheckError, match=named):
        check_client(lambda client: ran.append("x"), **kwargs)
    assert ran == []


def test_a_cancel_in_status_runs_never_take_is_refused() -> None:
    behaviour = next(b for b in catalogue() if b.name == "cancelled_while_in_progress").replace(cancel_in="in_progess")
    with pytest.raises(CheckError, match="behaviour cancelled_while_in_progress: cancel_in='in_progess' is not a "
                                         "status of a run; its statuses are queued, in_progress, "):
        check_behaviour(with_helpers, behaviour)
    with pytest.raises(CheckError, match="cancel_in='in_progess'"):
        check_client(with_helpers, behaviours=[behaviour])
