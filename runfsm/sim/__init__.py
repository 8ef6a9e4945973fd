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

from ._backend import Simulator
from ._builtin import builtin_names, builtin_text, load_builtin
from ._clock import DEFAULT_START, MAX_TIME, Clock
from ._config import SimConfig
from ._engine import MAX_ACTIONS_PER_SECOND
from ._errors import APIError, ClockError, ConfigError, ScenarioError, ScriptError, SimError
from ._ids import ID_PREFIXES
from ._liveness import Liveness
from ._player import ScenarioResult, run_scenario
from ._responses import FilterContent, ResponsesBackend, responses_of
from ._scenario_format import Scenario, format_scenario, load_scenario, parse_scenario
from ._script import (
    ACTION_TYPES,
    SCENARIO_KEY,
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
    ScriptAction,
    ScriptContext,
    SearchResult,
    ToolOutput,
)
from ._stream import EventStream, StreamEvent, sse_text

__all__ = [
    "ACTION_TYPES",
    "DEFAULT_START",
    "ID_PREFIXES",
    "MAX_ACTIONS_PER_SECOND",
    "MAX_TIME",
    "SCENARIO_KEY",
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
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Script",
    "ScriptAction",
    "ScriptContext",
    "ScriptError",
    "SearchResult",
    "SimConfig",
    "SimError",
    "Simulator",
    "StreamEvent",
    "ToolOutput",
    "builtin_names",
    "builtin_text",
    "format_scenario",
    "load_builtin",
    "load_scenario",
    "parse_scenario",
    "responses_of",
    "run_scenario",
    "sse_text",
]
