"""``runfsm paths``: the command line of the explorer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .._protocols import chosen
from ..errors import RunfsmError
from ._scenarios import scenario_files
from ._search import explore

DEPTH = 12
"""The exploration bound when ``--depth`` is not given."""


def main(args: Any) -> int:
    """``runfsm paths``: the protocol's own paths command, after refusing the options it does not honour."""
    try:
        info, version = chosen(args)
    except RunfsmError as exc:
        print(f"runfsm paths: error: {exc}", file=sys.stderr)
        return 2
    ignored = [f"--{name}" for name in ("version", "depth")
               if getattr(args, name, None) is not None and name not in info.paths_options]
    if ignored:
        print(f"runfsm paths: error: --protocol {info.name} does not take {' or '.join(ignored)}; "
              f"it takes {', '.join(f'--{o}' for o in info.paths_options) or 'neither'}", file=sys.stderr)
        return 2
    args.version = version
    code: int = info.entry("paths")(args)
    return code


def explore_main(args: Any) -> int:
    """Explore the Assistants simulator, check, and print (or write) the shortest path to every target as scenarios."""
    version = args.version
    depth = DEPTH if getattr(args, "depth", None) is None else args.depth
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
