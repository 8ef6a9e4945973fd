"""Test your own client against every path of the run lifecycle.

>>> from runfsm.testing import catalogue
>>> [b.name for b in catalogue()][:3]
['completes', 'code_interpreter', 'file_search']

:func:`check_client` runs a function of yours, which gets a real openai client
bound to a fresh simulator, once per :class:`Behaviour` of a catalogue derived
from the spec (every way the server, the model, the clock and other parties can
move a run), and judges each run: ``stuck``, ``refused``, ``crashed``,
``abandoned``, ``unexpected``, ``skipped`` or ``ok``.  Importing this module
loads the simulator, not ``openai`` (loaded by the first check) or Hypothesis
(loaded by :func:`behaviour_variants`).  See ``docs/testing.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ClientStuck
from ._catalogue import UNREACHABLE, Behaviour, CheckError, catalogue, default_tools
from ._check import PROVIDED, BehaviourCase, acheck_client, check_behaviour, check_client
from ._report import FAILING, VERDICTS, ClientReport, Outcome
from ._time import simulated_sleep

if TYPE_CHECKING:
    from ._hypothesis import behaviour_variants, explore_client

__all__ = [
    "FAILING",
    "PROVIDED",
    "UNREACHABLE",
    "VERDICTS",
    "Behaviour",
    "BehaviourCase",
    "CheckError",
    "ClientReport",
    "ClientStuck",
    "Outcome",
    "acheck_client",
    "behaviour_variants",
    "catalogue",
    "check_behaviour",
    "check_client",
    "default_tools",
    "explore_client",
    "simulated_sleep",
]


def __getattr__(name: str) -> Any:
    if name in ("behaviour_variants", "explore_client"):  # they need Hypothesis
        from . import _hypothesis

        return getattr(_hypothesis, name)
    raise AttributeError(f"module 'runfsm.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
