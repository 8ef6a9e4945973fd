"""A refused call changes nothing observable: not the objects, not the trace, not the ids, not the stream numbers.

Two simulators with the same seed get the same client program; one of them also receives a
barrage of calls that must be refused (bad parameters, wrong statuses, locked threads, edges the
mode forbids, impossible clock moves, a script that cannot start).  Afterwards both have the same
trace byte for byte and hand out the same next ids: the refusals left no trace at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sim_support import FUNCTION_TOOL

from runfsm import IllegalTransition
from runfsm.sim import (
    APIError,
    CallFunctions,
    Clock,
    ClockError,
    EventStream,
    FunctionCall,
    QueueStall,
    Say,
    ScriptError,
    SimConfig,
    Simulator,
)

START = 1_712_000_000
REFUSED = (APIError, IllegalTransition, ScriptError, ClockError)


class World:
    """One simulator and what the client program knows of it."""

    def __init__(self) -> None:
        self.sim = Simulator(clock=Clock(START), seed=11, config=SimConfig())  # strict: inferred edges are refused
        sim = self.sim
        self.asst = sim.create_assistant(model="gpt-4o", tools=[FUNCTION_TOOL, {"type": "file_search"}])["id"]
        sim.set_script([CallFunctions([FunctionCall("get_current_weather", "{}")] * 2), Say("done", duration=2)],
                       assistant_id=self.asst)
        self.stalling = sim.create_assistant(model="gpt-4o", name="stalling")["id"]
        sim.set_script([QueueStall()], assistant_id=self.stalling)
        self.broken = sim.create_assistant(model="gpt-4o", name="broken")["id"]
        sim.set_script(lambda ctx: 1 / 0, assistant_id=self.broken)
        self.file = sim.upload_file(filename="a.txt", content=b"a", purpose="assistants")["id"]
        self.threads = [sim.create_thread(messages=[{"role": "user", "content": "hi"}])["id"]]
        self.runs: list[tuple[str, str]] = []
        self.streams: list[EventStream] = []

    def thread(self) -> str:
        return self.threads[-1]

    def run(self) -> tuple[str, str] | None:
        return self.runs[-1] if self.runs else None

    def opened(self, out: Any) -> None:
        if isinstance(out, EventStream):
            self.streams.append(out)
            self.runs.append((self.sim.peek_run(out.run_id)["thread_id"], out.run_id))
        else:
            self.runs.append((out["thread_id"], out["id"]))

    def fingerprint(self) -> str:
        sim = self.sim
        state = {"trace": sim.trace, "now": sim.clock.now, "pending": sim.clock.pending,
                 "runs": list(sim.iter_runs()), "next": sim.create_thread()["id"]}
        return json.dumps(state, sort_keys=True, ensure_ascii=False)


# -- the client program (the same in both worlds) ----------------------------------------------------


def _good(w: World, op: str, flag: bool) -> None:
    sim = w.sim
    try:
        if op == "thread":
            w.threads.append(sim.create_thread(messages=[{"role": "user", "content": "hello"}])["id"])
        elif op == "run":
            w.opened(sim.create_run(w.thread(), assistant_id=w.asst, stream=flag, temperature=0.5))
        elif op == "thread_and_run":
            w.opened(sim.create_thread_and_run(assistant_id=w.asst, stream=flag,
                                               thread={"messages": [{"role": "user", "content": "x"}]}))
            w.threads.append(w.runs[-1][0])
        elif op == "advance":
            sim.advance(2 if flag else 0.5)
        elif op == "submit" and w.run() is not None:
            thread_id, run_id = w.runs[-1]
            action = sim.peek_run(run_id)["required_action"]
            if action is not None:
                out = sim.submit_tool_outputs(thread_id, run_id, stream=flag, tool_outputs=[
                    {"tool_call_id": c["id"], "output": "sunny"} for c in action["submit_tool_outputs"]["tool_calls"]])
                if isinstance(out, EventStream):
                    w.streams.append(out)
        elif op == "cancel" and w.run() is not None:
            sim.cancel_run(*w.runs[-1])
        elif op == "message":
            sim.create_message(w.thread(), role="user", content="more",
                               attachments=[{"file_id": w.file, "tools": [{"type": "file_search"}]}])
        elif op == "read" and w.streams:
            list(w.streams.pop(0)) if flag else w.streams[0].available()
    except REFUSED:
        pass  # refused in both worlds alike


GOOD = ("thread", "run", "thread_and_run", "advance", "submit", "cancel", "message", "read")


# -- the calls that must be refused (only in one world) ------------------------------------------------

def _locked_thread(w: World) -> str:
    for thread_id, run_id in reversed(w.runs):
        if w.sim.peek_run(run_id)["status"] not in w.sim.profile.run.terminal:
            return thread_id
    return "thread_nope"


def _finished_run(w: World) -> tuple[str, str]:
    for thread_id, run_id in reversed(w.runs):
        if w.sim.peek_run(run_id)["status"] in w.sim.profile.run.terminal:
            return thread_id, run_id
    return w.thread(), "run_nope"


BAD_PARAMS: list[dict[str, Any]] = [
    {"temperature": math.nan}, {"temperature": math.inf}, {"temperature": 2.5}, {"top_p": -0.1}, {"top_p": 1.5},
    {"max_completion_tokens": 0}, {"max_prompt_tokens": -5}, {"max_prompt_tokens": 255}, {"model": ""},
    {"tool_choice": "sometimes"}, {"tool_choice": {"type": "function"}}, {"response_format": {"type": "yaml"}},
    {"truncation_strategy": {"type": "last_messages"}}, {"truncation_strategy": {"type": "auto", "last_messages": 0}},
    {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"x": {1, 2}}}}]},
    {"additional_messages": [{"role": "user", "content": "x", "attachments": [{"file_id": "file-x", "tools": []}]}]},
    {"additional_messages": [{"role": "user", "content": "x", "attachments": [{"file_id": "f", "tools": "abc"}]}]},
    {"metadata": {"k": 1}},
]


def _bad_calls(w: World) -> list[Callable[[], Any]]:
    sim = w.sim
    thread = w.thread()
    run = w.run() or (thread, "run_nope")
    calls: list[Callable[[], Any]] = []
    for params in BAD_PARAMS:
        calls.append(lambda p=params: sim.create_run(thread, assistant_id=w.asst, stream=True, **p))
        calls.append(lambda p=params: sim.create_thread_and_run(assistant_id=w.asst, stream=True, **p))
    calls += [
        lambda: sim.create_run(_locked_thread(w), assistant_id=w.asst, stream=True),
        lambda: sim.create_run(thread, assistant_id="asst_nope", stream=True),
        lambda: sim.create_run(thread, assistant_id=w.stalling, stream=True),  # queued -> expired is inferred
        lambda: sim.create_run(thread, assistant_id=w.broken, stream=True),  # the script fails before the run exists
        lambda: sim.create_thread_and_run(assistant_id=w.broken, stream=True),
        lambda: sim.create_thread_and_run(assistant_id=w.asst, thread={"messages": [{"role": "robot", "content": "x"}]}),
        lambda: sim.create_message(_locked_thread(w), role="user", content="locked"),
        lambda: sim.create_message(thread, role="user", content="x", attachments=[{"file_id": w.file, "tools": "abc"}]),
        lambda: sim.submit_tool_outputs(*run, stream=True, tool_outputs=[{"tool_call_id": "call_nope", "output": "x"}]),
        lambda: sim.submit_tool_outputs(*run, stream=True, tool_outputs=[{"tool_call_id": "call_nope"}]),
        lambda: sim.cancel_run(*_finished_run(w)),
        lambda: sim.advance(-1),
        lambda: sim.advance(math.nan),
        lambda: sim.advance(10**400),
        lambda: sim.list_messages(thread, limit=0),
        lambda: sim.retrieve_run(thread, "run_nope"),
    ]
    return calls


@given(st.lists(st.tuples(st.sampled_from(GOOD), st.booleans(), st.lists(st.integers(0, 10_000), max_size=3)),
                max_size=14))
def test_refused_calls_change_nothing_observable(program: list[tuple[str, bool, list[int]]]) -> None:
    plain, refused = World(), World()
    for op, flag, bad in program:
        _good(plain, op, flag)
        _good(refused, op, flag)
        calls = _bad_calls(refused)
        for pick in bad:
            call = calls[pick % len(calls)]
            try:
                call()
            except REFUSED:
                continue
            raise AssertionError(f"call {pick % len(calls)} was accepted; it must be refused")
    assert refused.fingerprint() == plain.fingerprint()
