"""Coverage targets: every status and transition of the spec, and which ones a state reached."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .. import spec
from ..lifecycle import Profile, Transition
from ..sim import Simulator
from ._world import Move, _Obs, _observe_sim

# --- coverage targets --------------------------------------------------------------------


class Target(NamedTuple):
    """A status (``trigger`` None) or a transition of one lifecycle that the exploration should reach."""

    kind: str
    status: str  # the status, or the transition's destination
    trigger: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        if self.trigger is None:
            return f"{self.kind} status {self.status}"
        return f"{self.kind} {self.source} -{self.trigger}-> {self.status}"

    @property
    def slug(self) -> str:
        """A file-name-friendly name."""
        if self.trigger is None:
            return f"{self.kind}-status-{self.status}"
        return f"{self.kind}-{self.source}-{self.trigger}-{self.status}"


def targets(prof: Profile, *, strict: bool) -> tuple[Target, ...]:
    """Every status and every transition (inferred ones only when not ``strict``) of the three lifecycles."""
    out: list[Target] = []
    for kind in ("run", "run_step", "message"):
        lc = prof.lifecycle(kind)
        out += [Target(kind, s) for s in lc.order]
        out += [Target(kind, t.dest, t.trigger, t.source) for t in lc.transitions if not (strict and t.inferred)]
    return tuple(out)


@dataclass
class Coverage:
    """Which targets were reached, and the shortest path (list of moves) to each."""

    targets: tuple[Target, ...]
    paths: dict[Target, tuple[Move, ...]] = field(default_factory=dict)

    @property
    def unreached(self) -> list[Target]:
        return [t for t in self.targets if t not in self.paths]

    @property
    def complete(self) -> bool:
        return not self.unreached

    def report(self) -> str:
        """One line per target: reached in how many moves, or not."""
        lines = []
        for t in self.targets:
            path = self.paths.get(t)
            if path is None:
                lines.append(f"  NOT REACHED  {t}")
            else:
                lines.append(f"  {len(path):2d} moves    {t}: {', '.join(map(str, path)) or '(setup)'}")
        return "\n".join(lines)


def reached_targets(sim: Simulator) -> set[Target]:
    """The statuses and transitions of the spec that the runs of ``sim`` went through.

    Use it to see how much of the lifecycle a test suite exercises::

        covered = reached_targets(sim)
        missing = set(targets(sim.profile, strict=not sim.config.inferred)) - covered
    """
    return _observe_coverage(_observe_sim(sim), sim.profile, set(), {v: k for k, v in spec.MESSAGE_REASON_BY_TRIGGER.items()})


def _observe_coverage(obs: _Obs, prof: Profile, reached: set[Target], reason_trigger: Mapping[str, str]) -> set[Target]:
    new: set[Target] = set()
    run_lc, step_lc, msg_lc = prof.run, prof.run_step, prof.message
    for timeline in obs.timelines:
        history = [s for _, s in timeline]
        new.update(Target("run", s) for s in history)
        for a, b in itertools.pairwise(history):
            new.update(Target("run", b, t.trigger, a) for t in run_lc.edges(a, b))
    for steps in obs.steps:
        for s in steps:
            new.add(Target("run_step", s["status"]))
            new.update(Target("run_step", s["status"], t.trigger, step_lc.initial)
                       for t in step_lc.edges(step_lc.initial, s["status"]))
    for msgs in obs.messages:
        for m in msgs:
            new.add(Target("message", m["status"]))
            if m["status"] in msg_lc.terminal:
                details = m.get("incomplete_details")
                if details is not None:
                    trig = reason_trigger.get(details.get("reason", ""))
                    edge = msg_lc.by_trigger.get((msg_lc.initial, trig)) if trig else None
                    edges: tuple[Transition, ...] = (edge,) if edge is not None else ()
                else:
                    edges = msg_lc.edges(msg_lc.initial, m["status"])[:1]
                new.update(Target("message", m["status"], t.trigger, t.source) for t in edges)
    return new - reached

