"""The breadth-first search over client and clock moves."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import spec
from ..lifecycle import Profile
from ..lifecycle import profile as get_profile
from ..sim import SimConfig
from ._behaviours import Behaviour, behaviours, exploration_config
from ._coverage import Coverage, Target, _observe_coverage, targets
from ._invariants import Violation, _Checker
from ._world import Move, _key, _Obs, _World


@dataclass
class Exploration:
    """The result of :func:`explore`."""

    version: str
    config: SimConfig
    depth: int
    max_runs: int
    catalogue: tuple[Behaviour, ...]
    coverage: Coverage
    states: int = 0
    moves: int = 0
    truncated: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No invariant failed."""
        return not self.violations

    def summary(self) -> str:
        mode = "tolerant" if self.config.inferred else "strict"
        lines = [
            f"explored {self.states} states and {self.moves} moves ({self.version}, {mode}, depth {self.depth}, "
            f"up to {self.max_runs} runs{', TRUNCATED' if self.truncated else ''})",
            f"invariant violations: {len(self.violations)}",
            f"coverage: {len(self.coverage.paths)}/{len(self.coverage.targets)} targets",
        ]
        lines += [f"  {v}" for v in self.violations[:20]]
        return "\n".join(lines)


def explore(
    version: str = spec.DEFAULT_VERSION,
    *,
    inferred: bool = True,
    depth: int = 12,
    max_runs: int = 2,
    max_states: int = 50_000,
    config: SimConfig | None = None,
    catalogue: Sequence[Behaviour] | None = None,
    stop_when_covered: bool = False,
    model: Profile | None = None,
) -> Exploration:
    """Breadth-first exploration of the simulator, up to ``depth`` moves and ``max_runs`` runs per thread.

    ``inferred`` explores the tolerant simulator (inferred edges and cancel races
    on, see :func:`exploration_config`); otherwise the strict one, whose coverage
    targets exclude the inferred edges.  ``stop_when_covered`` ends the search as
    soon as every target is reached (the shortest paths are already known then).
    ``model`` is the lifecycle the simulator is checked against and whose
    targets it must reach (default: the compiled spec of ``version``).
    """
    prof = model if model is not None else get_profile(version)
    config = config if config is not None else exploration_config(inferred=inferred)
    config = dataclasses.replace(config, trace=False)
    cat = tuple(catalogue) if catalogue is not None else behaviours(version, inferred=config.inferred,
                                                                     deadline=config.deadline)
    by_name = {b.name: b for b in cat}
    result = Exploration(version, config, depth, max_runs, cat,
                         Coverage(targets(prof, strict=not config.inferred)))
    checker = _Checker(prof, config)
    reached: set[Target] = set()
    root = _World(version, config, by_name)
    root_obs = root.observe()
    seen = {_key(root_obs, prof)}
    queue: deque[tuple[tuple[Move, ...], _Obs, list[Move]]] = deque([((), root_obs, root.available(max_runs))])
    result.states = 1
    wanted = set(result.coverage.targets)

    def replay(path: tuple[Move, ...]) -> _World:
        w = _World(version, config, by_name)
        for m in path:
            w.apply(m)
        return w

    while queue:
        path, obs, moves = queue.popleft()
        if len(path) >= depth:
            continue
        for move in moves:
            world = replay(path)
            outcome = world.apply(move)
            result.moves += 1
            after = world.observe()
            child = (*path, move)
            problems = checker.refusal(move, outcome, obs, world)
            problems += checker.state(obs, after)
            problems += checker.actors(move, obs, after)
            problems += checker.validator(obs, after)
            result.violations += [Violation(child, p) for p in problems]
            for t in _observe_coverage(after, prof, reached, checker.reason_trigger):
                reached.add(t)
                result.coverage.paths[t] = child
            if stop_when_covered and wanted <= reached:
                return result
            key = _key(after, prof)
            if key in seen:
                continue
            if len(seen) >= max_states:
                result.truncated = True
                continue
            seen.add(key)
            result.states += 1
            queue.append((child, after, world.available(max_runs)))
    return result
