"""``runfsm``'s public names: every one in ``__all__``, in ``dir()``, importable, typed; ``runfsm.guard`` a function."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import runfsm


def test_every_lazy_name_is_public_listed_and_loads() -> None:
    lazy = set(runfsm._LAZY)
    assert lazy <= set(runfsm.__all__)
    assert set(runfsm.__all__) <= set(dir(runfsm))
    for name in runfsm.__all__:
        value = getattr(runfsm, name)
        assert value is not None, name
        if name in lazy:
            assert value is getattr(importlib.import_module(runfsm._LAZY[name]), name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        runfsm.nope  # noqa: B018


@pytest.mark.parametrize("first", ["", "import runfsm._guard", "from runfsm import _guard",
                                   "from runfsm import tracker_of", "import runfsm.openai"])
def test_guard_is_the_function_whatever_was_imported_first(first: str) -> None:
    pytest.importorskip("openai")
    code = textwrap.dedent(f"""
        import inspect
        {first}
        import runfsm
        assert inspect.isfunction(runfsm.guard), runfsm.guard
        assert inspect.isfunction(runfsm.tracker_of), runfsm.tracker_of
        from runfsm import guard
        assert guard is runfsm.guard
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_guard_and_tracker_of_are_documented() -> None:
    pytest.importorskip("openai")
    for fn in (runfsm.guard, runfsm.tracker_of):
        assert inspect.isfunction(fn) and fn.__doc__ and fn.__module__ == "runfsm._guard_core"
    for fn in (runfsm.guard_transport, runfsm.async_guard_transport):
        assert inspect.isfunction(fn) and fn.__doc__ and fn.__module__ == "runfsm._guard"
    assert "client" in inspect.signature(runfsm.tracker_of).parameters


def test_star_import_gives_every_public_name() -> None:
    pytest.importorskip("openai")
    namespace: dict[str, object] = {}
    exec("from runfsm import *", namespace)
    assert set(runfsm.__all__) <= set(namespace)


def test_import_runfsm_stays_light() -> None:
    code = ("import sys, runfsm; dir(runfsm); "
            "heavy = [m for m in ('transitions', 'openai', 'hypothesis', 'runfsm._guard', 'runfsm._guard_core', 'runfsm.sim') if m in sys.modules]; "
            "assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is in the dev extra")
def test_lazy_names_are_typed_for_type_checkers(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import runfsm
        reveal_type(runfsm.Tracker)
        reveal_type(runfsm.guard)
        reveal_type(runfsm.tracker_of)
        reveal_type(runfsm.Simulator)
        reveal_type(runfsm.Run)
    """)
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(Path(runfsm.__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental",
                           "--follow-imports=silent", "--ignore-missing-imports", "--cache-dir", str(tmp_path / "c"),
                           "-c", code], capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path, env=env)
    revealed = [line.split("Revealed type is ", 1)[1] for line in done.stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == 5, done.stdout
    assert revealed[0].endswith('-> runfsm.validate._tracker.Tracker"')
    assert revealed[1].startswith('"def (client: Any, *, policy: ')
    assert revealed[2] == '"def (client: Any) -> runfsm.validate._tracker.Tracker"'
    assert revealed[3].endswith('-> runfsm.sim._backend.Simulator"')
    assert revealed[4].endswith('-> runfsm._machine.Run"')


# The modules a user imports; everything else is the implementation and its name starts with "_".
PUBLIC_MODULES = {
    "runfsm", "runfsm.__main__", "runfsm.spec", "runfsm.responses_spec", "runfsm.azure_profile", "runfsm.lifecycle",
    "runfsm.errors", "runfsm.openai", "runfsm.azure", "runfsm.pytest_plugin", "runfsm.sim", "runfsm.validate",
    "runfsm.validate.fleet", "runfsm.diagrams", "runfsm.explore", "runfsm.strategies", "runfsm.testing",
}


def test_implementation_modules_are_private() -> None:
    root = Path(runfsm.__file__).parent
    modules = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        dotted = ".".join(("runfsm", *parts))
        if not any(part.startswith("_") and part != "__main__" for part in parts):
            modules.add(dotted)
    assert modules == PUBLIC_MODULES
