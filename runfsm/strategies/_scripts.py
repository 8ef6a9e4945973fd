"""Model scripts: action sequences for the simulator's model, and the tools a run needs to accept them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .. import spec
from ..lifecycle import profile as _compiled_profile
from ._values import _FUNCTION_NAMES

# --- model scripts for the simulator -------------------------------------------------------


def script_tools(script: Sequence[Any], *, version: str = spec.DEFAULT_VERSION) -> list[dict[str, Any]]:
    """The tool definitions a run needs for the simulator to accept ``script``.

    Every function a :class:`~runfsm.sim.CallFunctions` calls, plus the code
    interpreter and file search (``retrieval`` in v1) when the script uses them.
    """
    from ..explore import tools_for

    return tools_for(script, version)


def model_scripts(
    *,
    inferred: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_actions: int = 4,
    slow: bool = True,
) -> st.SearchStrategy[tuple[Any, ...]]:
    """Scripts for the simulator's model (:mod:`runfsm.sim._script` actions), valid for ``version``.

    A script is a few actions (write a message, call functions in parallel, run the
    code interpreter, search files), optionally ended by a failure (possibly in the
    middle of an action) or, in v2, by running out of tokens.  Queue actions
    (:class:`~runfsm.sim.QueueDelay`, and with ``inferred`` the inferred
    :class:`~runfsm.sim.QueueStall` and ``Fail(in_queue=True)``) come first or right
    after a function call, where the run is queued.  ``slow`` lets an action take
    longer than the run's deadline (so the run expires while working).  Give the
    run the tools of :func:`script_tools`.  Shrinks toward ``(Say("Hello"),)``.
    """
    from ..sim import (
        CallFunctions,
        CodeInterpreter,
        Fail,
        FileSearch,
        FunctionCall,
        QueueDelay,
        QueueStall,
        RunOutOfTokens,
        Say,
    )
    from ..sim._script import pauses

    prof = _compiled_profile(version)
    durations = (1, 0, 5, 30, *((spec.RUN_DEADLINE_SECONDS + 100,) if slow else ()))
    texts = ("Hello", "The answer is 42.", "Here is what I found: nothing.", "")

    @st.composite
    def step_action(draw: st.DrawFn, allow_calls: bool = True) -> Any:
        pick = draw(st.integers(0, 3 if allow_calls else 2))
        duration = draw(st.sampled_from(durations))
        if pick == 0:
            return Say(draw(st.sampled_from(texts)), duration=duration)
        if pick == 1:
            return CodeInterpreter("print(6 * 7)", logs="42\n", duration=duration)
        if pick == 2:
            return FileSearch(duration=duration)
        names = draw(st.lists(st.sampled_from(_FUNCTION_NAMES), min_size=1, max_size=3))
        return CallFunctions(tuple(FunctionCall(n, {"x": str(i)}) for i, n in enumerate(names)), duration=duration)

    @st.composite
    def queue_fault(draw: st.DrawFn) -> Any:
        pick = draw(st.integers(0, 3 if inferred else 1))
        if pick == 0:
            return None
        if pick == 1:
            return QueueDelay(draw(st.sampled_from((5, 0, 60))))
        if pick == 2:
            return QueueStall()
        return Fail(draw(st.sampled_from(spec.RUN_ERROR_CODES)), in_queue=True)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Any, ...]:
        script: list[Any] = []
        queued = True  # where queue actions may go: first, and right after a function call
        n = draw(st.integers(0, max_actions))
        for _ in range(n):
            if queued:
                fault = draw(queue_fault())
                if fault is not None:
                    script.append(fault)
                    if fault.ENDS:
                        return tuple(script)  # the run ends in the queue (stalls until it expires, or fails)
            action = draw(step_action())
            script.append(action)
            queued = pauses(action)
        ending = draw(st.integers(0, 2 if "run_out_of_tokens" in prof.run.triggers else 1))
        if ending == 1:
            during = draw(st.one_of(st.none(), step_action()))
            code_set = spec.STEP_ERROR_CODES if during is not None else spec.RUN_ERROR_CODES
            script.append(Fail(draw(st.sampled_from(code_set)), during=during,
                               duration=draw(st.sampled_from(durations))))
        elif ending == 2:
            during = draw(st.one_of(st.none(), st.sampled_from(texts).map(Say)))
            script.append(RunOutOfTokens(draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS)), during=during,
                                         duration=draw(st.sampled_from(durations))))
        if not script:
            script.append(Say(texts[0]))
        return tuple(script)

    return build()
