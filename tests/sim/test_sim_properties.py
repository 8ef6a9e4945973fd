"""Properties of whole simulations: random scripts and client programs only ever move along the spec.

For any script, configuration and sequence of client actions (polls, clock moves, cancels, submits,
messages, streams read in part): every observed run history is a path of legal edges (strict edges
only unless ``SimConfig(inferred=True)``), one run at most is active per thread, steps and messages
end with their run, every run ends once its deadline has passed, the trace passes the validator,
and the same inputs give a byte-identical trace.
"""

from __future__ import annotations

import importlib
import io
import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sim_support import setup

from runfsm import IllegalTransition, profile
from runfsm.sim import (
    APIError,
    CallFunctions,
    CodeInterpreter,
    EventStream,
    Fail,
    FileSearch,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
    SimConfig,
    Simulator,
)

durations = st.one_of(st.integers(0, 4), st.sampled_from([0.5, 250, 700]))
say = st.builds(Say, st.text("你好abc ", min_size=0, max_size=12), duration=durations)
calls = st.builds(
    CallFunctions,
    st.lists(st.builds(FunctionCall, st.just("get_current_weather"), st.just('{"location": "北京"}')),
             min_size=1, max_size=3),
    duration=durations,
)
step_action = st.one_of(say, calls, st.builds(CodeInterpreter, st.just("1+1"), st.just("2"), duration=durations),
                        st.builds(FileSearch, duration=durations))
ending = st.one_of(
    st.builds(Fail, st.sampled_from(["server_error", "rate_limit_exceeded"]), duration=durations,
              during=st.none() | step_action),
    st.builds(Fail, st.just("invalid_prompt"), duration=durations),
    st.builds(RunOutOfTokens, st.sampled_from(["max_completion_tokens", "max_prompt_tokens"]), duration=durations,
              during=st.none() | say),
)
queue_action = st.one_of(st.builds(QueueDelay, st.sampled_from([0, 3, 1000])), st.builds(QueueStall),
                         st.builds(Fail, in_queue=st.just(True), duration=durations))


@st.composite
def scripts(draw: st.DrawFn) -> list[Any]:
    out: list[Any] = []
    if draw(st.booleans()):
        out.append(draw(queue_action))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(step_action)
        out.append(action)
        if isinstance(action, CallFunctions) and draw(st.booleans()):
            out.append(draw(queue_action))
    if draw(st.booleans()):
        out.append(draw(ending))
    return out


configs = st.builds(
    lambda inferred, race, latency, delay, chars: SimConfig(
        inferred=inferred, cancel_race=inferred and race, queue_latency=latency, cancel_delay=delay,
        delta_chars=chars),
    st.booleans(), st.booleans(), st.sampled_from([0, 1, 2.5]), st.sampled_from([0, 1, 30]), st.integers(1, 6),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.sampled_from([0, 0.5, 1, 3, 60, 650])),
        st.tuples(st.sampled_from(["poll", "cancel", "submit", "message", "run", "steps", "messages", "read"]),
                  st.integers(0, 5)),
    ),
    max_size=14,
)


def _play(script: list[Any], config: SimConfig, program: list[tuple[str, Any]], stream: bool,
          check: bool = True) -> Simulator:
    sim, asst, thread = setup(script, config=config)
    lc = profile().run
    streams: list[EventStream] = []
    runs: list[str] = []

    def active() -> list[str]:
        return [r for r, s in sim.iter_runs() if s in lc.active]

    def attempt(fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except APIError as exc:
            assert exc.status == 400, exc  # refusals only; ids always exist here
        except IllegalTransition as exc:
            # Strict mode refuses the inferred edges it is asked for, and nothing else.
            assert not config.inferred and lc.by_trigger.get((exc.source, exc.trigger)) is not None, exc
        return None

    def opened(out: Any) -> None:
        if isinstance(out, EventStream):
            streams.append(out)
            for _ in range(2):
                next(out, None)  # read a little, leave the rest for later

    def start() -> None:
        out = attempt(sim.create_run, thread, assistant_id=asst, stream=stream)
        if out is not None:
            runs.append(out.run_id if isinstance(out, EventStream) else out["id"])
            opened(out)

    start()
    for op, arg in program:
        run = runs[-1] if runs else None
        if op == "advance":
            sim.advance(arg)
        elif op == "run":
            start()
        elif op == "message":
            attempt(sim.create_message, thread, role="user", content="more")
        elif op == "messages":
            sim.list_messages(thread, limit=1 + arg, order="asc" if arg % 2 else "desc")
        elif run is None:
            continue
        elif op == "poll":
            sim.retrieve_run(thread, run)
        elif op == "steps":
            sim.list_run_steps(thread, run)
        elif op == "cancel":
            attempt(sim.cancel_run, thread, run)
        elif op == "submit":
            required = sim.peek_run(run)["required_action"]
            calls = required["submit_tool_outputs"]["tool_calls"] if required else []
            outs = [{"tool_call_id": c["id"], "output": str(i)} for i, c in enumerate(calls)][: max(1, arg)]
            opened(attempt(sim.submit_tool_outputs, thread, run, tool_outputs=outs, stream=stream))
        elif op == "read" and streams:
            for _ in range(arg):
                if next(streams[-1], None) is None:
                    break
        if check:
            assert len(active()) <= 1, "two active runs on one thread"
    for s in streams:
        s.available()
    sim.advance(config.deadline + config.cancel_delay + 1)
    for s in streams:
        list(s)
    return sim


@given(script=scripts(), config=configs, program=ops, stream=st.booleans())
def test_random_simulations_only_move_along_the_spec(script: list[Any], config: SimConfig,
                                                     program: list[tuple[str, Any]], stream: bool) -> None:
    sim = _play(script, config, program, stream)
    p = profile()
    strict = not config.inferred
    for run_id, status in sim.iter_runs():
        history = [s for _, s in sim.timeline(run_id)]
        times = [t for t, _ in sim.timeline(run_id)]
        assert times == sorted(times)
        for a, b in itertools.pairwise(history):
            assert p.run.is_legal(a, b, strict=strict), (run_id, history)
        assert status in p.run.terminal, f"run {run_id} still {status} after its deadline"
        snap = sim.peek_run(run_id)
        assert snap["expires_at"] is None
        for key in ("started_at", "completed_at", "failed_at", "cancelled_at"):
            assert snap[key] is None or snap[key] >= snap["created_at"]
        for step in sim.peek_steps(run_id):
            assert step["status"] in p.run_step.terminal
            assert step["created_at"] >= snap["created_at"]
        for m in sim.run_messages(run_id):
            assert m["status"] in p.message.terminal
    validate = importlib.import_module("runfsm.validate").validate_trace
    report = validate(sim.trace, strict=strict)
    assert not report.errors, [f.message for f in report.errors]


@given(script=scripts(), config=configs, program=ops, stream=st.booleans())
def test_same_inputs_give_a_byte_identical_trace(script: list[Any], config: SimConfig,
                                                 program: list[tuple[str, Any]], stream: bool) -> None:
    def jsonl() -> str:
        buf = io.StringIO()
        _play(script, config, program, stream, check=False).export_jsonl(buf)
        return buf.getvalue()

    assert jsonl() == jsonl()
