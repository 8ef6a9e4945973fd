"""Case 5: the seed weather loop through the real openai SDK against the simulator.

Runs per second, and where the time goes: the SDK (openai, its HTTP library,
pydantic) vs runfsm (simulator, adapter) vs the rest (json, stdlib).
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import pstats
import runpy
import time
from pathlib import Path
from typing import Any

from harness import Row

import runfsm
from runfsm.openai import client
from runfsm.sim import CallFunctions, Clock, FunctionCall, Say, ScriptContext, SimConfig, Simulator

SEED = Path(__file__).resolve().parents[1] / "examples" / "seeds" / "seed002_assistants_api.py"
RUNFSM_DIR = str(Path(runfsm.__file__).resolve().parent)
SDK_PARTS = ("/openai/", "/httpx2/", "/httpx/", "/pydantic/", "/pydantic_core/", "/anyio/", "/httpcore/")


def _weather(ctx: ScriptContext) -> Any:
    if ctx.actions_done == 0:
        return CallFunctions([FunctionCall("get_current_weather", {"location": c}) for c in ("北京", "上海", "成都")],
                             duration=2)
    if ctx.actions_done == 1:
        parts = [f"{json.loads(o.output)['location']}的温度是{json.loads(o.output)['temperature'].rstrip('°')}℃"
                 for o in ctx.tool_outputs]
        return Say("今天" + ",".join(parts) + "。", duration=3)
    return None


def _one_run() -> None:
    sim = Simulator(clock=Clock(), seed=2, config=SimConfig(trace=False), version="v1", script=_weather)
    oai = client(sim, poll_interval=1)
    uploaded = oai.files.create(file=("tengxunyun.pdf", b"%PDF-1.4\n%%EOF\n"), purpose="assistants")
    saved = time.sleep
    time.sleep = sim.advance  # type: ignore[assignment]  # the seed's sleep(1) moves the simulated clock
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            g = runpy.run_path(str(SEED), init_globals={"client": oai, "file": uploaded})
            g["function_calling"]()
    finally:
        time.sleep = saved


def _share(stats: pstats.Stats) -> dict[str, float]:
    out = {"runfsm": 0.0, "sdk": 0.0, "other": 0.0}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.startswith(RUNFSM_DIR):
            out["runfsm"] += tottime
        elif any(part in filename for part in SDK_PARTS):
            out["sdk"] += tottime
        else:
            out["other"] += tottime
    return out


def run(repeats: int, scale: float) -> list[Row]:
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    n = max(5, int(60 * scale))
    _one_run()  # warm up imports
    best = float("inf")
    for _ in range(max(1, repeats // 2)):
        t0 = time.perf_counter()
        for _ in range(n):
            _one_run()
        best = min(best, (time.perf_counter() - t0) / n)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        _one_run()
    prof.disable()
    share = _share(pstats.Stats(prof))
    total = sum(share.values())
    ours, sdk = share["runfsm"] / total, share["sdk"] / total
    return [
        Row("end to end", "seed weather loop via openai SDK", best * 1e9, 1 / best,
            target="runfsm share < SDK share", met=ours < sdk,
            note=f"time in SDK {sdk:.0%}, runfsm {ours:.0%}, other {share['other'] / total:.0%} (cProfile)",
            extra={"share": share}),
    ]
