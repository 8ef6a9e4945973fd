"""The client's moves and the replay world: a fresh simulator that applies moves and logs them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import spec
from ..errors import IllegalTransition, RunfsmError
from ..lifecycle import Profile
from ..lifecycle import profile as get_profile
from ..sim import APIError, Clock, SimConfig, Simulator
from ..sim._clock import DEFAULT_START
from ._behaviours import Behaviour, tools_for

Json = dict[str, Any]

FIRST_MESSAGE = "What is the weather in Paris?"
EXTRA_MESSAGE = "And tomorrow?"


# --- moves -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Move:
    """One thing the client (or the passing of time) does."""

    do: str  # one of MOVES
    behaviour: str = ""  # for create_run: the model behaviour of the new run

    def __str__(self) -> str:
        return f"{self.do}({self.behaviour})" if self.behaviour else self.do


CREATE = "create_run"
ADD_MESSAGE = "add_message"
CANCEL = "cancel"
SUBMIT = "submit_tool_outputs"
SUBMIT_SOME = "submit_some_outputs"
TICK = "tick"
NEAR_DEADLINE = "wait_until_deadline"
MOVES = (CREATE, ADD_MESSAGE, CANCEL, SUBMIT, SUBMIT_SOME, TICK, NEAR_DEADLINE)
"""``tick``: the clock runs to the next scheduled event; ``wait_until_deadline``: to one
second before the active run's ``expires_at``.  Cancel and submit act on the newest run."""


# --- one replayable world ----------------------------------------------------------------


class _Obs(NamedTuple):
    runs: tuple[Json, ...]
    steps: tuple[tuple[Json, ...], ...]
    messages: tuple[tuple[Json, ...], ...]
    timelines: tuple[tuple[tuple[float, str], ...], ...]
    behaviours: tuple[str, ...]
    now: float
    next_due: float | None


class _Outcome(NamedTuple):
    error: APIError | None = None
    refused_inferred: IllegalTransition | None = None


class _World:
    """A fresh simulator with one thread and one assistant per behaviour; applies moves and logs them
    as scenario ``[[client]]`` entries."""

    def __init__(self, version: str, config: SimConfig, catalogue: Mapping[str, Behaviour]) -> None:
        self.version = version
        self.prof = get_profile(version)
        self.sim = Simulator(clock=Clock(DEFAULT_START), seed=0, config=config, version=version)
        self.catalogue = catalogue
        self.assistants: dict[str, str] = {}
        self.thread = self.sim.create_thread(messages=[{"role": "user", "content": FIRST_MESSAGE}])["id"]
        self.runs: list[str] = []
        self.behaviours: list[str] = []
        self.log: list[Json] = []

    def _assistant(self, name: str) -> str:
        found = self.assistants.get(name)
        if found is None:
            b = self.catalogue[name]
            found = self.sim.create_assistant(model="gpt-4o", name=name, tools=tools_for(b.script, self.version))["id"]
            self.sim.set_script(b.script, assistant_id=found)
            self.assistants[name] = found
        return found

    def active(self) -> str | None:
        for run_id in self.runs:
            if self.sim.peek_run(run_id)["status"] in self.prof.run.active:
                return run_id
        return None

    def available(self, max_runs: int) -> list[Move]:
        """The moves worth trying now (a refused create is tried once, not per behaviour)."""
        moves: list[Move] = []
        active = self.active()
        if len(self.runs) < max_runs:
            if active is None:
                moves += [Move(CREATE, b) for b in self.catalogue]
            else:
                moves.append(Move(CREATE, next(iter(self.catalogue))))
        moves.append(Move(ADD_MESSAGE))
        if self.runs:
            moves.append(Move(CANCEL))
            moves.append(Move(SUBMIT))
            required = self.sim.peek_run(self.runs[-1])["required_action"]
            if required and len(required[spec.REQUIRED_ACTION_TYPE]["tool_calls"]) > 1:
                moves.append(Move(SUBMIT_SOME))
        if self.sim.clock.next_due is not None:
            moves.append(Move(TICK))
        if active is not None and self.sim.peek_run(active)["expires_at"] - 1 > self.sim.clock.now:
            moves.append(Move(NEAR_DEADLINE))
        return moves

    def _advance(self, seconds: float) -> None:
        if float(seconds).is_integer():
            seconds = int(seconds)
        self.sim.advance(seconds)
        self.log.append({"do": "advance", "seconds": seconds})
        if self.runs:
            self.log.append({"do": "retrieve_run", "run": f"run{len(self.runs)}"})

    def apply(self, move: Move) -> _Outcome:
        """Apply ``move``; API refusals and strict-mode refusals of inferred edges are outcomes, not errors."""
        sim = self.sim
        entry: Json
        try:
            if move.do == CREATE:
                name = f"run{len(self.runs) + 1}"
                entry = {"do": "create_run", "assistant": move.behaviour, "run": name}
                self.log.append(entry)
                run = sim.create_run(self.thread, assistant_id=self._assistant(move.behaviour))
                assert isinstance(run, dict)
                self.runs.append(run["id"])
                self.behaviours.append(move.behaviour)
            elif move.do == ADD_MESSAGE:
                entry = {"do": "create_message", "content": EXTRA_MESSAGE}
                self.log.append(entry)
                sim.create_message(self.thread, role="user", content=EXTRA_MESSAGE)
            elif move.do in (CANCEL, SUBMIT, SUBMIT_SOME):
                run_id = self.runs[-1]
                name = f"run{len(self.runs)}"
                if move.do == CANCEL:
                    entry = {"do": "cancel", "run": name}
                    self.log.append(entry)
                    sim.cancel_run(self.thread, run_id)
                else:
                    required = sim.peek_run(run_id)["required_action"]
                    calls = required[spec.REQUIRED_ACTION_TYPE]["tool_calls"] if required else []
                    outputs = [f"output {i + 1}" for i in range(len(calls))] or ["output 1"]
                    if move.do == SUBMIT_SOME:
                        outputs = outputs[:1]
                    entry = {"do": "submit_tool_outputs", "run": name, "outputs": outputs}
                    self.log.append(entry)
                    payload = [{"tool_call_id": c["id"], "output": o} for c, o in zip(calls, outputs, strict=False)]
                    sim.submit_tool_outputs(self.thread, run_id, tool_outputs=payload)
            elif move.do == TICK:
                due = sim.clock.next_due
                assert due is not None
                self._advance(due - sim.clock.now)
                return _Outcome()
            elif move.do == NEAR_DEADLINE:
                active = self.active()
                assert active is not None
                self._advance(sim.peek_run(active)["expires_at"] - 1 - sim.clock.now)
                return _Outcome()
            else:
                raise RunfsmError(f"unknown move {move.do!r}; known: {', '.join(MOVES)}")
        except APIError as exc:
            entry["expect_error"] = exc.status
            return _Outcome(error=exc)
        except IllegalTransition as exc:
            self.log.pop()
            return _Outcome(refused_inferred=exc)
        if self.runs:
            self.log.append({"do": "retrieve_run", "run": f"run{len(self.runs)}"})
        return _Outcome()

    def observe(self) -> _Obs:
        sim = self.sim
        return _Obs(
            runs=tuple(sim.peek_run(r) for r in self.runs),
            steps=tuple(tuple(sim.peek_steps(r)) for r in self.runs),
            messages=tuple(tuple(sim.run_messages(r)) for r in self.runs),
            timelines=tuple(tuple(sim.timeline(r)) for r in self.runs),
            behaviours=tuple(self.behaviours),
            now=sim.clock.now,
            next_due=sim.clock.next_due,
        )


def _key(obs: _Obs, prof: Profile) -> tuple[Any, ...]:
    runs = tuple(
        (b, r["status"], tuple(s["status"] for s in steps), tuple(m["status"] for m in msgs))
        for b, r, steps, msgs in zip(obs.behaviours, obs.runs, obs.steps, obs.messages, strict=True)
    )
    active = next((r for r in obs.runs if r["status"] in prof.run.active), None)
    since = obs.now - active["created_at"] if active is not None else None
    due = obs.next_due - obs.now if obs.next_due is not None and active is not None else None
    return (runs, since, due)


def _observe_sim(sim: Simulator) -> _Obs:
    ids = [run_id for run_id, _ in sim.iter_runs()]
    return _Obs(
        runs=tuple(sim.peek_run(r) for r in ids),
        steps=tuple(tuple(sim.peek_steps(r)) for r in ids),
        messages=tuple(tuple(sim.run_messages(r)) for r in ids),
        timelines=tuple(tuple(sim.timeline(r)) for r in ids),
        behaviours=("",) * len(ids),
        now=sim.clock.now,
        next_due=sim.clock.next_due,
    )
