"""Timing helpers shared by the benchmarks: interleaved repeats, best-of, ratios.

Machines are noisy, so every comparison runs its contenders alternately in one
process and reports the best of several repeats; ratios matter, absolute times
are context only.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    group: str
    name: str
    per_op_ns: float
    ops_per_s: float
    ratio: float | None = None  # vs the group's baseline
    baseline: str | None = None
    target: str | None = None
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def best_per_op(fn: Callable[[], int], repeats: int) -> float:
    """Seconds per operation: ``fn`` runs a batch and returns how many operations it did.

    The garbage collector runs, as it does in users' tests; each batch starts after a
    collection, so one batch does not pay for the last one's garbage."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        ops = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt / ops)
    return best


def compare(contenders: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """Best seconds per op for each contender, measured round-robin so drift hits all alike."""
    best = {name: float("inf") for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            best[name] = min(best[name], best_per_op(fn, 1))
    return best


def render(rows: list[Row]) -> str:
    header = ("group", "case", "per op", "ops/s", "ratio", "target", "met", "note")
    body = []
    for r in rows:
        if r.per_op_ns:
            per = f"{r.per_op_ns:,.0f} ns" if r.per_op_ns < 1e6 else f"{r.per_op_ns / 1e6:,.2f} ms"
            ops = f"{r.ops_per_s:,.0f}"
        else:
            per = ops = ""
        ratio = f"{r.ratio:.2f}x {r.baseline}" if r.ratio is not None else ""
        met = "" if r.met is None else ("yes" if r.met else "NO")
        body.append((r.group, r.name, per, ops, ratio, r.target or "", met, r.note))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*b).rstrip() for b in body]
    return "\n".join(lines)


def round_trip(name: str, one_run: Callable[[], None], sdk_parts: tuple[str, ...], runfsm_dir: str, repeats: int,
               scale: float) -> Row:
    """Round trips per second of ``one_run``, and where cProfile says the time goes: the SDK
    (files whose path holds one of ``sdk_parts``), runfsm, or the rest (json, stdlib)."""
    n = max(5, int(60 * scale))
    one_run()  # warm up imports
    best = float("inf")
    for _ in range(max(1, repeats // 2)):
        t0 = time.perf_counter()
        for _ in range(n):
            one_run()
        best = min(best, (time.perf_counter() - t0) / n)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        one_run()
    prof.disable()
    share = {"runfsm": 0.0, "sdk": 0.0, "other": 0.0}
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        if filename.startswith(runfsm_dir):
            share["runfsm"] += tottime
        elif any(part in filename for part in sdk_parts):
            share["sdk"] += tottime
        else:
            share["other"] += tottime
    total = sum(share.values())
    ours, sdk = share["runfsm"] / total, share["sdk"] / total
    return Row("end to end", name, best * 1e9, 1 / best, target="runfsm share < SDK share", met=ours < sdk,
               note=f"time in SDK {sdk:.0%}, runfsm {ours:.0%}, other {share['other'] / total:.0%} (cProfile)",
               extra={"share": share})
