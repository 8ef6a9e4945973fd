"""The ``runfsm`` command line.

Each subcommand's work lives in the module named for it; this file only parses
arguments and imports that module when the subcommand runs, so ``runfsm
validate`` never loads the simulator or graphviz.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import spec
from ._protocols import DEFAULT, NAMES, PROTOCOLS, versions_of_all

# subcommand -> (module holding ``main(args) -> int``, one-line help)
COMMANDS = {
    "demo": ("runfsm._demo", "run the seed scenarios, print their timelines, validate their traces"),
    "tables": ("runfsm._tables", "print the lifecycle tables (statuses, transitions, actors, evidence)"),
    "validate": ("runfsm.validate._cli", "check recorded runs, steps, messages and event streams"),
    "simulate": ("runfsm.sim._cli", "play a scenario (a file or a built-in one) in the simulator, print its timelines"),
    "diagram": ("runfsm.diagrams", "draw the lifecycle diagrams (DOT, SVG, PNG, Mermaid)"),
    "paths": ("runfsm.explore._cli", "print the shortest path to every status and transition as scenarios"),
    "check": ("runfsm.testing._cli", "run a client function against every behaviour of the lifecycle, print verdicts"),
}


def _add_protocol(p: argparse.ArgumentParser) -> None:
    """--protocol and its --version, for the commands that serve every protocol (the registry's choices)."""
    p.add_argument("--protocol", choices=NAMES, default=DEFAULT,
                   help="; ".join(f"{n}: {info.summary}" for n, info in PROTOCOLS.items()) + f" (default {DEFAULT})")
    p.add_argument("--version", choices=versions_of_all(), default=None,
                   help="API version profile of the protocol (default: its newest, "
                        + ", ".join(f"{n} {info.default_version}" for n, info in PROTOCOLS.items()) + ")")


def _add_assistants_version(p: argparse.ArgumentParser, more: str) -> None:
    p.add_argument("--version", choices=spec.VERSIONS, default=spec.DEFAULT_VERSION,
                   help=f"the Assistants API version (default {spec.DEFAULT_VERSION}){more}")


def _add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    if name in ("tables", "diagram", "paths", "check"):
        _add_protocol(p)
    if name == "demo":
        _add_assistants_version(p, "")
    if name == "validate":
        p.add_argument("paths", nargs="+", metavar="PATH", help="JSON Lines, JSON or SSE text files ('-' for stdin)")
        p.add_argument("--strict", action="store_true", help="inferred transitions are errors, not info")
        p.add_argument("--json", action="store_true", help="print the findings as JSON")
        p.add_argument("--separate", action="store_true", help="check each file on its own, not as one log")
        from .validate._cli import add_arguments as _add_validate_arguments  # the validator's own options

        _add_validate_arguments(p)
        _add_assistants_version(p, "; Responses API records are told apart and checked by that protocol's rules")
    elif name == "simulate":
        p.add_argument("file", nargs="?", metavar="FILE|NAME",
                       help="scenario file (TOML), or the name of a built-in scenario (see --list)")
        p.add_argument("--list", action="store_true", help="list the built-in scenarios and exit")
        p.add_argument("--show", metavar="NAME", help="print a built-in scenario's TOML (to start your own) and exit")
        p.add_argument("--stream", action="store_true", help="stream runs (SSE events) instead of polling")
        p.add_argument("--jsonl", metavar="OUT", help="write the trace as JSON Lines")
    elif name == "diagram":
        p.add_argument("--format", choices=("dot", "svg", "png", "mermaid"), action="append",
                       help="output format (repeatable; default: all)")
        p.add_argument("--out", default="diagrams", metavar="DIR", help="output directory (default: diagrams)")
        p.add_argument("--trace", metavar="FILE", help="overlay the path of the run(s) in this trace")
        p.add_argument("--renderer", choices=("pure", "system"), default="pure",
                       help="graphviz-pure (default) or the system's dot")
    elif name == "paths":
        p.add_argument("--out", metavar="DIR", help="write one scenario file per path into DIR")
        p.add_argument("--depth", type=int, default=None, help="exploration bound (default 12; assistants only)")
        p.add_argument("--strict", action="store_true", help="explore the strict simulator (no inferred edges)")
    elif name == "check":  # declared here: building the parser must not load the simulator
        p.add_argument("target", metavar="MODULE:FUNCTION", nargs="?",
                       help="the client function to check: package.module:function or path/to/file.py:function "
                            "(not needed with --list)")
        p.add_argument("--async", dest="asynchronous", action="store_true",
                       help="the function is async (detected from 'async def' anyway)")
        p.add_argument("--strict", action="store_true", help="leave out and refuse the moves the spec grades inferred")
        p.add_argument("--only", action="append", metavar="PATTERN", help="only behaviours matching (repeatable)")
        p.add_argument("--must-finish", action="store_true", help="returning while a run is still active fails")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument("--list", action="store_true", help="list the behaviours and exit")
    elif name == "demo":
        p.add_argument("--out", default=None, metavar="DIR", help="also write traces and diagrams into DIR")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="runfsm", description="The Assistants-style run lifecycle, as a checked model.")
    parser.add_argument("--version", action="version", version=f"runfsm {__version__}",
                        help="print runfsm's version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        _add_arguments(name, sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.main(args))
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
