"""Realistic inputs for the benchmarks, produced by the simulator (so they follow the spec)."""

from __future__ import annotations

import json
from typing import Any

from runfsm.sim import CallFunctions, Clock, FunctionCall, Liveness, Say, SimConfig, Simulator

WEATHER = [
    CallFunctions([FunctionCall("get_current_weather", {"location": city}) for city in ("北京", "上海", "成都")],
                  duration=2),
    Say("今天北京的温度是10℃,上海的温度是15℃,成都的温度是20℃。", duration=3),
]
TOOLS = [{"type": "function", "function": {"name": "get_current_weather", "parameters": {"type": "object"}}}]


def _answer(sim: Simulator, thread_id: str, run: dict[str, Any]) -> None:
    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    outputs = [{"tool_call_id": c["id"], "output": "20"} for c in calls]
    sim.submit_tool_outputs(thread_id, run["id"], tool_outputs=outputs)


def polled_runs(n_runs: int) -> list[dict[str, Any]]:
    """Run snapshots as a client polling once a second sees them (function-call runs)."""
    # Liveness off: this loop reads every ended run of a round once more, which is no stuck client.
    sim = Simulator(clock=Clock(), script=WEATHER, config=SimConfig(trace=False), liveness=Liveness.off())
    asst = sim.create_assistant(model="gpt-4o", tools=TOOLS)
    runs = []
    for _ in range(n_runs):
        thread = sim.create_thread(messages=[{"role": "user", "content": "天气?"}])
        runs.append((thread["id"], sim.create_run(thread["id"], assistant_id=asst["id"])["id"]))
    out: list[dict[str, Any]] = []
    open_runs = set(runs)
    while open_runs:
        sim.advance(1)
        for thread_id, run_id in sorted(open_runs):
            run = sim.retrieve_run(thread_id, run_id)
            out.append(run)
            if run["status"] == "requires_action":
                _answer(sim, thread_id, run)
            elif run["status"] in sim.profile.run.terminal:
                open_runs.discard((thread_id, run_id))
    return out


def streamed_events(n_runs: int) -> list[tuple[str, str]]:
    """(event name, JSON text) pairs of streamed function-call runs, as they cross the wire."""
    sim = Simulator(clock=Clock(), script=WEATHER, config=SimConfig(trace=False))
    asst = sim.create_assistant(model="gpt-4o", tools=TOOLS)
    events: list[tuple[str, str]] = []
    for _ in range(n_runs):
        thread = sim.create_thread(messages=[{"role": "user", "content": "天气?"}])
        first = list(sim.create_run(thread["id"], assistant_id=asst["id"], stream=True))
        run = next(d for e, d in reversed(first) if e == "thread.run.requires_action")
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        outputs = [{"tool_call_id": c["id"], "output": "20"} for c in calls]
        second = list(sim.submit_tool_outputs(thread["id"], run["id"], tool_outputs=outputs, stream=True))
        for name, data in first + second:
            events.append((name, data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)))
    return events
