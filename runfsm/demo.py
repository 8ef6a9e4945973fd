"""``runfsm demo``: play the seed scenarios, print their timelines, validate their traces.

Each seed scenario (``examples/scenarios/*.toml``) is played twice in the
simulator, once by a polling client and once by a streaming one; both traces go
through the validator.  With ``--out DIR`` the traces (JSON Lines) and, when the
diagrams feature is installed, the lifecycle diagrams are written there; without
it nothing is written to disk.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

__all__ = ["SEED_SCENARIOS", "main", "scenario_dir"]

SEED_SCENARIOS = ("greeting", "order_total", "weather", "code_interpreter", "file_search", "cancelled", "expired")
"""The seed scenarios, in the order the demo tells them."""

_INTRO = """\
runfsm demo: {n} Assistants runs, played by the simulator (API {version})

The simulator is an in-memory Assistants API on a fake clock: every status change of a
run, run step and message goes through the lifecycle spec, so only legal moves happen.
For each run: its statuses with simulated times (+Ns after it was created), its steps,
and the message it wrote.  Each scenario is played twice, by a polling client and by a
streaming (SSE) client, and both traces are checked by the validator.
"""


def scenario_dir() -> Path | None:
    """Where the seed scenario files are (the source tree's ``examples/scenarios``), if present."""
    here = Path(__file__).resolve().parent.parent / "examples" / "scenarios"
    return here if here.is_dir() else None


def _count(report: Any, severity: str) -> int:
    return sum(1 for f in report.findings if f.severity == severity)


def main(args: Any) -> int:
    """Entry point of ``runfsm demo``."""
    from .sim.cli import format_result
    from .sim.errors import SimError
    from .sim.scenario import load_scenario, run_scenario

    version = getattr(args, "version", "v2") or "v2"
    out = getattr(args, "out", None)
    directory = scenario_dir()
    if directory is None:
        print("runfsm demo: the seed scenarios (examples/scenarios/*.toml) are not next to this installation; "
              "run the demo from a source checkout", file=sys.stderr)
        return 2
    try:
        validate = importlib.import_module("runfsm.validate").validate_trace
    except ImportError:
        validate = None
    out_dir = Path(out) if out else None
    if out_dir is not None:
        (out_dir / "traces").mkdir(parents=True, exist_ok=True)

    print(_INTRO.format(n=len(SEED_SCENARIOS), version=version))
    failed = 0
    errors = warnings = records = 0
    for i, stem in enumerate(SEED_SCENARIOS, 1):
        path = directory / f"{stem}.toml"
        try:
            scenario = load_scenario(path)
            played = [run_scenario(scenario, version=version), run_scenario(scenario, stream=True, version=version)]
        except SimError as exc:
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
    print("\nNext: runfsm simulate examples/scenarios/weather.toml --stream --jsonl weather.jsonl"
          "\n      runfsm validate weather.jsonl"
          + ("" if out_dir is not None else "\n      runfsm demo --out demo-output   (also writes traces and diagrams)"))
    return 1 if failed or errors else 0
