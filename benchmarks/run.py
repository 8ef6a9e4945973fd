"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME ...] [--json OUT]``.

Prints a table and writes JSON (default ``benchmarks/results/latest.json``).  Not part
of the test run: performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Row, render  # noqa: E402

CASES = ["edges", "validate", "stream", "sim", "e2e", "import", "validate_big", "check", "azure", "responses"]


def machine() -> dict[str, str]:
    import openai
    import transitions

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": str(os.cpu_count()),
        "processor": _cpu_model(),
        "transitions": transitions.__version__,
        "openai": openai.__version__,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller batches and fewer repeats (a smoke run)")
    ap.add_argument("--only", nargs="+", choices=CASES, help="run only these cases")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "latest.json", help="where to write JSON")
    args = ap.parse_args()
    repeats, scale = (3, 0.1) if args.quick else (7, 1.0)
    rows: list[Row] = []
    for case in args.only or CASES:
        module = importlib.import_module(f"bench_{case}")
        print(f"running {case} ...", file=sys.stderr, flush=True)
        rows.extend(module.run(repeats, scale))
    print(render(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "rows": [r.as_dict() for r in rows]}, indent=2) + "\n")
    print(f"\nwrote {args.json}", file=sys.stderr)
    missed = [r for r in rows if r.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
