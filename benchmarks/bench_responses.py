"""The Responses protocol: what its checks cost next to what a client pays anyway.

1. Snapshot validation: ``ResponsesTracker.feed`` of a response dict vs the openai SDK's own
   parse of the same dict into a ``Response`` (what every client already pays).
2. Stream event validation: ``feed_event`` of an event's JSON text vs ``json.loads`` of it.
3. A background poll loop (create, retrieve until final) through the SDK against the simulator
   vs the same loop against an httpx mock transport that answers canned bodies (the floor).

Run: python benchmarks/bench_responses.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openai
from openai._models import construct_type  # how the SDK turns a JSON body into its model
from openai.types.responses import Response

from runfsm import openai as runfsm_openai
from runfsm.openai import http_library
from runfsm.sim import Clock, Say, SimConfig, Simulator
from runfsm.sim._responses import responses_of
from runfsm.validate._responses import ResponsesTracker


def best(fn: Callable[[], int], repeats: int = 5) -> float:
    """Best seconds per operation over ``repeats`` rounds (``fn`` returns how many it did)."""
    out = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        out = min(out, (time.perf_counter() - t0) / n)
    return out


httpx = http_library()  # httpx2 for openai 3.x, httpx before


def _body(status: str, rid: str = "resp_1") -> dict[str, Any]:
    sim = Simulator(clock=Clock(), config=SimConfig(trace=False), script=[Say("Hello there, how are you?")])
    client = runfsm_openai.client(sim)
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status in ("queued", "in_progress"):
        r = client.responses.retrieve(r.id)
    body = responses_of(sim).retrieve(r.id)  # the JSON body the SDK received
    return dict(body, id=rid, status=status) if status != "completed" else dict(body, id=rid)


def snapshots(n: int = 20_000) -> dict[str, float]:
    body = _body("completed")
    bodies = [dict(body, id=f"resp_{i}") for i in range(n)]

    def ours() -> int:
        t = ResponsesTracker()
        for b in bodies:
            t.feed(b)
        return n

    def sdk() -> int:
        for b in bodies:
            construct_type(type_=Response, value=b)
        return n

    a, b = best(ours), best(sdk)
    return {"validate_us": a * 1e6, "sdk_parse_us": b * 1e6, "ratio": a / b}


def events(n: int = 50_000) -> dict[str, float]:
    texts = [json.dumps({"type": "response.output_text.delta", "sequence_number": i, "item_id": "msg_1",
                         "output_index": 0, "content_index": 0, "delta": "word ", "logprobs": []})
             for i in range(n)]

    def ours() -> int:
        t = ResponsesTracker()
        for text in texts:
            t.feed_event(None, text)
        return n

    def floor() -> int:
        for text in texts:
            json.loads(text)
        return n

    a, b = best(ours), best(floor)
    return {"validate_us": a * 1e6, "json_loads_us": b * 1e6, "ratio": a / b}


def poll_loops(n: int = 300) -> dict[str, float]:
    def through_sim() -> int:
        sim = Simulator(clock=Clock(), config=SimConfig(trace=False), script=[Say("Hi", duration=3)] * n)
        client = runfsm_openai.client(sim)
        for _ in range(n):
            r = client.responses.create(model="gpt-4o", input="hi", background=True)
            while r.status in ("queued", "in_progress"):
                r = client.responses.retrieve(r.id)
        return n

    canned = [_body("queued"), _body("in_progress"), _body("in_progress"), _body("in_progress"), _body("completed")]

    def through_mock() -> int:
        state = {"i": 0}

        def answer(request: httpx.Request) -> httpx.Response:
            body = canned[min(state["i"], len(canned) - 1)]
            state["i"] += 1
            return httpx.Response(200, json=body)

        client = openai.OpenAI(api_key="x", base_url="http://mock/v1", max_retries=0,
                               http_client=httpx.Client(transport=httpx.MockTransport(answer)))
        for _ in range(n):
            state["i"] = 0
            r = client.responses.create(model="gpt-4o", input="hi", background=True)
            while r.status in ("queued", "in_progress"):
                r = client.responses.retrieve(r.id)
        return n

    a, b = best(through_sim, 3), best(through_mock, 3)
    return {"sim_loop_ms": a * 1e3, "mock_floor_ms": b * 1e3, "ratio": a / b}


if __name__ == "__main__":
    for name, fn in (("snapshot validation vs SDK parse", snapshots), ("event validation vs json.loads", events),
                     ("background poll loop: simulator vs httpx mock floor", poll_loops)):
        figures = fn()
        print(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
