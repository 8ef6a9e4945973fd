"""``runfsm validate PATH... [--strict] [--json] [--separate] [--jobs N] [--allow-empty] [--max-record BYTES]``.

Exit status: 0 when there is no error finding, 1 when there is one, 2 when some
input could not be read (an ``input.*`` finding, an empty input included).

What a log says is printed escaped: control characters, unpaired surrogates and
bidirectional overrides in ids, messages and file names come out as ``\\xNN`` /
``\\uNNNN``, so no log can print a line of its own (a fake ``OK:``) or crash the
report; ``--json`` is valid JSON whatever the log holds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from .. import spec
from ..lifecycle import as_of_day
from ._batch import validate_paths
from ._findings import ERROR, Finding, Report
from ._records import MAX_RECORD

__all__ = ["add_arguments", "escape", "exit_code", "format_report", "main", "to_json"]

# C0 and C1 controls, DEL, bidirectional overrides and isolates, unpaired surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape(text: str) -> str:
    """``text`` safe for a terminal and a log line: every control or invisible direction character,
    and every unpaired surrogate, written as an escape; everything else (CJK included) as is."""
    return _UNSAFE.sub(_escaped, text)


def to_json(payload: object) -> str:
    """``payload`` as JSON text that any UTF-8 writer accepts: lone surrogates become ``\\udXXX`` escapes."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _day(text: str) -> str:
    try:
        return as_of_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``runfsm validate`` beyond paths, mode and format."""
    p.add_argument("--jobs", type=_positive, default=1, metavar="N",
                   help="check the threads in N processes (same report; files only, not stdin)")
    p.add_argument("--allow-empty", action="store_true", help="an empty input is fine (default: exit 2)")
    p.add_argument("--max-record", type=_positive, default=MAX_RECORD, metavar="BYTES",
                   help=f"longest record (line or JSON document) read; longer is an input error "
                        f"(default {MAX_RECORD})")
    p.add_argument("--as-of", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="judge everything by the rules in force that day (default: each object by the day "
                        "of its created_at)")

_INPUT_SHOWN_PER_FILE = 20


def exit_code(report: Report) -> int:
    """2 when some input could not be read, else 1 when there is an error finding, else 0."""
    if report.input_errors:
        return 2
    return 0 if report.ok else 1


def _line(f: Finding) -> str:
    about = f" [{f.object_id}]" if f.object_id else ""
    return escape(f"{f.where}: {f.severity} {f.code}{about}: {f.message}")


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
        if f.code.startswith("input.") and f.code != "input.unlisted":
            n = shown.get(f.source, 0)
            if n >= _INPUT_SHOWN_PER_FILE:
                hidden[f.source] = hidden.get(f.source, 0) + 1
                continue
            shown[f.source] = n + 1
        out.append(_line(f))
    for source, n in hidden.items():
        out.append(escape(f"{source or '-'}: ... and {n} more unreadable line(s) not shown"))
    if report.histories:
        out.append("")
        out.append("runs (observed statuses; -x-> marks a move that broke the lifecycle):")
        for rid, statuses in report.histories.items():
            out.append(escape(f"  {rid}: {_history(report.transitions.get(rid, []), statuses)}"))
    c = report.counts()
    mode = "strict" if report.strict else "tolerant"
    verdict = {0: "OK", 1: "FAILED", 2: "UNREADABLE INPUT"}[exit_code(report)]
    out.append("")
    out.append(
        f"{verdict}: {len(paths)} file(s), {len(report.histories)} run(s), {mode} mode, API {report.version}"
        f"{', ' + report.rules_applied if report.rules_applied else ''}: "
        f"{c[ERROR]} error(s) ({c['input']} unreadable), {c['warning']} warning(s), {c['info']} info"
    )
    return "\n".join(out)


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Entry point of ``runfsm validate`` (arguments parsed by :mod:`runfsm._cli`)."""
    stream = out if out is not None else sys.stdout
    reconfigure = getattr(stream, "reconfigure", None)
    if callable(reconfigure):  # a terminal that cannot show some character gets an escape, not a crash
        reconfigure(errors="backslashreplace")
    paths = [str(p) for p in args.paths]
    as_of = getattr(args, "as_of", None)
    version = getattr(args, "version", None) or spec.DEFAULT_VERSION
    if as_of is not None and as_of < spec.VERSION_FIRST_DAY[version]:
        sys.stderr.write(f"runfsm validate: error: --as-of {as_of}: API {version} was first served on "
                         f"{spec.VERSION_FIRST_DAY[version]}\n")
        return 2
    report = validate_paths(paths, strict=bool(args.strict), version=version,
                            separate=bool(getattr(args, "separate", False)),
                            allow_empty=bool(getattr(args, "allow_empty", False)),
                            max_record=getattr(args, "max_record", None) or MAX_RECORD,
                            jobs=getattr(args, "jobs", None) or 1, as_of=as_of)
    code = exit_code(report)
    if args.json:
        payload = report.to_dict()
        payload["exit"] = code
        payload["paths"] = paths
        stream.write(to_json(payload) + "\n")
    else:
        stream.write(format_report(report, paths) + "\n")
    return code
