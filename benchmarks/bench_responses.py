"""The Responses protocol: what its checks cost next to what a client pays anyway.

1. Snapshot validation: ``ResponsesTracker.feed`` of a response dict vs the openai SDK's own
   parse of the same dict into a ``Response`` (what every client already pays).
2. Stream event validation: ``feed_event`` of an event's JSON text vs ``json.loads`` of it.
3. A background poll loop (create, retrieve until final) through the SDK against the simulator
   vs the same loop against an httpx mock transport that answers canned bodies (the floor).

Part of ``benchmarks/run.py`` (case ``responses``); contenders run interleaved, collector on.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from harness import Row, compare
from openai._models import construct_type  # how the SDK turns a JSON body into its model
from openai.types.responses import Response

from runfsm import openai as runfsm_openai
from runfsm.openai import http_library
from runfsm.sim import Clock, Say, SimConfig, Simulator, responses_of
from runfsm.validate import ResponsesTracker

httpx = http_library()  # httpx2 for openai 3.x, httpx before


def _body(status: str, rid: str = "resp_1") -> dict[str, Any]:
    sim = Simulator(clock=Clock(), config=SimConfig(trace=False), script=[Say("Hello there, how are you?")])
    client = runfsm_openai.client(sim)
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status in ("queued", "in_progress"):
        r = client.responses.retrieve(r.id)
    body = responses_of(sim).retrieve(r.id)  # the JSON body the SDK received
    return dict(body, id=rid, status=status) if status != "completed" else dict(body, id=rid)


def snapshots(repeats: int, n: int) -> list[Row]:
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

    t = compare({"ours": ours, "sdk": sdk}, repeats)
    a, b = t["ours"], t["sdk"]
    return [Row("response snapshot", "openai construct_type(Response)", b * 1e9, 1 / b),
            Row("response snapshot", "ResponsesTracker.feed", a * 1e9, 1 / a, a / b, "SDK parse",
                note=f"{n} snapshots")]


def events(repeats: int, n: int) -> list[Row]:
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

    t = compare({"ours": ours, "floor": floor}, repeats)
    a, b = t["ours"], t["floor"]
    return [Row("response event", "json.loads", b * 1e9, 1 / b),
            Row("response event", "ResponsesTracker.feed_event (parses JSON too)", a * 1e9, 1 / a, a / b,
                "json.loads", note=f"{n} events")]


def poll_loops(repeats: int, n: int) -> list[Row]:
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

    t = compare({"sim": through_sim, "mock": through_mock}, max(1, repeats // 2))
    a, b = t["sim"], t["mock"]
    return [Row("background poll loop", "openai SDK over an httpx mock transport (canned bodies)", b * 1e9, 1 / b),
            Row("background poll loop", "openai SDK against the simulator", a * 1e9, 1 / a, a / b, "mock transport",
                note="create, then retrieve until final")]


def run(repeats: int, scale: float) -> list[Row]:
    return (snapshots(repeats, max(200, int(20_000 * scale))) + events(repeats, max(500, int(50_000 * scale)))
            + poll_loops(repeats, max(5, int(300 * scale))))
