"""Case: ``check_client`` over the whole behaviour catalogue, and what liveness bookkeeping costs.

* The catalogue (23 behaviours, API v2, tolerant) against seed 000's poll loop
  (which is stuck on 16 of them) and against the SDK's ``create_and_poll`` +
  ``submit_tool_outputs_and_poll``: wall time for all of it, and per behaviour.
  Target: the whole catalogue in under 2 s.
* A correct client's round trip (``create_and_poll`` on a run that completes)
  with the simulator's liveness checks on (the default) and off, interleaved.
  Target: under 5% overhead.

The garbage collector stays on, as it is in users' tests.
"""

from __future__ import annotations

import contextlib
import io
import runpy
import time
import warnings
from pathlib import Path
from typing import Any

from harness import Row

from runfsm.openai import client
from runfsm.sim import Clock, Liveness, Say, SimConfig, Simulator
from runfsm.testing import catalogue, check_client

SEED000 = Path(__file__).resolve().parents[1] / "examples" / "seeds" / "seed000_poll_run_status.py"


def seed000(client: Any, assistant_id: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_path(str(SEED000), init_globals={"client": client, "ASSISTANT_ID": assistant_id})


def helpers(client: Any, assistant_id: str, thread_id: str) -> str:
    run = client.beta.threads.runs.create_and_poll(thread_id=thread_id, assistant_id=assistant_id)
    while run.status == "requires_action":
        calls = run.required_action.submit_tool_outputs.tool_calls
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread_id, run_id=run.id, tool_outputs=[{"tool_call_id": c.id, "output": "ok"} for c in calls])
    return str(run.status)


def _timed(fn: Any, repeats: int) -> tuple[float, str]:
    best, counts = float("inf"), ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        report = check_client(fn)
        best = min(best, time.perf_counter() - t0)
        counts = report.counts()
    return best, counts


def _round_trips(liveness: Liveness, n: int) -> float:
    """Seconds per create_and_poll round trip of a completing run (one simulator, n runs)."""
    sim = Simulator(clock=Clock(), config=SimConfig(trace=False), script=[Say("Hi", duration=2)], liveness=liveness)
    oai = client(sim)
    asst = oai.beta.assistants.create(model="gpt-4o")
    thread = oai.beta.threads.create()
    t0 = time.perf_counter()
    for _ in range(n):
        oai.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=asst.id)
    return (time.perf_counter() - t0) / n


def run(repeats: int, scale: float) -> list[Row]:
    warnings.simplefilter("ignore", DeprecationWarning)
    rows: list[Row] = []
    n = len(catalogue())
    check_client(helpers, only="completes")  # warm the SDK's lazy imports
    for name, fn in (("seed 000 poll loop", seed000), ("create_and_poll + submit_tool_outputs_and_poll", helpers)):
        seconds, counts = _timed(fn, max(1, repeats // 2))
        rows.append(Row("check_client", f"{n} behaviours vs {name} ({counts})", seconds * 1e9, 1 / seconds,
                        target="< 2 s for the catalogue", met=seconds < 2.0,
                        note=f"{seconds * 1000 / n:,.0f} ms per behaviour"))
    trips = max(20, int(200 * scale))
    on = off = float("inf")
    for _ in range(repeats):
        off = min(off, _round_trips(Liveness.off(), trips))
        on = min(on, _round_trips(Liveness(), trips))
    rows.append(Row("liveness", "create_and_poll round trip, liveness off", off * 1e9, 1 / off))
    rows.append(Row("liveness", "create_and_poll round trip, liveness on (default)", on * 1e9, 1 / on,
                    ratio=on / off, baseline="off", target="<= 1.05x off", met=on / off <= 1.05))
    return rows
