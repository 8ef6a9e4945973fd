"""Exhaustive exploration of the simulator, and the shortest test case for every part of the spec.

Theory of operation
-------------------
A *state* is one thread of the simulator with its runs, their steps and
messages, and the clock.  From each state a client can do a handful of
things (:class:`Move`): create a run (choosing what the model will do in it
from a catalogue of :class:`Behaviour`\\ s), add a message, cancel, submit
tool outputs (all of them, or only some), let the clock run to the next
scheduled event, or wait until just before the deadline.  :func:`explore`
applies every move to every state, breadth first, up to ``depth`` moves, and
replays each path in a fresh, seeded :class:`~runfsm.sim.Simulator` (the
simulator is deterministic, and replaying is cheaper than copying it).

This explores the simulator itself, not a model of it: what is checked is what
users run.  Every state is checked against the spec's invariants (one active
run per thread and the API's refusals when locked; terminal statuses
absorbing; every status change a single legal edge, clock edges only after the
deadline; steps and messages coupled to their run) and every object that
changed is checked by the validator against its previous snapshot.  The spec
supplies the coverage targets: every status and every transition of the run,
run-step and message lifecycles.  BFS order makes the first path that reaches a
target a shortest one; :func:`scenario_text` turns it into a scenario file that
``runfsm simulate`` (and :func:`runfsm.sim.run_scenario`) plays.

Two states are merged when their runs (behaviour, status, step and message
statuses), the time since the active run was created and the time to the next
scheduled event agree: the simulator's future depends on nothing else.

Layout: ``_behaviours`` (the model behaviours explored), ``_world`` (moves and
the replay world), ``_invariants`` (what is checked in each state),
``_coverage`` (targets and what reached them), ``_search`` (the breadth-first
search), ``_scenarios`` (shortest paths as scenarios) and ``cli`` (``runfsm
paths``).
"""

from __future__ import annotations

from ._behaviours import Behaviour, behaviours, exploration_config, tools_for
from ._cli import main
from ._cover import CoverPlan, cover
from ._coverage import Coverage, Target, reached_targets, targets
from ._invariants import Violation, invariant_violations
from ._scenarios import scenario_files, scenario_text
from ._search import Exploration, explore
from ._world import Move

__all__ = [
    "Behaviour",
    "CoverPlan",
    "Coverage",
    "Exploration",
    "Move",
    "Target",
    "Violation",
    "behaviours",
    "cover",
    "exploration_config",
    "explore",
    "invariant_violations",
    "main",
    "reached_targets",
    "scenario_files",
    "scenario_text",
    "targets",
    "tools_for",
]
