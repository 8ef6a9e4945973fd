"""The simulator: a fake clock, a scripted model and an in-memory Assistants backend.

Runs move only along the spec (``runfsm.spec``, compiled in ``runfsm.lifecycle``),
on a clock you pass in, with deterministic ids from a seed.  See ``docs/simulator.md``.

>>> from runfsm.sim import Simulator, Clock, Say
>>> sim = Simulator(clock=Clock(start=1_700_000_000), script=[Say("Hello!", duration=2)])
>>> asst = sim.create_assistant(model="gpt-4o")
>>> thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
>>> run = sim.create_run(thread["id"], assistant_id=asst["id"])
>>> _ = sim.advance(10)
>>> [status for _, status in sim.timeline(run["id"])]
['queued', 'in_progress', 'completed']
"""

from __future__ import annotations

from ._responses import FilterContent, ResponsesBackend, responses_of
from .backend import Simulator
from .clock import DEFAULT_START, Clock
from .config import SimConfig
from .errors import APIError, ClockError, ConfigError, ScenarioError, ScriptError, SimError
from .ids import ID_PREFIXES
from .liveness import Liveness
from .script import (
    Action,
    CallFunctions,
    Citation,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
    Script,
    ScriptContext,
    SearchResult,
    ToolOutput,
)
from .stream import EventStream, StreamEvent, sse_text

__all__ = [
    "DEFAULT_START",
    "ID_PREFIXES",
    "APIError",
    "Action",
    "CallFunctions",
    "Citation",
    "Clock",
    "ClockError",
    "CodeInterpreter",
    "ConfigError",
    "EventStream",
    "Fail",
    "FileSearch",
    "FilterContent",
    "FunctionCall",
    "Liveness",
    "QueueDelay",
    "QueueStall",
    "ResponsesBackend",
    "RunOutOfTokens",
    "Say",
    "ScenarioError",
    "Script",
    "ScriptContext",
    "ScriptError",
    "SearchResult",
    "SimConfig",
    "SimError",
    "Simulator",
    "StreamEvent",
    "ToolOutput",
    "responses_of",
    "sse_text",
]
