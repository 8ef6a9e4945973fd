"""The real ``azure-ai-agents`` SDK against the simulator (``runfsm.azure``), its guard and ``check_client``.

Every request is answered in process (the ``no_network`` fixture makes any socket
connection fail); the SDK's polling helpers sleep in simulated time.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pytest.importorskip("azure.ai.agents")
pytest_plugins = ["pytester"]

from azure.ai.agents.models import AgentEventHandler, FunctionTool  # noqa: E402
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError  # noqa: E402
from azure.core.rest import HttpRequest  # noqa: E402

import runfsm  # noqa: E402
from runfsm import GuardError, azure_profile  # noqa: E402
from runfsm.azure import ENDPOINT, SimTransport, async_client, client, router_of, transport  # noqa: E402
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, Simulator  # noqa: E402
from runfsm.testing import check_client, simulated_sleep  # noqa: E402

START = 1_700_000_000
SCRIPT = [CallFunctions([FunctionCall("get_weather", {"city": "Paris"})], duration=2), Say("Sunny in Paris.", duration=3)]


def get_weather(city: str) -> str:
    """The weather of a city.

    :param city: the city
    """
    return json.dumps({"city": city, "sky": "sunny"})


TOOLS = FunctionTool({get_weather})


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("runfsm.azure opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _sim(script: Any = SCRIPT) -> Simulator:
    return Simulator(clock=Clock(start=START), script=script)


def _setup(agents: Any) -> tuple[str, str]:
    agent = agents.create_agent(model="gpt-4o", name="weather", tools=TOOLS.definitions)
    thread = agents.threads.create()
    agents.messages.create(thread_id=thread.id, role="user", content="Weather in Paris?")
    return agent.id, thread.id


# --- the transport -----------------------------------------------------------------------------


def test_create_and_process_with_automatic_function_calls_completes() -> None:
    sim = _sim()
    agents = client(sim)
    agent_id, thread_id = _setup(agents)
    agents.enable_auto_function_calls({get_weather})
    with simulated_sleep(sim.advance):
        run = agents.runs.create_and_process(thread_id=thread_id, agent_id=agent_id)
    assert run.status == "completed" and run.agent_id == agent_id
    assert [s for _, s in sim.timeline(run.id)] == ["queued", "in_progress", "requires_action", "queued",
                                                    "in_progress", "completed"]
    steps = list(agents.run_steps.list(thread_id=thread_id, run_id=run.id))
    assert [s.type for s in steps] == ["message_creation", "tool_calls"]
    function = steps[1].step_details.tool_calls[0].function
    assert not hasattr(function, "output")  # the SDK's model lacks it (azure_profile.FACTS); the mapping has it
    assert json.loads(function["output"]) == {"city": "Paris", "sky": "sunny"}
    texts = [m.text_messages[0].text.value for m in agents.messages.list(thread_id=thread_id)]
    assert texts == ["Sunny in Paris.", "Weather in Paris?"]
    assert sim.clock.now - START < 20  # simulated seconds: nothing slept in wall time


def test_every_request_carries_the_api_version_and_lands_under_the_project() -> None:
    seen: list[str] = []

    class Spy(SimTransport):
        def send(self, request: Any, **kwargs: Any) -> Any:
            seen.append(str(request.url))
            return super().send(request, **kwargs)

    sim = _sim([Say("Hi")])
    from azure.ai.agents import AgentsClient

    agents = AgentsClient(ENDPOINT, runfsm.azure._Credential(), transport=Spy(sim))  # type: ignore[arg-type]
    _setup(agents)
    assert seen and all(u.startswith(ENDPOINT + "/") and u.endswith("api-version=v1") for u in seen)


class Recorder(AgentEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.statuses: list[str] = []

    def on_message_delta(self, delta: Any) -> None:
        self.text.append(delta.text)

    def on_thread_run(self, run: Any) -> None:
        self.statuses.append(run.status)


def test_stream_with_an_event_handler_submits_functions_and_completes() -> None:
    sim = _sim()
    agents = client(sim)
    agent_id, thread_id = _setup(agents)
    agents.enable_auto_function_calls({get_weather})
    handler = Recorder()
    with agents.runs.stream(thread_id=thread_id, agent_id=agent_id, event_handler=handler) as stream:
        stream.until_done()
    assert "".join(handler.text) == "Sunny in Paris."
    assert handler.statuses[0] == "queued" and "requires_action" in handler.statuses
    assert handler.statuses[-1] == "completed"
    assert runfsm.validate_trace(sim.trace).ok


def test_async_client_create_and_process_and_stream() -> None:
    sim = _sim()
    from azure.ai.agents.models import AsyncAgentEventHandler

    async def main() -> tuple[str, str]:
        agents = async_client(sim)
        async with agents:
            agent = await agents.create_agent(model="gpt-4o", tools=TOOLS.definitions)
            thread = await agents.threads.create()
            await agents.messages.create(thread_id=thread.id, role="user", content="Weather?")
            agents.enable_auto_function_calls({get_weather})
            run = await agents.runs.create_and_process(thread_id=thread.id, agent_id=agent.id)
            sim.set_script([Say("Bye.")])
            async with await agents.runs.stream(thread_id=thread.id, agent_id=agent.id,
                                                event_handler=AsyncAgentEventHandler()) as stream:
                await stream.until_done()
            runs = [r async for r in agents.runs.list(thread_id=thread.id)]
            return run.status, runs[0].status

    with simulated_sleep(sim.advance):
        assert asyncio.run(main()) == ("completed", "completed")


def test_router_of_and_its_errors() -> None:
    sim = _sim()
    agents = client(sim)
    assert router_of(agents).sim is sim
    with pytest.raises(runfsm.azure.AdapterError, match=r"not built by runfsm\.azure\.client"):
        router_of(object())
    with pytest.raises(runfsm.azure.AdapterError, match="build the transport themselves"):
        client(sim, transport=transport(sim))


def test_the_pytest_fixture_sleeps_in_simulated_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import pytest
        from runfsm.sim import Say

        @pytest.mark.runfsm(script=[Say("Hello", duration=30)])
        def test_it(runfsm_azure, runfsm_sim):
            agent = runfsm_azure.create_agent(model="gpt-4o")
            thread = runfsm_azure.threads.create()
            run = runfsm_azure.runs.create_and_process(thread_id=thread.id, agent_id=agent.id, polling_interval=5)
            assert run.status == "completed"
            assert runfsm_sim.clock.now - run.created_at.timestamp() >= 30
    """))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# --- Azure's own checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2024-07-01-preview", "v2"])
def test_an_unknown_api_version_is_azures_400(version: str) -> None:
    agents = client(_sim(), api_version=version)
    with pytest.raises(HttpResponseError) as caught:
        agents.threads.create()
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "UnsupportedApiVersionValue"
    assert f"Unsupported api version '{version}'. The supported versions are 'v1'" in str(caught.value)


def test_every_listed_api_version_is_served() -> None:
    for version in azure_profile.API_VERSIONS:
        assert client(_sim(), api_version=version).threads.create().id.startswith("thread_")


def test_a_missing_api_version_and_a_path_outside_the_project() -> None:
    agents = client(_sim())
    missing = agents.send_request(HttpRequest("POST", ENDPOINT + "/threads", json={}))
    assert missing.status_code == 400
    assert missing.json()["error"] == {"code": "BadRequest", "message": "Missing required query parameter: api-version"}
    outside = agents.send_request(HttpRequest("GET", "https://runfsm-simulator.invalid/threads?api-version=v1"))
    assert outside.status_code == 404 and outside.json()["error"]["message"] == "Resource not found"
    unserved = agents.send_request(HttpRequest("GET", ENDPOINT + "/batches?api-version=v1"))
    assert unserved.status_code == 404 and "does not serve this endpoint" in unserved.json()["error"]["message"]


def test_a_lifecycle_refusal_and_an_unknown_id_are_the_sdks_own_errors() -> None:
    sim = _sim()
    agents = client(sim)
    agent_id, thread_id = _setup(agents)
    run = agents.runs.create(thread_id=thread_id, agent_id=agent_id)
    with pytest.raises(HttpResponseError) as caught:
        agents.messages.create(thread_id=thread_id, role="user", content="again")
    assert caught.value.status_code == 400 and "while a run" in str(caught.value)
    with pytest.raises(ResourceNotFoundError):
        agents.runs.get(thread_id=thread_id, run_id="run_nope")
    assert run.status == "queued"


def test_the_profile_is_data_with_grades() -> None:
    assert set(azure_profile.RUN_STATUSES) == set(runfsm.RUN.statuses) - {"incomplete"}
    assert all(f.grade in azure_profile.GRADES for f in azure_profile.FACTS)
    from azure.ai.agents.models import RunStatus

    assert {s.value for s in RunStatus} == set(azure_profile.RUN_STATUSES)  # the sdk-graded fact, checked
    assert azure_profile.split_path("/api/projects/p/threads") == ("/api/projects/p", "/threads")
    assert azure_profile.split_path("/api/projectsX/p/threads") is None
    assert azure_profile.split_path("/api/projects/pX") == ("/api/projects/pX", "/")


def test_without_the_extra_the_import_names_it() -> None:
    code = textwrap.dedent("""
        import sys
        sys.modules["azure"] = None
        import runfsm
        from runfsm.errors import MissingExtra
        try:
            import runfsm.azure
        except MissingExtra as exc:
            print(exc.extra, "|", exc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("azure |") and "pip install 'runfsm[azure]'" in done.stdout


def test_import_runfsm_does_not_import_the_sdk() -> None:
    code = "import runfsm, runfsm.azure_profile, sys; print('azure.core' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "False", done.stderr


# --- check_client ---------------------------------------------------------------------------------


def process(agents: Any, assistant_id: str, thread_id: str) -> Any:
    agents.enable_auto_function_calls({get_weather})
    return agents.runs.create_and_process(thread_id=thread_id, agent_id=assistant_id).status


def streamed(agents: Any, assistant_id: str, thread_id: str) -> Any:
    agents.enable_auto_function_calls({get_weather})
    with agents.runs.stream(thread_id=thread_id, agent_id=assistant_id) as stream:
        stream.until_done()
    return next(iter(agents.runs.list(thread_id=thread_id))).status


def test_check_client_finds_create_and_process_returning_a_cancelling_run() -> None:
    report = check_client(process, sdk="azure", must_finish=True)
    failing = {o.behaviour.name: o for o in report.outcomes if not o.ok}
    assert set(failing) == {"cancel_loses_to_completion", "cancel_loses_to_failure"}
    for outcome in failing.values():
        assert outcome.verdict == "abandoned" and outcome.returned == "cancelling"
        assert "still 'cancelling'" in outcome.detail
    assert "azure SDK" in report.table()


def test_check_client_the_streaming_helper_handles_every_behaviour() -> None:
    report = check_client(streamed, sdk="azure", must_finish=True)
    assert report.ok, report.table()


def test_check_client_async_agents_client() -> None:
    async def aprocess(agents: Any, assistant_id: str, thread_id: str) -> str:
        agents.enable_auto_function_calls({get_weather})
        run = await agents.runs.create_and_process(thread_id=thread_id, agent_id=assistant_id)
        return str(run.status)

    report = check_client(aprocess, sdk="azure", must_finish=True, only="cancel_loses_*")
    assert [o.verdict for o in report.outcomes] == ["abandoned", "abandoned", "ok"]


def test_check_client_refuses_an_unknown_sdk() -> None:
    with pytest.raises(runfsm.testing.CheckError, match="sdk must be one of openai, azure"):
        check_client(process, sdk="anthropic")


# --- the guard ------------------------------------------------------------------------------------


class GoesBack(SimTransport):
    """A broken server: once a run has completed, the next read of it says ``in_progress``."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__(sim)
        self.completed: set[str] = set()

    def _answer(self, request: Any) -> Any:
        answer = super()._answer(request)
        body = answer.body
        if request.method == "GET" and isinstance(body, dict) and body.get("object") == "thread.run":
            if body["id"] in self.completed:
                answer.body = {**body, "status": "in_progress", "completed_at": None}
            elif body["status"] == "completed":
                self.completed.add(body["id"])
        return answer


def test_the_guard_catches_a_run_going_back_from_a_broken_server() -> None:
    from azure.ai.agents import AgentsClient

    sim = _sim([Say("Hi", duration=1)])
    agents = AgentsClient(ENDPOINT, runfsm.azure._Credential(), transport=GoesBack(sim))  # type: ignore[arg-type]
    assert runfsm.guard(agents) is agents
    agent_id, thread_id = _setup(agents)
    with simulated_sleep(sim.advance):
        run = agents.runs.create_and_process(thread_id=thread_id, agent_id=agent_id)
    assert run.status == "completed"
    with pytest.raises(GuardError, match="completed"):
        agents.runs.get(thread_id=thread_id, run_id=run.id)
    assert runfsm.tracker_of(agents).history(run.id)[-2:] == ["completed", "in_progress"]


def test_the_guard_is_quiet_on_a_correct_stream_and_records_refusals() -> None:
    sim = _sim()
    agents = runfsm.guard(client(sim), policy="collect")
    agent_id, thread_id = _setup(agents)
    agents.enable_auto_function_calls({get_weather})
    with agents.runs.stream(thread_id=thread_id, agent_id=agent_id, event_handler=Recorder()) as stream:
        stream.until_done()
    tracker = runfsm.tracker_of(agents)
    run_id = next(iter(agents.runs.list(thread_id=thread_id))).id
    assert tracker.history(run_id) == ["queued", "in_progress", "requires_action", "queued", "in_progress",
                                       "completed"]
    assert [f for f in tracker.findings if f.severity == "error"] == []
    with pytest.raises(HttpResponseError):
        agents.runs.cancel(thread_id=thread_id, run_id=run_id)
    assert [f.code for f in tracker.findings if f.severity == "error"] == ["client.cancel_terminal"]


def test_the_guard_on_an_async_client_checks_streams() -> None:
    from azure.ai.agents.models import AsyncAgentEventHandler

    sim = _sim([Say("Hello.")])
    tracker = runfsm.validate.Tracker()

    async def main() -> list[str]:
        agents = runfsm.azure.guard(async_client(sim), tracker=tracker, policy="raise")
        async with agents:
            agent = await agents.create_agent(model="gpt-4o")
            thread = await agents.threads.create()
            async with await agents.runs.stream(thread_id=thread.id, agent_id=agent.id,
                                                event_handler=AsyncAgentEventHandler()) as stream:
                await stream.until_done()
            runs = [r async for r in agents.runs.list(thread_id=thread.id)]
            return tracker.history(runs[0].id)

    assert asyncio.run(main()) == ["queued", "in_progress", "completed"]
    assert tracker.report().ok


def test_guard_refuses_what_is_not_an_agents_client() -> None:
    with pytest.raises(TypeError, match="AgentsClient"):
        runfsm.azure.guard(object())


# --- the transport's options ---------------------------------------------------------------------


def _build(kind: str, sim: Simulator, poll_interval: float) -> Any:
    """An AgentsClient (sync or async) on ``sim``, built by a factory or around a transport."""
    from azure.ai.agents import AgentsClient
    from azure.ai.agents.aio import AgentsClient as AsyncAgentsClient

    if kind == "client":
        return client(sim, poll_interval=poll_interval)
    if kind == "async_client":
        return async_client(sim, poll_interval=poll_interval)
    if kind == "transport":
        return AgentsClient(ENDPOINT, runfsm.azure._Credential(),  # type: ignore[arg-type]
                            transport=transport(sim, poll_interval=poll_interval), retry_total=0)
    return AsyncAgentsClient(ENDPOINT, runfsm.azure._AsyncCredential(),  # type: ignore[arg-type]
                             transport=runfsm.azure.async_transport(sim, poll_interval=poll_interval), retry_total=0)


async def _await(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


@pytest.mark.parametrize("kind", ["client", "async_client", "transport", "async_transport"])
@pytest.mark.parametrize("poll_interval", [0, 0.5, 7])
def test_each_run_retrieve_moves_the_clock_by_poll_interval(kind: str, poll_interval: float) -> None:
    sim = _sim([Say("A long answer.", duration=1000)])

    async def main() -> list[float]:
        agents = _build(kind, sim, poll_interval)
        agent = await _await(agents.create_agent(model="gpt-4o"))
        thread = await _await(agents.threads.create())
        run = await _await(agents.runs.create(thread_id=thread.id, agent_id=agent.id))
        moved = []
        for _ in range(3):
            before = sim.clock.now
            await _await(agents.runs.get(thread_id=thread.id, run_id=run.id))
            moved.append(sim.clock.now - before)
        await _await(agents.threads.get(thread_id=thread.id))  # only a run retrieve takes time
        moved.append(sim.clock.now - before - poll_interval)
        return moved

    assert asyncio.run(main()) == [poll_interval] * 3 + [0]


@pytest.mark.parametrize("poll_interval", [0, 1, 4, 7])
def test_create_and_process_polls_every_sdk_sleep_plus_poll_interval(poll_interval: int) -> None:
    sim = _sim([Say("Hi.", duration=30)])
    agents = client(sim, poll_interval=poll_interval)
    agent_id, thread_id = _setup(agents)
    with simulated_sleep(sim.advance):
        run = agents.runs.create_and_process(thread_id=thread_id, agent_id=agent_id, polling_interval=2)
    assert run.status == "completed"
    # each poll costs the SDK's sleep (2 s) and the retrieve's poll_interval; it stops at the first poll
    # that finds the run completed
    took, per_poll = run.completed_at.timestamp() - run.created_at.timestamp(), 2 + poll_interval
    assert sim.clock.now - run.created_at.timestamp() == -(-took // per_poll) * per_poll


@pytest.mark.parametrize("kind", ["transport", "async_transport"])
def test_api_versions_are_the_ones_the_transport_accepts(kind: str) -> None:
    from azure.ai.agents import AgentsClient
    from azure.ai.agents.aio import AgentsClient as AsyncAgentsClient

    sim = _sim()

    async def create(version: str) -> Any:
        if kind == "transport":
            agents: Any = AgentsClient(ENDPOINT, runfsm.azure._Credential(),  # type: ignore[arg-type]
                                       transport=transport(sim, api_versions=("2099-01-01", "x")),
                                       api_version=version, retry_total=0)
        else:
            agents = AsyncAgentsClient(ENDPOINT, runfsm.azure._AsyncCredential(),  # type: ignore[arg-type]
                                       transport=runfsm.azure.async_transport(sim, api_versions=("2099-01-01", "x")),
                                       api_version=version, retry_total=0)
        return await _await(agents.threads.create())

    assert asyncio.run(create("2099-01-01")).id.startswith("thread_")
    with pytest.raises(HttpResponseError) as caught:
        asyncio.run(create(azure_profile.API_VERSIONS[0]))  # served by Azure, not by this transport
    assert caught.value.status_code == 400
    assert "The supported versions are '2099-01-01', 'x'" in str(caught.value)
