"""``runfsm check TARGET``: run a client function against every behaviour and print the verdicts.

TARGET is ``package.module:function`` (imported as Python imports it, with the
current directory on the path) or ``path/to/file.py:function``.  Exit 0 when
every behaviour passes, 1 when one fails, 2 when the target or an option is bad.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from .._protocols import DEFAULT, chosen
from ..errors import CheckError, RunfsmError, TargetError
from ._report import clean

__all__ = ["load_target", "main"]


def load_target(spec_text: str) -> Any:
    """Import ``module:function`` or ``file.py:function`` and return the function."""
    where, sep, name = spec_text.rpartition(":")
    if not sep or not where or not name:
        raise TargetError(f"expected MODULE:FUNCTION (e.g. myapp.client:poll) or FILE.py:FUNCTION, got {spec_text!r}")
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where)
        if not path.is_file():
            raise TargetError(f"{where}: no such file")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise TargetError(f"{where}: cannot be imported as a Python module")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules.setdefault(path.stem, module)
        try:
            module_spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # a script that exits at import is still bad input
            raise TargetError(f"{where}: importing it raised {type(exc).__name__}: {exc}") from None
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except ImportError as exc:
            raise TargetError(f"cannot import {where!r}: {exc}") from None
        except (Exception, SystemExit) as exc:
            raise TargetError(f"importing {where!r} raised {type(exc).__name__}: {exc}") from None
    obj: Any = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(f"{where} has no attribute {name!r}") from None
    if not callable(obj):
        raise TargetError(f"{spec_text} is a {type(obj).__name__}, not a function")
    return obj


def main(args: argparse.Namespace) -> int:
    from ._catalogue import catalogue, select
    from ._check import check_client

    try:
        info, version = chosen(args, CheckError)
        # a check's version= is the Assistants simulator's; another protocol's one version needs no setting
        chosen_version: dict[str, Any] = {"version": version} if info.name == DEFAULT else {}
        if args.list:
            for b in select(catalogue(strict=args.strict, protocol=info.name, **chosen_version), args.only):
                print(f"{b.name:<36} {b.description}")
            return 0
        if args.target is None:
            raise TargetError("give the client function to check (MODULE:FUNCTION), or --list to see the behaviours")
        fn = load_target(args.target)
        if args.asynchronous and not inspect.iscoroutinefunction(fn):
            raise TargetError(f"{args.target} is not an async function (async def), but --async was given")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks every Assistants method
            report = check_client(fn, only=args.only, strict=args.strict, must_finish=args.must_finish,
                                  protocol=info.name, **chosen_version)
    except RunfsmError as exc:  # a bad target or option, or a missing extra (openai): one line, exit 2
        print(f"runfsm check: {clean(str(exc), 2000)}", file=sys.stderr)
        return 2
    print(report.as_json() if args.json else report.table())
    return 0 if report.ok else 1
