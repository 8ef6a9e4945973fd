"""``runfsm demo``: play the seed scenarios, print their timelines, validate their traces.

Each built-in scenario (shipped in the package, :mod:`runfsm.sim._builtin`) is played twice in the
simulator, once by a polling client and once by a streaming one; both traces go
through the validator.  With ``--out DIR`` the traces (JSON Lines) and, when the
diagrams feature is installed, the lifecycle diagrams are written there; without
it nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path
from typing import Any

from . import spec
from .sim._builtin import SEED_SCENARIOS

__all__ = ["SEED_SCENARIOS", "main"]

_INTRO = """\
runfsm demo: {n} Assistants runs, played by the simulator (API {version})

The simulator is an in-memory Assistants API on a fake clock: every status change of a
run, run step and message goes through the lifecycle spec, so only legal moves happen.
For each run: its statuses with simulated times (+Ns after it was created), its steps,
and the message it wrote.  Each scenario is played twice, by a polling client and by a
streaming (SSE) client, and both traces are checked by the validator.
"""


STREAMED_SEED_OFFSET = 1000
"""Added to a scenario's seed for its streamed play (the built-in scenarios use seeds 1 to 7)."""


def _count(report: Any, severity: str) -> int:
    return sum(1 for f in report.findings if f.severity == severity)


def main(args: Any) -> int:
    """Entry point of ``runfsm demo``."""
    from .sim._builtin import load_builtin
    from .sim._cli import format_result
    from .sim._errors import APIError, SimError
    from .sim._player import run_scenario

    version = getattr(args, "version", None) or spec.DEFAULT_VERSION
    out = getattr(args, "out", None)
    try:
        validate = importlib.import_module("runfsm.validate").validate_trace
    except ImportError:
        validate = None
    out_dir = Path(out) if out else None
    if out_dir is not None:
        try:
            (out_dir / "traces").mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            print(f"runfsm demo: cannot create {str(out_dir / 'traces')!r}: {getattr(exc, 'strerror', None) or exc}",
                  file=sys.stderr)
            return 2

    print(_INTRO.format(n=len(SEED_SCENARIOS), version=version))
    failed = 0
    errors = warnings = records = 0
    for i, stem in enumerate(SEED_SCENARIOS, 1):
        try:
            scenario = load_builtin(stem)
            # The streamed play gets its own seed: two traces of one system never share an id.
            streamed = dataclasses.replace(scenario, seed=scenario.seed + STREAMED_SEED_OFFSET)
            played = [run_scenario(scenario, version=version), run_scenario(streamed, stream=True, version=version)]
        except (SimError, APIError) as exc:
            print(f"[{i}/{len(SEED_SCENARIOS)}] {stem}: could not be played: {exc}\n")
            failed += 1
            continue
        print(f"[{i}/{len(SEED_SCENARIOS)}] " + format_result(played[0]))
        failed += sum(1 for p in played if not p.ok)
        if played[1].failures:
            print("  streamed: " + "; ".join(played[1].failures))
        counts = []
        for mode, result in zip(("polled", "streamed"), played, strict=True):
            trace = result.sim.trace
            records += len(trace)
            if validate is not None:
                report = validate(trace, version=version)
                e, w = _count(report, "error"), _count(report, "warning")
                errors += e
                warnings += w
                counts.append(f"{mode} {len(trace)} records: {e} errors, {w} warnings")
                for f in report.errors:
                    print(f"    {mode}: {f.message}")
            else:
                counts.append(f"{mode} {len(trace)} records")
            if out_dir is not None:
                result.sim.export_jsonl(out_dir / "traces" / f"{stem}.{mode}.jsonl")
        print("  validator: " + "; ".join(counts) if validate is not None else "  traces: " + "; ".join(counts))
        print()

    if validate is None:
        print("The validator (runfsm.validate) is not available: traces were not checked.")
    summary = f"{len(SEED_SCENARIOS)} scenarios, {2 * len(SEED_SCENARIOS)} traces, {records} records"
    if validate is not None:
        summary += f": the validator found {errors} errors and {warnings} warnings"
    print(summary + ("." if not failed else f"; {failed} scenario plays did not go as expected."))

    if out_dir is not None:
        print(f"Traces written to {out_dir / 'traces'}.")
        try:
            diagrams = importlib.import_module("runfsm.diagrams")
        except ImportError:
            print("Diagrams not written: the diagrams feature (runfsm.diagrams) is not available.")
        else:
            try:
                paths = diagrams.write_all(out_dir / "diagrams", version=version)
            except Exception as exc:  # a missing renderer must not hide the rest of the demo
                print(f"Diagrams not written: {exc}")
            else:
                print(f"Diagrams written to {out_dir / 'diagrams'} ({len(paths)} files).")
    print("\nNext: runfsm simulate weather --stream --jsonl weather.jsonl   (runfsm simulate --list: the others)"
          "\n      runfsm validate weather.jsonl"
          "\n      runfsm simulate --show weather > my.toml   (a scenario file to edit and play)"
          + ("" if out_dir is not None else "\n      runfsm demo --out demo-output   (also writes traces and diagrams)"))
    return 1 if failed or errors else 0
