"""runfsm: the reference model of the Assistants-style run lifecycle.

``import runfsm`` loads the spec and its compiled tables only; the object API
(``transitions``), the validator's tracker, the live-client guard
(:func:`guard`, :func:`tracker_of`), the simulator, the diagrams, the
Hypothesis strategies and the openai adapter load when first used.

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

_V2 = profile()
RUN: Lifecycle = _V2.run
"""The run lifecycle (API v2)."""
RUN_STEP: Lifecycle = _V2.run_step
"""The run-step lifecycle (API v2)."""
MESSAGE: Lifecycle = _V2.message
"""The message lifecycle (API v2)."""

# Public names that live in modules with heavier imports, loaded on first access.
_LAZY = {
    # the object API (transitions)
    "Run": "runfsm._machine",
    "RunStep": "runfsm._machine",
    "Message": "runfsm._machine",
    "build_machine": "runfsm._machine",
    # validation layer (runfsm.validate)
    "Finding": "runfsm.validate",
    "InputError": "runfsm.validate",
    "Report": "runfsm.validate",
    "Tracker": "runfsm.validate",
    "validate_paths": "runfsm.validate",
    "validate_trace": "runfsm.validate",
    # live-client guard (guard and tracker_of load only the SDK of the client; the transports need the openai extra)
    "guard": "runfsm._guard_core",
    "tracker_of": "runfsm._guard_core",
    "guard_transport": "runfsm._guard",
    "async_guard_transport": "runfsm._guard",
    "GuardError": "runfsm.errors",
    "GuardWarning": "runfsm.errors",
    # simulator (runfsm.sim)
    "Clock": "runfsm.sim",
    "SimConfig": "runfsm.sim",
    "Simulator": "runfsm.sim",
}

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from ._guard import async_guard_transport, guard_transport
    from ._guard_core import guard, tracker_of
    from ._machine import Message, Run, RunStep, build_machine
    from .errors import GuardError, GuardWarning
    from .sim import Clock, SimConfig, Simulator
    from .validate import Finding, InputError, Report, Tracker, validate_paths, validate_trace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runfsm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "MESSAGE",
    "RUN",
    "RUN_STEP",
    "Clock",
    "Finding",
    "GuardError",
    "GuardWarning",
    "IllegalTransition",
    "InputError",
    "Lifecycle",
    "Message",
    "Profile",
    "Report",
    "Run",
    "RunStep",
    "RunfsmError",
    "SimConfig",
    "Simulator",
    "SpecError",
    "Tracker",
    "Transition",
    "UnknownStatus",
    "__version__",
    "async_guard_transport",
    "build_machine",
    "guard",
    "guard_transport",
    "profile",
    "tracker_of",
    "validate_paths",
    "validate_trace",
]
