"""Case 9: a ``create_and_process`` round trip through the real azure-ai-agents SDK against the simulator.

Round trips per second, and where the time goes: the SDK (azure-ai-agents,
azure-core and what they use) vs runfsm (simulator, router, transport) vs the
rest (json, stdlib), as case 5 measures for the openai SDK.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import Row, round_trip

import runfsm
from runfsm.azure import client
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, SimConfig, Simulator
from runfsm.testing import simulated_sleep

RUNFSM_DIR = str(Path(runfsm.__file__).resolve().parent)
SDK_PARTS = ("/azure/", "/isodate/", "/typing_extensions", "/requests/", "/urllib3/")


def get_weather(city: str) -> str:
    """The weather of a city.

    :param city: the city
    """
    return json.dumps({"city": city, "sky": "sunny"})


def _one_run() -> None:
    from azure.ai.agents.models import FunctionTool

    sim = Simulator(clock=Clock(), seed=3, config=SimConfig(trace=False), script=[
        CallFunctions([FunctionCall("get_weather", {"city": "Paris"})], duration=2), Say("Sunny.", duration=3)])
    agents = client(sim)
    agent = agents.create_agent(model="gpt-4o", tools=FunctionTool({get_weather}).definitions)
    thread = agents.threads.create(messages=[{"role": "user", "content": "Weather in Paris?"}])
    agents.enable_auto_function_calls({get_weather})
    with simulated_sleep(sim.advance):  # the SDK's time.sleep(polling_interval) moves the simulated clock
        run = agents.runs.create_and_process(thread_id=thread.id, agent_id=agent.id)
    assert run.status == "completed", run.status


def run(repeats: int, scale: float) -> list[Row]:
    return [round_trip("create_and_process via azure-ai-agents", _one_run, SDK_PARTS, RUNFSM_DIR, repeats, scale)]


if __name__ == "__main__":
    for row in run(3, 1.0):
        print(row.name, f"{row.ops_per_s:.1f}/s", row.note)
