"""Big JSON Lines logs written on the fly: many threads, their runs polled in an interleaved order.

Each run is polled as a real client does: ``queued``, ``in_progress`` many times over (the same
snapshot again and again, like a code-interpreter session), ``requires_action``, ``queued`` after
the tool outputs, ``in_progress``, ``completed``.  Up to ``width`` runs are in flight at once,
each on its own thread, so the lines of different threads interleave.  Deterministic: the same
arguments write the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runfsm import spec

T0 = 1_700_000_000
POLLS_IN_PROGRESS = 40


def _run(i: int, status: str, t: int) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=f"run_{i:08d}", object="thread.run", created_at=T0 + i, thread_id=f"thread_{i:08d}",
             assistant_id="asst_bench", status=status, model="gpt-4o", instructions="You are a weather bot.",
             tools=[{"type": "function", "function": {"name": "get_current_weather"}}], metadata={},
             expires_at=T0 + i + 600)
    if status != "queued" or t:
        d["started_at"] = T0 + i + 1
    if status == "requires_action":
        d["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": "get_current_weather", "arguments": '{"location": "Paris"}'}}]}}
    if status == "completed":
        d.update(completed_at=T0 + i + 9, expires_at=None,
                 usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})
    return d


def run_lines(i: int) -> list[bytes]:
    """The polled snapshots of run ``i``, one JSON line each."""
    seq = [("queued", 0)] + [("in_progress", 0)] * POLLS_IN_PROGRESS + [("requires_action", 0)] * 2
    seq += [("queued", 1), ("in_progress", 1), ("in_progress", 1), ("completed", 1)]
    out = []
    cache: dict[tuple[str, int], bytes] = {}
    for status, t in seq:
        line = cache.get((status, t))
        if line is None:
            line = cache[(status, t)] = json.dumps(_run(i, status, t)).encode() + b"\n"
        out.append(line)
    return out


def write_log(path: Path, size: int, width: int = 64) -> tuple[int, int]:
    """Write about ``size`` bytes of interleaved polls to ``path``; return (runs, lines)."""
    written = runs = lines = 0
    pending: list[list[bytes]] = []
    with open(path, "wb") as f:
        while written < size or pending:
            while written < size and len(pending) < width:
                pending.append(run_lines(runs))
                runs += 1
            batch = []
            for polls in pending:
                batch.append(polls.pop(0))
            pending = [p for p in pending if p]
            chunk = b"".join(batch)
            f.write(chunk)
            written += len(chunk)
            lines += len(batch)
    return runs, lines
