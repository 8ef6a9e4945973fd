"""The built-in scenarios: the seed scenario files shipped inside the package (``runfsm/scenarios/``).

They are read with :mod:`importlib.resources`, so they are there in a source
checkout, an editable install, ``pip install .`` and a wheel alike.  ``runfsm
simulate weather`` plays one by name; ``runfsm simulate --list`` lists them;
``runfsm demo`` plays them all.

>>> from runfsm.sim._builtin import builtin_names, load_builtin
>>> "weather" in builtin_names()
True
>>> load_builtin("weather").name
'weather'
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ._errors import ScenarioError
from ._scenario_format import Scenario, load_scenario, parse_scenario

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = ["SEED_SCENARIOS", "builtin_names", "builtin_text", "is_builtin", "load_builtin", "resolve_scenario"]

SEED_SCENARIOS = ("greeting", "order_total", "weather", "code_interpreter", "file_search", "cancelled", "expired")
"""The built-in scenarios, in the order ``runfsm demo`` tells them."""

_PACKAGE = "runfsm"
_FOLDER = "scenarios"
_SUFFIX = ".toml"


def _folder() -> Traversable:
    return resources.files(_PACKAGE).joinpath(_FOLDER)


def builtin_names() -> tuple[str, ...]:
    """The names of the built-in scenarios (file stems), sorted."""
    folder = _folder()
    if not folder.is_dir():  # pragma: no cover - a broken installation
        return ()
    return tuple(sorted(p.name[: -len(_SUFFIX)] for p in folder.iterdir() if p.name.endswith(_SUFFIX)))


def is_builtin(name: str) -> bool:
    """Whether ``name`` (with or without ``.toml``) is a built-in scenario."""
    return _stem(name) in builtin_names()


def _stem(name: str) -> str:
    return name[: -len(_SUFFIX)] if name.endswith(_SUFFIX) else name


def _unknown(name: str) -> ScenarioError:
    names = builtin_names()
    close = difflib.get_close_matches(_stem(name), names, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ScenarioError(f"no built-in scenario {name!r}.{hint} Built-in: {', '.join(names)}.")


def builtin_text(name: str) -> str:
    """The TOML text of a built-in scenario (copy it to start a scenario of your own)."""
    if not isinstance(name, str) or not is_builtin(name):
        raise _unknown(str(name))
    text: str = _folder().joinpath(_stem(name) + _SUFFIX).read_text(encoding="utf-8")
    return text


def load_builtin(name: str) -> Scenario:
    """Parse a built-in scenario by name (``"weather"`` or ``"weather.toml"``)."""
    return parse_scenario(builtin_text(name), source=f"built-in scenario {_stem(name)}")


def resolve_scenario(arg: str) -> Scenario:
    """What ``runfsm simulate ARG`` plays: the file ``ARG`` if it exists, else the built-in scenario of that name.

    A missing file that is not a built-in name is a :class:`ScenarioError` that
    lists the built-in scenarios.
    """
    path = Path(arg)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        exists = False
    if exists:
        return load_scenario(path)
    if path.name == arg and is_builtin(arg):
        return load_builtin(arg)
    if is_builtin(path.name):
        hint = f"; the built-in scenario {_stem(path.name)!r} is played with `runfsm simulate {_stem(path.name)}`."
    else:
        close = difflib.get_close_matches(_stem(path.name), builtin_names(), n=1, cutoff=0.6)
        hint = f". Did you mean {close[0]!r}?" if close else "."
        hint += f" Built-in scenarios: {', '.join(builtin_names())} (`runfsm simulate --list` describes them)"
    raise ScenarioError(f"{arg!r}: no such scenario file, and not the name of a built-in scenario{hint}")
