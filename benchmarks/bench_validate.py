"""Case 2: full Run-snapshot validation through the tracker vs the openai SDK's own parse."""

from __future__ import annotations

from harness import Row, compare
from workloads import polled_runs

from runfsm.validate import Tracker


def run(repeats: int, scale: float) -> list[Row]:
    from openai._models import construct_type
    from openai.types.beta.threads import Run

    snapshots = polled_runs(max(20, int(2_000 * scale)))

    def bench_tracker() -> int:
        feed = Tracker().feed
        for obj in snapshots:
            feed(obj)
        return len(snapshots)

    def bench_sdk() -> int:
        for obj in snapshots:
            construct_type(type_=Run, value=obj)
        return len(snapshots)

    best = compare({"tracker": bench_tracker, "sdk": bench_sdk}, repeats)
    t, s = best["tracker"], best["sdk"]
    errors = [f for f in _findings(snapshots) if f.severity == "error"]
    return [
        Row("run snapshot", "openai construct_type(Run)", s * 1e9, 1 / s),
        Row("run snapshot", "Tracker.feed", t * 1e9, 1 / t, t / s, "SDK parse",
            ">= 100,000/s and <= 5% of SDK parse", 1 / t >= 100_000 and t / s <= 0.05,
            note=f"{len(snapshots)} snapshots, {len(errors)} errors"),
    ]


def _findings(snapshots: list[dict[str, object]]) -> list[object]:
    tracker = Tracker()
    for obj in snapshots:
        tracker.feed(obj)
    return list(tracker.findings)
