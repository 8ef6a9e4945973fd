"""Case 6: ``import runfsm`` vs ``import transitions``, in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys
import time

from harness import Row


def _best_start(code: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def run(repeats: int, scale: float) -> list[Row]:
    n = max(3, repeats * 2)
    bare = _best_start("pass", n)
    ours = _best_start("import runfsm", n) - bare
    theirs = _best_start("import transitions", n) - bare
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, runfsm; print(len(sys.modules))"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return [
        Row("import", "import transitions", theirs * 1e9, 1 / theirs),
        Row("import", "import runfsm", ours * 1e9, 1 / ours, ours / theirs, "transitions",
            note=f"{loaded} modules loaded in total"),
    ]
