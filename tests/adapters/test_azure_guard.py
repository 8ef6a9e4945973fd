"""The Azure guard: built into an ``AgentsClient`` by its transport, refusals to streamed requests, SSE bodies read whole.

Every answer comes from a simulator in process; one test runs where ``openai`` cannot be imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytest.importorskip("azure.ai.agents")

from azure.ai.agents import AgentsClient
from azure.ai.agents.models import AgentEventHandler
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

import runfsm
import runfsm.azure
from runfsm import GuardError
from runfsm.azure import ENDPOINT, SimTransport, client, guard_transport
from runfsm.sim import Clock, Say, Simulator
from runfsm.validate import Tracker

START = 1_700_000_000
API = "api-version=v1"


class SkipsInProgress(SimTransport):
    """A broken server: its streams leave out ``thread.run.in_progress``, so a run jumps from queued to completed."""

    def _answer(self, request: Any) -> Any:
        answer = super()._answer(request)
        if answer.events is not None:
            events = answer.events
            answer.events = ((e, d) for e, d in events if e != "thread.run.in_progress")
        return answer


def _agents_on(transport: Any) -> AgentsClient:
    return AgentsClient(ENDPOINT, runfsm.azure._Credential(), transport=transport, retry_total=0)  # type: ignore[arg-type]


def _thread_with_agent(agents: AgentsClient) -> tuple[str, str]:
    agent = agents.create_agent(model="gpt-4o")
    thread = agents.threads.create()
    agents.messages.create(thread_id=thread.id, role="user", content="Hi")
    return agent.id, thread.id


def _stream_request(thread_id: str, agent_id: str) -> HttpRequest:
    return HttpRequest("POST", f"{ENDPOINT}/threads/{thread_id}/runs?{API}",
                       json={"assistant_id": agent_id, "stream": True})


def test_a_client_built_on_the_guard_transport_is_guarded_from_its_first_request() -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("Hi", duration=1)])
    transport = guard_transport(SkipsInProgress(sim), policy="raise")
    agents = _agents_on(transport)
    agent_id, thread_id = _thread_with_agent(agents)
    assert runfsm.tracker_of(agents) is runfsm.tracker_of(transport) is transport.guard.tracker
    handler = AgentEventHandler()
    with pytest.raises(GuardError, match="while the run is 'queued'") as caught, \
            agents.runs.stream(thread_id=thread_id, agent_id=agent_id, event_handler=handler) as s:
        s.until_done()
    assert [f.code for f in caught.value.findings] == ["stream.order"]


def test_a_refusal_to_a_streamed_request_is_recorded_and_the_sdk_raises_its_own_error() -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("Hi", duration=100)])
    agents = runfsm.guard(client(sim, poll_interval=0), policy="raise")
    agent_id, thread_id = _thread_with_agent(agents)
    agents.runs.create(thread_id=thread_id, agent_id=agent_id)  # the clock stands still: the thread stays locked
    with pytest.raises(HttpResponseError, match="already has an active run"):
        agents.runs.stream(thread_id=thread_id, agent_id=agent_id, event_handler=AgentEventHandler())
    assert [f.code for f in runfsm.tracker_of(agents).findings] == ["client.thread_locked_run"]


def test_an_sse_body_the_transport_read_whole_is_checked() -> None:
    sim = Simulator(clock=Clock(start=START), script=[Say("Hi", duration=1)])
    agents = runfsm.guard(_agents_on(SkipsInProgress(sim)), policy="raise")
    agent_id, thread_id = _thread_with_agent(agents)
    with pytest.raises(GuardError, match="while the run is 'queued'") as caught:
        agents.send_request(_stream_request(thread_id, agent_id))  # stream=False: read in full before the SDK
    assert {f.code for f in caught.value.findings} == {"stream.order", "run.illegal_transition"}
    sound = Simulator(clock=Clock(start=START), script=[Say("Hi", duration=1)])
    tracker = Tracker()
    agents = runfsm.guard(client(sound), tracker=tracker)
    agent_id, thread_id = _thread_with_agent(agents)
    body = agents.send_request(_stream_request(thread_id, agent_id)).text()
    run_id = next(iter(agents.runs.list(thread_id=thread_id))).id
    assert "thread.run.completed" in body
    assert tracker.history(run_id) == ["queued", "in_progress", "completed"] and tracker.report().ok


def test_guard_and_tracker_of_work_for_an_azure_client_without_openai() -> None:
    code = textwrap.dedent("""
        import sys
        from importlib.abc import MetaPathFinder

        BLOCKED = ("openai", "httpx", "httpx2")

        class Block(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{name} is blocked")
                return None

        sys.meta_path.insert(0, Block())
        import runfsm, runfsm.azure
        from runfsm.sim import Clock, Say, Simulator

        sim = Simulator(clock=Clock(start=1_700_000_000), script=[Say("Hi")])
        agents = runfsm.guard(runfsm.azure.client(sim), policy="raise")
        thread = agents.threads.create()
        runs = agents.runs.create(thread_id=thread.id, agent_id=agents.create_agent(model="gpt-4o").id)
        run = agents.runs.get(thread_id=thread.id, run_id=runs.id)
        print(runfsm.tracker_of(agents).history(run.id))
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED or m == "runfsm._guard")
        assert not loaded, loaded
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("['queued'")
