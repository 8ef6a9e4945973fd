"""One simulator shared by many threads keeps the guarantees it gives one thread.

Each simulator call holds the clock's lock, so calls from different threads happen one after
the other; every flow below ends legally, nothing stays active past its deadline, and the
whole interleaved trace passes the validator.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sim_support import FUNCTION_TOOL

from runfsm import validate
from runfsm.sim import (
    APIError,
    CallFunctions,
    Clock,
    EventStream,
    FunctionCall,
    Say,
    ScriptContext,
    SimConfig,
    Simulator,
)

openai = pytest.importorskip("openai")
from runfsm.openai import client  # noqa: E402

START = 1_712_000_000


def _weather(ctx: ScriptContext) -> Any:
    if not ctx.tool_outputs:
        return CallFunctions([FunctionCall("get_current_weather", {"location": ctx.last_user_text})])
    if ctx.actions_done == 1:
        return Say(f"It is {ctx.tool_outputs[0].output} in {ctx.last_user_text}.", duration=2)
    return None


def _sim(**config: Any) -> tuple[Simulator, str]:
    sim = Simulator(clock=Clock(START), seed=1, script=_weather, config=SimConfig(**config))
    asst = sim.create_assistant(model="gpt-4o", tools=[FUNCTION_TOOL])
    return sim, asst["id"]


def _clean(sim: Simulator) -> None:
    sim.advance(601)  # past every deadline: nothing may still be active
    assert all(status in sim.profile.run.terminal for _, status in sim.iter_runs())
    report = validate.validate_trace(sim.trace)
    assert report.errors == [] and report.input_errors == []


def test_the_openai_client_from_a_thread_pool() -> None:
    sim, asst = _sim()
    oai = client(sim)

    def flow(i: int) -> str:
        run = oai.beta.threads.create_and_run_poll(
            assistant_id=asst, thread={"messages": [{"role": "user", "content": f"city {i}"}]})
        while run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls
            run = oai.beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=run.thread_id, run_id=run.id,
                tool_outputs=[{"tool_call_id": c.id, "output": f"{i}°"} for c in calls])
        if run.status == "completed":
            (message,) = oai.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id).data
            assert message.content[0].text.value == f"It is {i}° in city {i}."
        return run.status

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(flow, range(96)))
    # A run may expire when the other threads' polls move the shared clock past its deadline;
    # nothing else may happen, and most runs complete.
    assert set(outcomes) <= {"completed", "expired"} and outcomes.count("completed") > 48
    _clean(sim)


def test_many_threads_and_runs_streamed_polled_and_cancelled() -> None:
    sim, asst = _sim(inferred=True)  # a cancel may find the run queued or waiting for outputs
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def worker(w: int) -> None:
        barrier.wait()
        try:
            for i in range(15):
                thread = sim.create_thread(messages=[{"role": "user", "content": f"{w}-{i}"}])
                out = sim.create_run(thread["id"], assistant_id=asst, stream=(i % 3 == 0))
                run_id = out.run_id if isinstance(out, EventStream) else out["id"]
                if isinstance(out, EventStream):
                    list(out)
                else:
                    sim.advance(1)
                if i % 5 == 4:
                    with contextlib.suppress(APIError):  # another thread's advance ended it first: the API's answer
                        sim.cancel_run(thread["id"], run_id)
                for _ in range(50):
                    run = sim.retrieve_run(thread["id"], run_id)
                    if run["status"] in sim.profile.run.terminal:
                        break
                    if run["status"] == "requires_action":
                        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
                        done = sim.submit_tool_outputs(thread["id"], run_id, stream=(i % 2 == 0), tool_outputs=[
                            {"tool_call_id": c["id"], "output": "20"} for c in calls])
                        if isinstance(done, EventStream):
                            list(done)
                    else:
                        sim.advance(1)
        except BaseException as exc:  # pragma: no cover - what this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(1 for _ in sim.iter_runs()) == 16 * 15
    _clean(sim)
    numbers = sorted({r["stream"] for r in sim.trace if "stream" in r})
    assert numbers == list(range(1, len(numbers) + 1))  # stream numbers are never skipped nor shared
