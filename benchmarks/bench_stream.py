"""Case 3: stream validation, events per second, vs ``json.loads`` of the same events."""

from __future__ import annotations

import json

from harness import Row, compare
from workloads import streamed_events

from runfsm.validate import Tracker


def run(repeats: int, scale: float) -> list[Row]:
    events = streamed_events(max(10, int(500 * scale)))

    def bench_tracker() -> int:
        feed = Tracker().feed_event
        for name, text in events:
            feed(name, text)
        return len(events)

    def bench_json() -> int:
        loads = json.loads
        for _, text in events:
            if text != "[DONE]":
                loads(text)
        return len(events)

    best = compare({"tracker": bench_tracker, "json": bench_json}, repeats)
    t, j = best["tracker"], best["json"]
    tracker = Tracker()
    for name, text in events:
        tracker.feed_event(name, text)
    errors = sum(1 for f in tracker.findings if f.severity == "error")
    return [
        Row("stream event", "json.loads", j * 1e9, 1 / j),
        Row("stream event", "Tracker.feed_event (parses JSON too)", t * 1e9, 1 / t, t / j, "json.loads",
            note=f"{len(events)} events, {errors} errors"),
    ]
