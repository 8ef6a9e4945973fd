"""Helpers shared by the simulator tests (not a test module)."""

from __future__ import annotations

from typing import Any

from runfsm.sim import Clock, Script, SimConfig, Simulator

START = 1_712_000_000
FUNCTION_TOOL = {
    "type": "function",
    "function": {"name": "get_current_weather", "description": "weather",
                 "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}},
}
ALL_TOOLS = [FUNCTION_TOOL, {"type": "code_interpreter"}, {"type": "file_search"}]


def setup(script: Script, *, config: SimConfig | None = None, seed: int = 0, tools: list[Any] | None = None,
          version: str = "v2", message: str = "你好") -> tuple[Simulator, str, str]:
    """A simulator with one assistant (``script``) and one thread holding one user message."""
    sim = Simulator(clock=Clock(START), seed=seed, config=config, version=version)
    if tools is None:
        tools = ALL_TOOLS if version == "v2" else [FUNCTION_TOOL, {"type": "code_interpreter"}, {"type": "retrieval"}]
    asst = sim.create_assistant(model="gpt-4o", name="helper", instructions="Be brief.", tools=tools)
    sim.set_script(script, assistant_id=asst["id"])
    thread = sim.create_thread(messages=[{"role": "user", "content": message}])
    return sim, asst["id"], thread["id"]


def statuses(sim: Simulator, run_id: str) -> list[str]:
    return [s for _, s in sim.timeline(run_id)]


def submit_all(sim: Simulator, thread_id: str, run_id: str, output: str = "ok", **kw: Any) -> Any:
    calls = sim.peek_run(run_id)["required_action"]["submit_tool_outputs"]["tool_calls"]
    return sim.submit_tool_outputs(thread_id, run_id, tool_outputs=[{"tool_call_id": c["id"], "output": output}
                                                                   for c in calls], **kw)


def events(stream: Any) -> list[tuple[str, Any]]:
    return list(stream)
