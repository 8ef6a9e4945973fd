"""Timing helpers shared by the benchmarks: interleaved repeats, best-of, ratios.

Machines are noisy, so every comparison runs its contenders alternately in one
process and reports the best of several repeats; ratios matter, absolute times
are context only.
"""

from __future__ import annotations

import gc
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
    """Seconds per operation: ``fn`` runs a batch and returns how many operations it did."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            ops = fn()
            dt = time.perf_counter() - t0
        finally:
            gc.enable()
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
