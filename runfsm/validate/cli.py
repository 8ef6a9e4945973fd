"""``runfsm validate PATH... [--strict] [--json] [--separate]``: check recorded traffic.

Exit status: 0 when there is no error finding, 1 when there is one, 2 when some
input could not be read (an ``input.*`` finding).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .batch import validate_paths
from .findings import ERROR, Finding, Report

__all__ = ["exit_code", "format_report", "main"]

_INPUT_SHOWN_PER_FILE = 20


def exit_code(report: Report) -> int:
    """2 when some input could not be read, else 1 when there is an error finding, else 0."""
    if report.input_errors:
        return 2
    return 0 if report.ok else 1


def _line(f: Finding) -> str:
    about = f" [{f.object_id}]" if f.object_id else ""
    return f"{f.where}: {f.severity} {f.code}{about}: {f.message}"


def _history(moves: Sequence[tuple[str, str, bool]], statuses: Sequence[str]) -> str:
    if not moves:
        return " -> ".join(statuses)
    parts = [moves[0][0]]
    for _, dst, legal in moves:
        parts.append(("-> " if legal else "-x-> ") + dst)
    return " ".join(parts)


def format_report(report: Report, paths: Sequence[str]) -> str:
    """The human-readable report: findings in input order, run histories, a summary line."""
    out: list[str] = []
    shown: dict[str | None, int] = {}
    hidden: dict[str | None, int] = {}
    for f in report.findings:
        if f.code.startswith("input."):
            n = shown.get(f.source, 0)
            if n >= _INPUT_SHOWN_PER_FILE:
                hidden[f.source] = hidden.get(f.source, 0) + 1
                continue
            shown[f.source] = n + 1
        out.append(_line(f))
    for source, n in hidden.items():
        out.append(f"{source or '-'}: ... and {n} more unreadable line(s) not shown")
    if report.histories:
        out.append("")
        out.append("runs (observed statuses; -x-> marks a move that broke the lifecycle):")
        for rid, statuses in report.histories.items():
            out.append(f"  {rid}: {_history(report.transitions.get(rid, []), statuses)}")
    c = report.counts()
    mode = "strict" if report.strict else "tolerant"
    verdict = {0: "OK", 1: "FAILED", 2: "UNREADABLE INPUT"}[exit_code(report)]
    out.append("")
    out.append(
        f"{verdict}: {len(paths)} file(s), {len(report.histories)} run(s), {mode} mode, API {report.version}: "
        f"{c[ERROR]} error(s) ({c['input']} unreadable), {c['warning']} warning(s), {c['info']} info"
    )
    return "\n".join(out)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Entry point of ``runfsm validate`` (arguments parsed by :mod:`runfsm.cli`)."""
    stream = out if out is not None else sys.stdout
    paths = [str(p) for p in args.paths]
    report = validate_paths(paths, strict=bool(args.strict), version=getattr(args, "version", None) or "v2",
                            separate=bool(getattr(args, "separate", False)))
    code = exit_code(report)
    if args.json:
        payload = report.to_dict()
        payload["exit"] = code
        payload["paths"] = paths
        stream.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        stream.write(format_report(report, paths) + "\n")
    return code
