"""``runfsm paths``: the command line of the explorer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .. import spec
from ._scenarios import scenario_files
from ._search import explore


def main(args: Any) -> int:
    """``runfsm paths``: explore, check, and print (or write) the shortest path to every target as scenarios."""
    if getattr(args, "protocol", "assistants") == "responses":
        from ._responses_paths import main as responses_main

        return responses_main(args)
    version = getattr(args, "version", spec.DEFAULT_VERSION)
    depth = getattr(args, "depth", 12)
    strict = bool(getattr(args, "strict", False))
    if not isinstance(depth, int) or depth < 1:
        print(f"runfsm paths: --depth must be a positive number of moves, got {depth!r}", file=sys.stderr)
        return 2
    exp = explore(version, inferred=not strict, depth=depth)
    files = scenario_files(exp)
    out_dir = getattr(args, "out", None)
    if out_dir:
        target = Path(out_dir)
        try:
            target.mkdir(parents=True, exist_ok=True)
            for name, text, _ in files:
                (target / name).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"runfsm paths: cannot write into {target}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(files)} scenario files into {target}")
    else:
        for name, text, _ in files:
            print(f"# ===== {name}")
            print(text)
    print(exp.summary(), file=sys.stderr if not out_dir else sys.stdout)
    for t in exp.coverage.unreached:
        print(f"not reached: {t}", file=sys.stderr)
    return 0 if exp.ok else 1
