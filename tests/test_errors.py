"""Every exception runfsm raises on purpose is declared in runfsm.errors, in one hierarchy."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import runfsm
from runfsm import errors

PACKAGE = Path(runfsm.__file__).resolve().parent


def _exception_classes_outside_errors() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Warning", "Stuck")) for b in bases):
                    found.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    return found


def test_no_public_exception_is_declared_outside_runfsm_errors() -> None:
    assert _exception_classes_outside_errors() == []


def test_the_api_refusing_is_apart_from_runfsm_being_misused() -> None:
    assert issubclass(errors.APIError, errors.RunfsmError)
    assert not issubclass(errors.APIError, errors.UsageError)
    for misuse in (errors.SpecError, errors.UnknownStatus, errors.IllegalTransition, errors.MissingExtra,
                   errors.SimError, errors.ClockError, errors.ConfigError, errors.ScriptError, errors.ScenarioError,
                   errors.CheckError, errors.TargetError, errors.AdapterError, errors.DiagramError,
                   errors.RenderError, errors.TraceError):
        assert issubclass(misuse, errors.UsageError), misuse
    for other in (errors.InputError, errors.GuardError):
        assert issubclass(other, errors.RunfsmError) and not issubclass(other, errors.UsageError)
    assert issubclass(errors.WallClockStuck, errors.ClientStuck) and not issubclass(errors.ClientStuck, Exception)


@pytest.mark.parametrize(("module", "name"), [
    ("runfsm.sim", "APIError"), ("runfsm.sim", "ScriptError"), ("runfsm.sim._errors", "ClockError"),
    ("runfsm.validate", "InputError"), ("runfsm", "GuardError"), ("runfsm.testing", "CheckError"),
    ("runfsm.diagrams", "DiagramError"), ("runfsm.openai", "AdapterError"),
])
def test_each_error_is_still_importable_where_it_always_was(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_every_name_in_all_is_defined() -> None:
    assert sorted(errors.__all__) == sorted(n for n in errors.__all__ if hasattr(errors, n))
