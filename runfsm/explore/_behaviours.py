"""The catalogue of model behaviours the explorer creates runs with, and the tools each needs.

It is not :func:`runfsm.testing.catalogue`, on purpose.  That one holds everything done
to a run that a client does not control (one behaviour per error code, token budget and
cancel source, server settings, another party's cancel) so that each is checked once.
Here the client's own moves (cancel, submit, wait) are explored, and each behaviour
multiplies the states searched: the catalogue is the few model scripts that, combined
with those moves, reach every target.  Their names, texts and timings are written into
the ``runfsm paths`` scenarios, so they stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, cast

from .. import spec
from ..lifecycle import profile as get_profile
from ..sim import (
    Action,
    CallFunctions,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueStall,
    RunOutOfTokens,
    Say,
    SimConfig,
)
from ..sim._script import pauses, step_action

Json = dict[str, Any]


class Behaviour(NamedTuple):
    """A named model script: what the model does in a run created with it."""

    name: str
    description: str
    script: tuple[Action, ...]
    inferred: bool = False  # takes an inferred edge: needs SimConfig(inferred=True)


def behaviours(version: str = spec.DEFAULT_VERSION, *, inferred: bool = False,
               deadline: int = spec.RUN_DEADLINE_SECONDS) -> tuple[Behaviour, ...]:
    """The catalogue of model behaviours explored (those of ``version``; inferred ones only when asked)."""
    prof = get_profile(version)
    calls = (FunctionCall("get_weather", {"city": "Paris"}), FunctionCall("get_time", {"city": "Paris"}))
    out = [
        Behaviour("reply", "writes one message", (Say("It is sunny in Paris.", duration=2),)),
        Behaviour("functions", "calls two functions in parallel, then answers",
                  (CallFunctions(calls, duration=1), Say("Sunny, and it is noon.", duration=1))),
        Behaviour("code", "runs the code interpreter, then answers",
                  (CodeInterpreter("print(6 * 7)", logs="42\n", duration=1), Say("The answer is 42.", duration=1))),
        Behaviour("search", "searches the files, then answers",
                  (FileSearch(duration=1), Say("The files do not say.", duration=1))),
        Behaviour("fail", "fails with a server error while writing",
                  (Fail("server_error", during=Say("It is sun", duration=4), duration=2),)),
        Behaviour("slow", "writes for longer than the run's deadline",
                  (Say("Let me think about that for a long while.", duration=deadline + 60),)),
    ]
    if "run_out_of_tokens" in prof.run.triggers:  # token budgets exist (API v2)
        out.append(Behaviour("out_of_tokens", "runs out of tokens while writing",
                             (RunOutOfTokens("max_completion_tokens", during=Say("It is sunny in Pa", duration=4),
                                             duration=2),)))
    if inferred:
        out += [
            Behaviour("stall", "is never started by the queue", (QueueStall(),), inferred=True),
            Behaviour("fail_in_queue", "fails before it starts (rate limit)",
                      (Fail("rate_limit_exceeded", in_queue=True, duration=1),), inferred=True),
        ]
    return tuple(out)


def tools_for(script: Iterable[Any], version: str = spec.DEFAULT_VERSION) -> list[Json]:
    """The tool definitions a run needs for the simulator to accept ``script``."""
    prof = get_profile(version)
    kinds = prof.tool_names
    names: list[str] = []
    used: set[str] = set()
    for action in script:
        inner = step_action(action)
        if pauses(inner):  # functions are declared by name
            names += [c.name for c in cast("CallFunctions", inner).calls if c.name not in names]
        elif inner.TOOL:
            used.add(kinds[inner.TOOL])
    tools: list[Json] = [{"type": k} for k in prof.tool_call_types if k in used]
    for n in names:
        tools.append({"type": spec.PAUSING_TOOL_CALL_TYPE, "function": {
            "name": n, "description": f"{n} (example tool)",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }})
    return tools


def exploration_config(*, inferred: bool) -> SimConfig:
    """The simulator settings explored: strict (doc and wire edges), or tolerant with cancel races.

    ``cancel_delay`` is longer than a model step, so a cancel can lose the race.
    """
    if inferred:
        return SimConfig(inferred=True, cancel_race=True, cancel_delay=3, trace=False)
    return SimConfig(cancel_delay=3, trace=False)
