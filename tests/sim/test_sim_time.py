"""Time semantics (issue: queue latency, durations, expiry, cancel delay, re-stamped started_at) and faults."""

from __future__ import annotations

from typing import Any

import pytest
from sim_support import START, setup, statuses, submit_all

from runfsm import IllegalTransition
from runfsm.sim import (
    CallFunctions,
    CodeInterpreter,
    ConfigError,
    Fail,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
    ScriptContext,
    ScriptError,
    SimConfig,
    ToolOutput,
)

CALL = CallFunctions([FunctionCall("get_current_weather", {"location": "北京"})], duration=2)


def _text(msg: dict[str, Any]) -> str:
    return "".join(p["text"]["value"] for p in msg["content"])


def test_queue_latency_durations_and_the_deadline() -> None:
    sim, asst, thread = setup([Say("hello", duration=4)], config=SimConfig(queue_latency=3, deadline=900))
    run = sim.create_run(thread, assistant_id=asst)
    assert run["created_at"] == START and run["expires_at"] == START + 900 and run["started_at"] is None
    sim.advance(2.5)
    assert sim.retrieve_run(thread, run["id"])["status"] == "queued"
    sim.advance(0.5)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "in_progress" and r["started_at"] == START + 3 and r["expires_at"] == START + 900
    (step,) = sim.list_run_steps(thread, run["id"])["data"]
    assert step["status"] == "in_progress" and step["usage"] is None and step["expires_at"] == START + 900
    sim.advance(4)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "completed" and r["completed_at"] == START + 7
    assert r["expires_at"] is None  # null once completed
    assert r["usage"]["total_tokens"] == r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"] > 0
    (step,) = sim.list_run_steps(thread, run["id"])["data"]
    assert step["completed_at"] == START + 7 and step["usage"] is not None


def test_started_at_is_restamped_on_each_entry_to_in_progress() -> None:
    sim, asst, thread = setup([CALL, Say("done")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(3)
    first = sim.retrieve_run(thread, run["id"])
    assert first["status"] == "requires_action" and first["started_at"] == START + 1
    sim.advance(7)
    queued = submit_all(sim, thread, run["id"])
    assert queued["status"] == "queued" and queued["started_at"] == START + 1  # keeps the old value
    assert queued["expires_at"] == START + 600  # the deadline does not reset
    sim.advance(1)
    again = sim.retrieve_run(thread, run["id"])
    assert again["status"] == "in_progress" and again["started_at"] == START + 11


def test_messages_are_written_over_the_duration() -> None:
    sim, asst, thread = setup([Say("abcdefghij", duration=10)])
    sim.create_run(thread, assistant_id=asst)
    seen = []
    for _ in range(12):
        sim.advance(1)
        data = sim.list_messages(thread)["data"]
        seen.append(_text(data[0]) if data[0]["role"] == "assistant" else None)
    assert seen[0] == ""
    written = [len(s) for s in seen if s is not None]
    assert written == sorted(written) and written[-1] == 10 and seen[-1] == "abcdefghij"


def test_expiry_while_waiting_for_tool_outputs() -> None:
    sim, asst, thread = setup([CALL, Say("never")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(599)
    assert sim.retrieve_run(thread, run["id"])["status"] == "requires_action"
    sim.advance(1)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "expired" and r["required_action"] is None
    (step,) = sim.list_run_steps(thread, run["id"])["data"]
    assert step["status"] == "expired" and step["type"] == "tool_calls"
    assert statuses(sim, run["id"]) == ["queued", "in_progress", "requires_action", "expired"]
    assert sim.timeline(run["id"])[-1][0] == START + 600


def test_a_slow_tool_makes_the_run_expire_and_the_message_incomplete() -> None:
    sim, asst, thread = setup([CodeInterpreter("sleep()", duration=700)])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(1000)
    assert statuses(sim, run["id"]) == ["queued", "in_progress", "expired"]
    sim2, asst2, thread2 = setup([Say("a long answer " * 10, duration=1000)])
    run2 = sim2.create_run(thread2, assistant_id=asst2)
    sim2.advance(1000)
    (msg,) = sim2.run_messages(run2["id"])
    assert msg["status"] == "incomplete" and msg["incomplete_details"] == {"reason": "run_expired"}
    assert 0 < len(_text(msg)) < len("a long answer " * 10)
    assert sim2.peek_steps(run2["id"])[0]["status"] == "expired"


def test_cancel_is_observable_then_cancels_step_and_message() -> None:
    sim, asst, thread = setup([Say("0123456789" * 2, duration=20)], config=SimConfig(cancel_delay=3))
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(11)
    r = sim.cancel_run(thread, run["id"])
    assert r["status"] == "cancelling" and r["cancelled_at"] is None
    assert sim.cancel_run(thread, run["id"])["status"] == "cancelling"  # again: no change
    sim.advance(2)
    assert sim.retrieve_run(thread, run["id"])["status"] == "cancelling"
    sim.advance(1)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "cancelled" and r["cancelled_at"] == START + 14
    (step,) = sim.list_run_steps(thread, run["id"])["data"]
    assert step["status"] == "cancelled" and step["cancelled_at"] == START + 14 and step["completed_at"] is None
    (msg,) = sim.run_messages(run["id"])
    assert msg["status"] == "incomplete" and msg["incomplete_details"] == {"reason": "run_cancelled"}
    assert _text(msg) == "0123456789"  # what was written when the cancel came (10 s of 20)


@pytest.mark.parametrize("when", [0, 3])  # queued / requires_action
def test_strict_mode_refuses_inferred_cancels(when: int) -> None:
    sim, asst, thread = setup([CALL])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(when)
    status = sim.peek_run(run["id"])["status"]
    with pytest.raises(IllegalTransition) as err:
        sim.cancel_run(thread, run["id"])
    assert err.value.source == status and err.value.trigger == "cancel"
    assert "SimConfig(inferred=True)" in str(err.value) and run["id"] in str(err.value)
    assert sim.peek_run(run["id"])["status"] == status  # unchanged


@pytest.mark.parametrize("when", [0, 3])
def test_inferred_mode_cancels_queued_and_paused_runs(when: int) -> None:
    sim, asst, thread = setup([CALL], config=SimConfig(inferred=True))
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(when)
    first = sim.peek_run(run["id"])["status"]
    sim.cancel_run(thread, run["id"])
    sim.advance(5)
    assert statuses(sim, run["id"])[-3:] == [first, "cancelling", "cancelled"]
    if when:
        assert sim.peek_steps(run["id"])[0]["status"] == "cancelled"


def test_queue_stall_needs_inferred_mode_and_then_expires_in_the_queue() -> None:
    sim, asst, thread = setup([QueueStall(), Say("never")])
    with pytest.raises(IllegalTransition, match="inferred"):
        sim.create_run(thread, assistant_id=asst)
    assert sim.list_runs(thread)["data"] == []  # nothing was created
    sim, asst, thread = setup([QueueStall(), Say("never")], config=SimConfig(inferred=True))
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(700)
    assert statuses(sim, run["id"]) == ["queued", "expired"]


def test_queue_delay_and_a_run_still_queued_at_its_deadline() -> None:
    sim, asst, thread = setup([QueueDelay(30), Say("late")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(30)
    assert sim.peek_run(run["id"])["started_at"] == START + 30
    sim, asst, thread = setup([QueueDelay(10_000), Say("never")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(10_000)
    # Strict mode has no queued -> expired edge: the run starts at its deadline and expires at once.
    assert statuses(sim, run["id"]) == ["queued", "in_progress", "expired"]
    assert {t for t, _ in sim.timeline(run["id"])[1:]} == {START + 600}


def test_fail_during_a_message() -> None:
    sim, asst, thread = setup([Fail("rate_limit_exceeded", duration=2, during=Say("partial answer", duration=4))])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(10)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "failed" and r["failed_at"] == START + 3
    assert r["last_error"] == {"code": "rate_limit_exceeded", "message": "Simulated rate_limit_exceeded."}
    (step,) = sim.list_run_steps(thread, run["id"])["data"]
    assert step["status"] == "failed" and step["last_error"]["code"] == "rate_limit_exceeded"
    (msg,) = sim.run_messages(run["id"])
    assert msg["incomplete_details"] == {"reason": "run_failed"} and _text(msg) == "partial"


def test_fail_in_the_queue_needs_inferred_mode() -> None:
    with pytest.raises(IllegalTransition):
        sim, asst, thread = setup([Fail(in_queue=True)])
        sim.create_run(thread, assistant_id=asst)
    sim, asst, thread = setup([Fail(in_queue=True, duration=1)], config=SimConfig(inferred=True))
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    assert statuses(sim, run["id"]) == ["queued", "failed"]


def test_invalid_prompt_fails_the_run_but_never_a_step() -> None:
    with pytest.raises(ScriptError, match="invalid_prompt"):
        Fail("invalid_prompt", during=Say("x"))
    sim, asst, thread = setup([Fail("invalid_prompt")])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    assert sim.peek_run(run["id"])["last_error"]["code"] == "invalid_prompt"
    assert sim.peek_steps(run["id"]) == []


def test_running_out_of_tokens() -> None:
    sim, asst, thread = setup([RunOutOfTokens("max_prompt_tokens", duration=1, during=Say("abcdef", duration=2))])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    r = sim.retrieve_run(thread, run["id"])
    assert r["status"] == "incomplete" and r["incomplete_details"] == {"reason": "max_prompt_tokens"}
    assert r["completed_at"] == START + 2 and r["expires_at"] is None
    (msg,) = sim.run_messages(run["id"])
    assert msg["incomplete_details"] == {"reason": "max_tokens"} and _text(msg) == "abc"


def test_token_budgets_end_runs_incomplete() -> None:
    sim, asst, thread = setup([Say("x" * 400, duration=10, completion_tokens=1024)])
    run = sim.create_run(thread, assistant_id=asst, max_completion_tokens=256)  # the API's minimum
    sim.advance(20)
    r = sim.retrieve_run(thread, run["id"])
    assert r["incomplete_details"] == {"reason": "max_completion_tokens"}
    assert r["usage"]["completion_tokens"] == 256
    assert r["completed_at"] == START + 1 + 2.5 // 1  # a quarter of the budgeted writing time
    assert _text(sim.run_messages(run["id"])[0]) == "x" * 100
    sim, asst, thread = setup([Say("hi", prompt_tokens=5000)])
    run = sim.create_run(thread, assistant_id=asst, max_prompt_tokens=1000)
    sim.advance(5)
    assert sim.peek_run(run["id"])["incomplete_details"] == {"reason": "max_prompt_tokens"}


def test_cancel_race_is_lost_only_when_configured() -> None:
    with pytest.raises(ConfigError, match="inferred"):
        SimConfig(cancel_race=True)
    config = SimConfig(inferred=True, cancel_race=True, cancel_delay=5)
    sim, asst, thread = setup([Say("almost done", duration=3)], config=config)
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(2)
    sim.cancel_run(thread, run["id"])
    sim.advance(10)
    assert statuses(sim, run["id"]) == ["queued", "in_progress", "cancelling", "completed"]
    assert sim.run_messages(run["id"])[0]["status"] == "completed"
    sim, asst, thread = setup([Say("long", duration=30)], config=config)
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(2)
    sim.cancel_run(thread, run["id"])
    sim.advance(40)
    assert statuses(sim, run["id"])[-2:] == ["cancelling", "cancelled"]


def test_keep_deadline_when_ended_is_a_setting() -> None:
    for keep in (False, True):
        sim, asst, thread = setup([CALL], config=SimConfig(keep_deadline_when_ended=keep))
        run = sim.create_run(thread, assistant_id=asst)
        sim.advance(700)
        assert sim.peek_run(run["id"])["expires_at"] == (START + 600 if keep else None)


def test_a_callable_script_reacts_to_messages_and_tool_outputs() -> None:
    seen: list[ScriptContext] = []

    def model(ctx: ScriptContext) -> Any:
        seen.append(ctx)
        if not ctx.tool_outputs:
            city = ctx.last_user_text.removesuffix("的天气")
            return CallFunctions([FunctionCall("get_current_weather", {"location": city})])
        if ctx.actions_done == 1:
            return Say(f"{ctx.tool_outputs[0].output}。")
        return None

    sim, asst, thread = setup(model, message="上海的天气")
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    call = sim.peek_run(run["id"])["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert call["function"]["arguments"] == '{"location": "上海"}'
    submit_all(sim, thread, run["id"], output="15℃")
    sim.advance(5)
    assert _text(sim.run_messages(run["id"])[0]) == "15℃。"
    assert sim.peek_run(run["id"])["status"] == "completed"
    assert seen[1].tool_outputs == (ToolOutput(call["id"], "get_current_weather", '{"location": "上海"}', "15℃"),)
    assert seen[0].messages[0]["content"][0]["text"]["value"] == "上海的天气"


def test_a_callable_script_returning_garbage_is_named() -> None:
    sim, asst, thread = setup(lambda ctx: "say hi")  # type: ignore[arg-type, return-value]
    with pytest.raises(ScriptError, match="expected an action"):
        sim.create_run(thread, assistant_id=asst)


def test_api_v1_has_no_incomplete_runs() -> None:
    sim, asst, thread = setup([RunOutOfTokens()], version="v1")
    with pytest.raises(ScriptError, match=r"API v1 cannot end a run by 'run_out_of_tokens' \(RunOutOfTokens\); "
                                          r"a script ends it by fail, expire$"):
        sim.create_run(thread, assistant_id=asst)
    assert sim.list_runs(thread)["data"] == []


def test_a_queue_fault_after_function_calls_is_checked_at_submit() -> None:
    sim, asst, thread = setup([CALL, QueueStall()])
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    with pytest.raises(IllegalTransition) as err:
        submit_all(sim, thread, run["id"])
    assert err.value.source == "queued" and "QueueStall" in str(err.value)
    assert sim.peek_run(run["id"])["status"] == "requires_action"  # nothing changed
    sim.advance(600)
    assert statuses(sim, run["id"])[-1] == "expired"
    sim, asst, thread = setup([CALL, QueueStall()], config=SimConfig(inferred=True))
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(5)
    submit_all(sim, thread, run["id"])
    sim.advance(600)
    assert statuses(sim, run["id"])[-2:] == ["queued", "expired"]


def test_queue_actions_only_where_the_run_is_queued() -> None:
    from runfsm.sim._script import check_script

    check_script([QueueDelay(1), CALL, QueueStall(), Say("x")])
    with pytest.raises(ScriptError, match="acts on the queue"):
        check_script([Say("x"), QueueDelay(1)])


@pytest.mark.parametrize("when", [0, 3, 595])  # queued, requires_action, just before the deadline
def test_in_a_cancel_race_the_deadline_wins_over_a_slow_cancel(when: int) -> None:
    config = SimConfig(inferred=True, cancel_race=True, cancel_delay=30, queue_latency=0.5)
    sim, asst, thread = setup([QueueDelay(599.5) if when == 595 else CALL, Say("x")], config=config)
    run = sim.create_run(thread, assistant_id=asst)
    sim.advance(when)
    sim.cancel_run(thread, run["id"])
    sim.advance(700)
    history = statuses(sim, run["id"])
    if when == 595:
        assert history[-2:] == ["cancelling", "expired"]
        assert sim.timeline(run["id"])[-1][0] == START + 600
    else:
        assert history[-2:] == ["cancelling", "cancelled"]


def test_v1_messages_cut_short_end_as_written() -> None:
    sim, asst, thread = setup([Say("abcdefghij", duration=10)], version="v1")
    stream = sim.create_run(thread, assistant_id=asst, stream=True)
    head = [next(stream) for _ in range(7)]
    sim.advance(5)
    sim.cancel_run(thread, head[0][1]["id"])
    tail = list(stream)
    ended = next(d for n, d in tail if n.startswith("thread.message.") and not n.endswith(".delta"))
    assert ended["status"] == "completed" and _text(ended) == "abcde"  # 5 s of 10
    assert [n for n, _ in tail][-3:] == ["thread.run.step.cancelled", "thread.run.cancelled", "done"]
