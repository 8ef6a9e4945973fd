"""Case 5: the seed weather loop through the real openai SDK against the simulator.

Runs per second, and where the time goes: the SDK (openai, its HTTP library,
pydantic) vs runfsm (simulator, adapter) vs the rest (json, stdlib).
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import time
from pathlib import Path
from typing import Any

from harness import Row, round_trip

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


def run(repeats: int, scale: float) -> list[Row]:
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    return [round_trip("seed weather loop via openai SDK", _one_run, SDK_PARTS, RUNFSM_DIR, repeats, scale)]
