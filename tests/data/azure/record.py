"""Write ``session.json``: a test proxy recording of an azure-ai-agents session, answered by the simulator.

Run from the repository root: ``python tests/data/azure/record.py``.  The file is
committed; ``tests/adapters/test_azure_recordings.py`` checks it is what this script writes.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from azure.ai.agents import AgentsClient
from azure.ai.agents.models import AgentEventHandler, FunctionTool
from azure.core.exceptions import HttpResponseError

from runfsm.azure import ENDPOINT, SimTransport, _Credential
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, Simulator
from runfsm.testing import simulated_sleep

HERE = Path(__file__).resolve().parent


def get_weather(city: str) -> str:
    """The weather of a city.

    :param city: the city
    """
    return json.dumps({"city": city, "sky": "sunny"})


def _body(raw: bytes, ctype: str) -> Any:
    if not raw:
        return None
    text = raw.decode()
    return text if "event-stream" in ctype else json.loads(text)


class Recording(SimTransport):
    """Keeps every exchange as the test proxy writes it (bodies as JSON, SSE bodies as text)."""

    entries: list[dict[str, Any]]

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = super().send(request, **kwargs)
        body = b"".join(response.iter_bytes()) if kwargs.get("stream") else response.content
        if kwargs.get("stream"):  # hand the SDK a fresh copy of the stream it asked for
            response._content = body
        ctype = response.headers["Content-Type"]
        request_body = request.content
        self.entries.append({
            "RequestUri": str(request.url),
            "RequestMethod": request.method,
            "RequestHeaders": {"Accept": request.headers.get("Accept", ""), "Authorization": "Sanitized"},
            "RequestBody": json.loads(request_body) if request_body else None,
            "StatusCode": response.status_code,
            "ResponseHeaders": {"Content-Type": ctype, "x-request-id": response.headers["x-request-id"]},
            "ResponseBody": _body(body, ctype),
        })
        return response


def record() -> dict[str, Any]:
    sim = Simulator(clock=Clock(start=1_750_000_000), script=[
        CallFunctions([FunctionCall("get_weather", {"city": "Paris"})], duration=2), Say("Sunny in Paris.", duration=3)])
    transport = Recording(sim)
    transport.entries = []
    agents = AgentsClient(ENDPOINT, _Credential(), transport=transport, retry_total=0)
    tools = FunctionTool({get_weather})
    agent = agents.create_agent(model="gpt-4o", name="weather", tools=tools.definitions)
    thread = agents.threads.create()
    agents.messages.create(thread_id=thread.id, role="user", content="Weather in Paris?")
    agents.enable_auto_function_calls({get_weather})
    with simulated_sleep(sim.advance):
        run = agents.runs.create_and_process(thread_id=thread.id, agent_id=agent.id)
    list(agents.run_steps.list(thread_id=thread.id, run_id=run.id))
    sim.set_script([Say("Still sunny.", duration=2)])
    with agents.runs.stream(thread_id=thread.id, agent_id=agent.id, event_handler=AgentEventHandler()) as stream:
        stream.until_done()
    with contextlib.suppress(HttpResponseError):  # a finished run: the service refuses
        agents.runs.cancel(thread_id=thread.id, run_id=run.id)
    return {"Entries": transport.entries, "Variables": {}}


if __name__ == "__main__":
    text = json.dumps(record(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        sys.exit(0 if (HERE / "session.json").read_text() == text else 1)
    (HERE / "session.json").write_text(text)
