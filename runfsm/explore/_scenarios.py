"""The shortest paths as scenario values, written by the simulator's scenario format."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .. import spec
from ..sim import SimConfig
from ..sim._clock import DEFAULT_START
from ..sim._scenario_format import Scenario, format_scenario
from ._behaviours import Behaviour, behaviours, exploration_config, tools_for
from ._coverage import Target
from ._search import Exploration
from ._world import FIRST_MESSAGE, Json, Move, _World


def scenario_text(
    path: Sequence[Move],
    *,
    version: str = spec.DEFAULT_VERSION,
    config: SimConfig | None = None,
    catalogue: Sequence[Behaviour] | None = None,
    name: str = "path",
    covers: Sequence[Target] = (),
) -> str:
    """The scenario file (TOML) that plays ``path`` and expects what the simulator did on it."""
    config = config if config is not None else exploration_config(inferred=True)
    config = dataclasses.replace(config, trace=False)
    cat = {b.name: b for b in (catalogue if catalogue is not None else
                               behaviours(version, inferred=config.inferred, deadline=config.deadline))}
    world = _World(version, config, cat)
    for move in path:
        world.apply(move)
    obs = world.observe()
    assistants = tuple(
        {"name": b.name, "model": "gpt-4o", "instructions": f"The model {b.description}.", "description": None,
         "tools": tools_for(b.script, version), "metadata": None, "script": b.script}
        for b in (cat[n] for n in dict.fromkeys(world.behaviours))
    )
    listings: list[Json] = [{"do": "list_run_steps", "run": f"run{i + 1}", "order": "asc"}
                            for i in range(len(world.runs))]
    if world.runs:
        listings.append({"do": "list_messages", "order": "asc"})
    expect = tuple({"run": f"run{i + 1}", "history": [status for _, status in timeline],
                    "steps": [step["type"] for step in obs.steps[i]]}
                   for i, timeline in enumerate(obs.timelines))
    scenario = Scenario(
        name=name, description="Shortest path to " + (str(covers[0]) if covers else "the start"), seed=0,
        start=DEFAULT_START, version=version,
        # The exploration stops tracing for speed; whoever plays the file gets the default.
        config=dataclasses.replace(config, trace=SimConfig().trace),
        files=(), assistants=assistants,
        threads=({"name": "main", "messages": [{"role": "user", "content": FIRST_MESSAGE}], "metadata": None},),
        client=(*world.log, *listings), expect=expect,
    )
    comments = [*map(str, covers), f"Moves: {', '.join(map(str, path)) or '(none)'}",
                "Written by `runfsm paths`: the shortest way the simulator reaches the targets above."]
    return format_scenario(scenario, comments=comments)


def scenario_files(exp: Exploration) -> list[tuple[str, str, tuple[Target, ...]]]:
    """``(file name, TOML text, targets covered)`` for each distinct shortest path, in target order."""
    groups: dict[tuple[Move, ...], list[Target]] = {}
    for t in exp.coverage.targets:
        path = exp.coverage.paths.get(t)
        if path is not None:
            groups.setdefault(path, []).append(t)
    out = []
    for i, (path, covers) in enumerate(groups.items(), start=1):
        name = f"{i:02d}-{covers[0].slug}"
        text = scenario_text(path, version=exp.version, config=exp.config, catalogue=exp.catalogue, name=name,
                             covers=covers)
        out.append((f"{name}.toml", text, tuple(covers)))
    return out
