"""runfsm: the reference model of the Assistants-style run lifecycle.

``import runfsm`` loads the spec and its compiled tables only; the object API
(``transitions``), the simulator, the diagrams (graphviz), the Hypothesis
strategies and the openai adapter load when first used.

>>> import runfsm
>>> runfsm.RUN.is_legal("queued", "in_progress")
True
>>> runfsm.RUN.reachable("queued", "completed")
True
>>> sorted(runfsm.RUN.terminal)
['cancelled', 'completed', 'expired', 'failed', 'incomplete']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import IllegalTransition, RunfsmError, SpecError, UnknownStatus
from .lifecycle import Lifecycle, Profile, Transition, profile

__version__ = "0.1.0"

_V2 = profile("v2")
RUN: Lifecycle = _V2.run
"""The run lifecycle (API v2)."""
RUN_STEP: Lifecycle = _V2.run_step
"""The run-step lifecycle (API v2)."""
MESSAGE: Lifecycle = _V2.message
"""The message lifecycle (API v2)."""

# Public names that live in modules with heavier imports, loaded on first access.
_LAZY = {
    "Run": "runfsm.machine",
    "RunStep": "runfsm.machine",
    "Message": "runfsm.machine",
    "build_machine": "runfsm.machine",
    # validation layer (runfsm.validate)
    "Finding": "runfsm.validate",
    "InputError": "runfsm.validate",
    "Report": "runfsm.validate",
    "Tracker": "runfsm.validate",
    "validate_paths": "runfsm.validate",
    "validate_trace": "runfsm.validate",
    # live-client guard (runfsm.guard)
    "guard": "runfsm.guard",
    # simulator (runfsm.sim)
    "Clock": "runfsm.sim",
    "Simulator": "runfsm.sim",
}

if TYPE_CHECKING:
    from .machine import Message, Run, RunStep, build_machine


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runfsm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "MESSAGE",
    "RUN",
    "RUN_STEP",
    "IllegalTransition",
    "Lifecycle",
    "Message",
    "Profile",
    "Run",
    "RunStep",
    "RunfsmError",
    "SpecError",
    "Transition",
    "UnknownStatus",
    "build_machine",
    "profile",
]
