"""The Hypothesis mode of a check: every behaviour of the catalogue, with its timings varied.

:func:`behaviour_variants` draws a catalogue behaviour and, independently, may
change how long the queue takes, how long the model's actions last, how long a
run retrieve takes, when another party's cancel lands and how long a cancel
takes to finish (the Responses backend has no queue or cancel timing of its own:
there only the actions, the retrieves and the outside cancel vary).  Each change is "none" first, so a failure shrinks to the
plainest behaviour of the catalogue, with as few timings changed as can still
show it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised without the extra
    from ..errors import RunfsmError

    raise RunfsmError("runfsm.testing's Hypothesis mode needs Hypothesis: pip install 'runfsm[testing]'") from exc

from .. import spec
from ..sim._responses import FilterContent
from ..sim._script import Action
from ._catalogue import SETTINGS, Behaviour, CheckError, catalogue, refuse_misfit
from ._check import check_behaviour, options
from ._report import Outcome

__all__ = ["behaviour_variants", "explore_client"]


_TIMINGS = ("duration", "seconds")  # the fields of an action that are spans of simulated time


def _scaled(action: Action | FilterContent, factor: float) -> Action | FilterContent:
    changes: dict[str, Any] = {f.name: getattr(action, f.name) * factor
                               for f in dataclasses.fields(action) if f.name in _TIMINGS}
    if action.during is not None:
        changes["during"] = _scaled(action.during, factor)
    return dataclasses.replace(action, **changes) if changes else action


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)  # None (no change) first: what a failure shrinks to


def behaviour_variants(version: str = spec.DEFAULT_VERSION, *, strict: bool = False,
                       tools: Sequence[dict[str, Any]] | None = None, arguments: Mapping[str, Any] | None = None,
                       behaviours: Sequence[Behaviour] | None = None,
                       protocol: str = "assistants") -> st.SearchStrategy[Behaviour]:
    """Behaviours of the catalogue of ``protocol`` (or of ``behaviours``) with their timings varied."""
    pool = tuple(behaviours) if behaviours is not None else catalogue(version, strict=strict, tools=tools,
                                                                      arguments=arguments, protocol=protocol)
    if not all(isinstance(b, Behaviour) for b in pool):
        raise CheckError("behaviours= takes runfsm.testing.Behaviour values (see runfsm.testing.catalogue())")
    if not pool:
        raise CheckError("behaviours= is empty: there is nothing to vary")
    for b in pool:  # refused now, not inside an example
        refuse_misfit(b, protocol, version)
    settable = SETTINGS[protocol]

    @st.composite
    def variant(draw: st.DrawFn) -> Behaviour:
        base = draw(st.sampled_from(pool))
        latency = draw(_optional(st.integers(0, 20))) if "queue_latency" in settable else None
        factor = draw(_optional(st.sampled_from((0.5, 2.0, 0.1, 5.0))))
        poll = draw(_optional(st.sampled_from((0.5, 2.0, 5.0, 0.25, 30.0))))
        cancel_at = draw(_optional(st.integers(0, 40).map(lambda n: n / 2))) if base.cancel_in else None
        cancel_delay = draw(_optional(st.integers(0, 10))) if "cancel_delay" in settable else None
        changes: list[str] = []
        config = dict(base.config)
        fields: dict[str, Any] = {}
        if latency is not None:
            config["queue_latency"] = latency
            changes.append(f"queue {latency}s")
        if cancel_delay is not None:
            config["cancel_delay"] = cancel_delay
            changes.append(f"cancel takes {cancel_delay}s")
        if factor is not None:
            fields["script"] = tuple(_scaled(a, factor) for a in base.script)
            changes.append(f"actions x{factor:g}")
        if poll is not None:
            fields["poll_interval"] = poll
            changes.append(f"retrieve takes {poll:g}s")
        if cancel_at is not None:
            fields["cancel_after"] = cancel_at
            changes.append(f"cancel after {cancel_at:g}s")
        if not changes:
            return base
        return base.replace(name=f"{base.name}[{', '.join(changes)}]", config=config, **fields)

    return variant()


def explore_client(fn: Callable[..., Any], *, max_examples: int = 100, seed: int | None = 0,
                   behaviours: Sequence[Behaviour] | None = None, **check_options: Any) -> Outcome | None:
    """Check ``fn`` against ``max_examples`` behaviour variants; the smallest failing :class:`Outcome`, or None.

    The options are :func:`runfsm.testing.check_client`'s.  ``seed`` makes the
    search reproducible (``None``: Hypothesis's own randomness).
    """
    opts = options(**check_options)  # refuse bad options before any example runs
    strategy = behaviour_variants(opts.version, strict=opts.strict, tools=list(opts.tools) or None,
                                  arguments=opts.arguments, behaviours=behaviours, protocol=opts.protocol)
    failing: list[Outcome] = []

    # No explain phase: it traces every line the SDK runs, which makes each example many times slower.
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=seed is not None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=[p for p in Phase if p is not Phase.explain])
    @given(strategy)
    def run(behaviour: Behaviour) -> None:
        outcome = check_behaviour(fn, behaviour, **check_options)
        if not outcome.ok:
            failing.append(outcome)
            raise AssertionError(str(outcome))

    try:
        run()
    except AssertionError:
        return failing[-1]  # Hypothesis replays the shrunk example last
    return None
