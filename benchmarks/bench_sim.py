"""Case 4: the simulator at 100 to 100,000 concurrent runs; memory per simulated and tracked run."""

from __future__ import annotations

import gc
import time
import tracemalloc
from typing import Any

from harness import Row
from workloads import TOOLS, WEATHER, polled_runs

from runfsm.sim import Clock, SimConfig, Simulator
from runfsm.validate import Tracker

SIZES = (100, 1_000, 10_000, 100_000)


def _populate(n: int) -> tuple[Simulator, list[tuple[str, str]]]:
    sim = Simulator(clock=Clock(), script=WEATHER, config=SimConfig(trace=False))
    asst = sim.create_assistant(model="gpt-4o", tools=TOOLS)
    runs = []
    for _ in range(n):
        thread = sim.create_thread(messages=[{"role": "user", "content": "天气?"}])
        runs.append((thread["id"], sim.create_run(thread["id"], assistant_id=asst["id"])["id"]))
    return sim, runs


def _drive(sim: Simulator, runs: list[tuple[str, str]]) -> tuple[float, int, int]:
    """Run every run to its end: (seconds spent in the clock, clock events, status changes).

    The clock moves a simulated second at a time; between seconds the client answers
    the runs that wait for tool outputs (that part is the client's cost, not timed)."""
    spent, events = 0.0, 0
    waiting = list(runs)
    while waiting:
        gc.disable()  # as timeit does: a collection's cost grows with everything alive, not with this code
        t0 = time.perf_counter()
        events += sim.advance(1)
        spent += time.perf_counter() - t0
        gc.enable()
        still = []
        for thread_id, run_id in waiting:
            status = sim.timeline(run_id)[-1][1]
            if status == "requires_action":
                run = sim.retrieve_run(thread_id, run_id)
                calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
                sim.submit_tool_outputs(thread_id, run_id,
                                        tool_outputs=[{"tool_call_id": c["id"], "output": "20"} for c in calls])
            elif status not in sim.profile.run.terminal:
                still.append((thread_id, run_id))
        waiting = still
    changes = sum(len(sim.timeline(r)) for _, r in runs)
    return spent, events, changes


def run(repeats: int, scale: float) -> list[Row]:
    rows: list[Row] = []
    sizes = [n for n in SIZES if n <= max(100, int(SIZES[-1] * scale))]
    per_event: dict[int, float] = {}
    for n in sizes:
        best: tuple[float, int, int] | None = None
        for _ in range(max(1, repeats // 3)):
            sim, runs = _populate(n)
            gc.collect()
            result = _drive(sim, runs)
            if best is None or result[0] < best[0]:
                best = result
            del sim, runs
        assert best is not None
        spent, events, changes = best
        per_event[n] = spent / events
        rows.append(Row("simulator", f"{n:,} concurrent runs: per clock event", spent / events * 1e9, events / spent,
                        per_event[n] / per_event[sizes[0]], f"{sizes[0]} runs",
                        "flat within 1.3x" if n != sizes[0] else None,
                        per_event[n] / per_event[sizes[0]] <= 1.3 if n != sizes[0] else None,
                        note=f"{changes / spent:,.0f} run status changes/s"))
    rows.append(_memory_per_sim_run(min(10_000, sizes[-1])))
    rows.append(_memory_per_tracked_run(max(50, int(2_000 * scale))))
    return rows


def _measure(build: Any) -> tuple[int, Any]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = build()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    return size, kept


def _memory_per_sim_run(n: int) -> Row:
    def build() -> Any:
        sim, runs = _populate(n)
        _drive(sim, runs)
        return sim

    size, _ = _measure(build)
    return Row("memory", f"per simulated run (thread, messages, steps; {n:,} runs)", 0, 0,
               note=f"{size / n / 1024:.1f} KiB per run, trace off", extra={"bytes_per_run": size / n})


def _memory_per_tracked_run(n: int) -> Row:
    snapshots = polled_runs(n)

    def build() -> Any:
        tracker = Tracker()
        for obj in snapshots:
            tracker.feed(obj)
        tracker.findings.clear()
        return tracker

    size, _ = _measure(build)
    return Row("memory", f"per tracked run ({n:,} runs, findings cleared)", 0, 0,
               note=f"{size / n:.0f} bytes per run", extra={"bytes_per_run": size / n})
