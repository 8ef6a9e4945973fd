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
``runfsm simulate`` (and :func:`runfsm.sim.scenario.run_scenario`) plays.

Two states are merged when their runs (behaviour, status, step and message
statuses), the time since the active run was created and the time to the next
scheduled event agree: the simulator's future depends on nothing else.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import spec
from .errors import IllegalTransition, RunfsmError
from .lifecycle import Profile, Transition
from .lifecycle import profile as get_profile
from .sim import (
    Action,
    APIError,
    CallFunctions,
    Clock,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueStall,
    RunOutOfTokens,
    Say,
    SimConfig,
    Simulator,
)
from .sim.clock import DEFAULT_START
from .sim.scenario import Scenario, format_scenario
from .validate import Tracker

__all__ = [
    "Behaviour",
    "Coverage",
    "Exploration",
    "Move",
    "Target",
    "Violation",
    "behaviours",
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

Json = dict[str, Any]

FIRST_MESSAGE = "What is the weather in Paris?"
EXTRA_MESSAGE = "And tomorrow?"


# --- what the model can do -----------------------------------------------------------------


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
        inner = action.during if isinstance(action, (Fail, RunOutOfTokens)) else action
        if isinstance(inner, CallFunctions):
            names += [c.name for c in inner.calls if c.name not in names]
        elif isinstance(inner, CodeInterpreter):
            used.add(kinds["code_interpreter"])
        elif isinstance(inner, FileSearch):
            used.add(kinds["file_search"])
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


class Violation(NamedTuple):
    """An invariant that failed in a state, and the moves that lead there."""

    path: tuple[Move, ...]
    message: str

    def __str__(self) -> str:
        return f"after {', '.join(map(str, self.path)) or '(setup)'}: {self.message}"


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


# --- invariants ----------------------------------------------------------------------------


class _Checker:
    def __init__(self, prof: Profile, config: SimConfig) -> None:
        self.prof = prof
        self.config = config
        self.strict = not config.inferred
        run = prof.run
        self.clock_edges = {(t.source, t.dest) for t in run.transitions if t.actor == "clock"}
        # Statuses the clock can end in this mode: a run in one of them must not outlive its deadline.
        self.expirable = {t.source for t in run.transitions if t.actor == "clock" and not (self.strict and t.inferred)}
        if not config.cancel_race:  # the cancel always wins: a cancelling run finishes its cancel, even late
            self.expirable -= {t.dest for t in run.transitions if t.actor == "client" and t.trigger == "cancel"}
        step = prof.run_step
        self.step_done = step.by_trigger[(step.initial, "complete")].dest
        self.reason_trigger = {v: k for k, v in spec.MESSAGE_REASON_BY_TRIGGER.items()}

    def refusal(self, move: Move, outcome: _Outcome, before: _Obs, world: _World) -> list[str]:
        """The API refuses exactly when the spec says, with the spec's words."""
        prof, out = self.prof, []
        active = next((r for r in before.runs if r["status"] in prof.run.active), None)
        err = outcome.error
        latest = before.runs[-1] if before.runs else None

        def expect(template: str | None, **fmt: Any) -> None:
            if template is None:
                if err is not None:
                    out.append(f"{move}: refused ({err}) although the spec allows it")
                return
            want = spec.REFUSALS[template].format(**fmt)
            if err is None:
                out.append(f"{move}: accepted, but the API refuses it: {want!r}")
            elif err.status != 400 or err.message != want:
                out.append(f"{move}: refused with HTTP {err.status} {err.message!r}; expected 400 {want!r}")

        if outcome.refused_inferred is not None:
            exc = outcome.refused_inferred
            edge = prof.run.by_trigger.get((latest["status"], "cancel")) if latest is not None else None
            if not (self.strict and move.do == CANCEL and edge is not None and edge.inferred):
                out.append(f"{move}: the simulator raised {exc}")
            return out
        if move.do in (CREATE, ADD_MESSAGE):
            key = "thread_locked_run" if move.do == CREATE else "thread_locked_message"
            if active is not None:
                expect(key, thread_id=world.thread, run_id=active["id"])
            else:
                expect(None)
        elif move.do == CANCEL and latest is not None:
            if latest["status"] in prof.run.terminal:
                expect("cancel_terminal", status=latest["status"])
            else:
                expect(None)
        elif move.do in (SUBMIT, SUBMIT_SOME) and latest is not None:
            if latest["status"] not in prof.run.paused:
                expect("submit_wrong_status", status=latest["status"])
            elif move.do == SUBMIT_SOME:
                calls = [c["id"] for c in latest["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]]
                expect("submit_missing_calls", expected=calls, got=calls[:1])
            else:
                expect(None)
        return out

    def snapshot(self, obs: _Obs) -> list[str]:
        """The invariants of one state: thread lock, single legal edges on time, deadlines, coupling."""
        prof, out = self.prof, []
        run_lc = prof.run
        by_thread: dict[str, list[str]] = {}
        for r in obs.runs:
            if r["status"] in run_lc.active:
                by_thread.setdefault(r["thread_id"], []).append(r["id"])
        for thread_id, ids in by_thread.items():
            if len(ids) > 1:
                out.append(f"thread lock: thread {thread_id} has {len(ids)} active runs ({', '.join(ids)})")
        for i, run in enumerate(obs.runs):
            rid, status = run["id"], run["status"]
            timeline = obs.timelines[i]
            if timeline[0][1] != run_lc.initial:
                out.append(f"run {rid}: created {timeline[0][1]!r}, not {run_lc.initial!r}")
            if status != timeline[-1][1]:
                out.append(f"run {rid}: shows {status!r} but its last status change was to {timeline[-1][1]!r}")
            deadline = run["created_at"] + self.config.deadline
            for (t0, a), (t1, b) in itertools.pairwise(timeline):
                if t1 < t0:
                    out.append(f"run {rid}: time went backwards ({a} at {t0}, {b} at {t1})")
                if a in run_lc.terminal:
                    out.append(f"run {rid}: left terminal status {a!r} for {b!r}")
                elif not run_lc.is_legal(a, b, self.strict):
                    legal = ", ".join(sorted(run_lc.next_statuses(a, self.strict))) or "nothing"
                    out.append(f"run {rid}: {a} -> {b} is not one legal edge (legal from {a}: {legal})")
                elif (a, b) in self.clock_edges and t1 < deadline:
                    out.append(f"run {rid}: {a} -> {b} (a clock edge) at {t1}, before the deadline {deadline}")
                elif (a, b) not in self.clock_edges and t1 > deadline and a in self.expirable:
                    out.append(f"run {rid}: {a} -> {b} at {t1}, after the deadline {deadline} (it should have expired)")
            if status in run_lc.active:
                if run["expires_at"] != deadline:
                    out.append(f"run {rid}: expires_at {run['expires_at']} while {status}; expected {deadline}")
                # At the deadline itself the expiry may still be queued behind another event due then.
                due_now = obs.next_due is not None and obs.next_due <= obs.now
                if status in self.expirable and (obs.now > deadline or (obs.now == deadline and not due_now)):
                    out.append(f"run {rid}: still {status!r} at {obs.now}, past its deadline {deadline}")
            out += self._coupling(run, obs.steps[i], obs.messages[i], [s for _, s in timeline])
        return out

    def state(self, before: _Obs, after: _Obs) -> list[str]:
        """:meth:`snapshot`, plus what may not change between two states (history, terminal statuses)."""
        out = self.snapshot(after)
        step_lc, msg_lc = self.prof.run_step, self.prof.message
        for i, old in enumerate(before.timelines):
            timeline = after.timelines[i]
            if timeline[: len(old)] != old:
                out.append(f"run {after.runs[i]['id']}: its history was rewritten ({old} -> {timeline})")
        for i, steps in enumerate(before.steps):
            now_steps = {s["id"]: s for s in after.steps[i]}
            for s in steps:
                if s["status"] in step_lc.terminal and now_steps[s["id"]]["status"] != s["status"]:
                    out.append(f"step {s['id']}: left terminal status {s['status']!r}")
            now_msgs = {m["id"]: m for m in after.messages[i]}
            for m in before.messages[i]:
                if m["status"] in msg_lc.terminal and now_msgs[m["id"]]["status"] != m["status"]:
                    out.append(f"message {m['id']}: left terminal status {m['status']!r}")
        return out

    def actors(self, move: Move, before: _Obs, after: _Obs) -> list[str]:
        """Each run status change was made by the actor the spec names: the clock moving makes only server
        and clock edges, a client call only client edges (time does not pass during a call)."""
        clock_move = move.do in (TICK, NEAR_DEADLINE)
        out = []
        for i, timeline in enumerate(after.timelines):
            old = before.timelines[i] if i < len(before.timelines) else ()
            statuses = [s for _, s in timeline[max(len(old) - 1, 0):]]
            for a, b in itertools.pairwise(statuses):
                actors = {t.actor for t in self.prof.run.edges(a, b)}
                if clock_move and actors == {"client"}:
                    out.append(f"{move}: run {after.runs[i]['id']} went {a} -> {b}, a client edge, while only time passed")
                elif not clock_move and "client" not in actors:
                    out.append(f"{move}: run {after.runs[i]['id']} went {a} -> {b} ({'/'.join(sorted(actors))}) "
                               "during a client call, when no time passes")
        return out

    def _coupling(self, run: Json, steps: Sequence[Json], msgs: Sequence[Json], history: list[str]) -> list[str]:
        prof, out = self.prof, []
        run_lc, step_lc, msg_lc = prof.run, prof.run_step, prof.message
        rid, status = run["id"], run["status"]
        open_steps = [s for s in steps if s["status"] in step_lc.active]
        if len(open_steps) > 1:
            out.append(f"run {rid}: {len(open_steps)} steps in progress at once")
        if status in run_lc.terminal and open_steps:
            out.append(f"run {rid} is {status!r} but step {open_steps[0]['id']} is still {open_steps[0]['status']!r}")
        if status in run_lc.paused:
            calls = [c["id"] for c in run["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]]
            if len(open_steps) != 1 or open_steps[0]["type"] != spec.STEP_TYPES[1]:
                out.append(f"run {rid} waits for outputs but has no open tool_calls step")
            else:
                step_calls = [c["id"] for c in open_steps[0]["step_details"]["tool_calls"]]
                if step_calls != calls:
                    out.append(f"run {rid}: required_action calls {calls} differ from its step's {step_calls}")
        by_id = {m["id"]: m for m in msgs}
        triggers = {t.trigger for a, b in itertools.pairwise(history) for t in run_lc.edges(a, b)}
        reasons = {spec.MESSAGE_REASON_BY_TRIGGER[t] for t in triggers if t in spec.MESSAGE_REASON_BY_TRIGGER}
        allowed_ends = {self.step_done}
        if status in step_lc.statuses:
            allowed_ends.add(status)
        for s in steps:
            if s["status"] in step_lc.terminal and s["status"] not in allowed_ends:
                out.append(f"run {rid} is {status!r} but its step {s['id']} ended {s['status']!r}")
            if s["type"] == spec.STEP_TYPES[0]:
                mid = s["step_details"][spec.STEP_TYPES[0]]["message_id"]
                m = by_id.get(mid)
                if m is None:
                    out.append(f"step {s['id']} writes message {mid}, which does not exist")
                    continue
                if s["status"] == self.step_done and m["status"] in msg_lc.active:
                    out.append(f"step {s['id']} completed but its message {mid} is still {m['status']!r}")
                if s["status"] in step_lc.active and m["status"] in msg_lc.terminal and \
                        status not in run_lc.terminal:
                    out.append(f"message {mid} ended {m['status']!r} while its step {s['id']} is still open")
        # A message still being written when its run ended, although the message lifecycle has an
        # edge for the way the run ended (v1 has none for an interrupted message).
        ends = [t for t in triggers if (msg_lc.initial, t) in msg_lc.by_trigger]
        for m in msgs:
            if m["status"] in msg_lc.active and status in run_lc.terminal and ends:
                out.append(f"run {rid} is {status!r} but its message {m['id']} is still {m['status']!r}")
            details = m.get("incomplete_details")
            if details is not None and details.get("reason") not in reasons:
                out.append(f"message {m['id']} is incomplete for {details.get('reason')!r}, but run {rid} "
                           f"went {' -> '.join(history)}")
        return out

    def validator(self, before: _Obs, after: _Obs) -> list[str]:
        """Every changed object, fed to the validator after its previous snapshot."""
        out: list[str] = []
        pairs: list[tuple[Json | None, Json]] = []
        for i, run in enumerate(after.runs):
            prev_run = before.runs[i] if i < len(before.runs) else None
            if run != prev_run:
                pairs.append((prev_run, run))
            old_steps = {s["id"]: s for s in before.steps[i]} if i < len(before.steps) else {}
            pairs += [(old_steps.get(s["id"]), s) for s in after.steps[i] if old_steps.get(s["id"]) != s]
            old_msgs = {m["id"]: m for m in before.messages[i]} if i < len(before.messages) else {}
            pairs += [(old_msgs.get(m["id"]), m) for m in after.messages[i] if old_msgs.get(m["id"]) != m]
        for prev, obj in pairs:
            tracker = Tracker(strict=self.strict, version=self.prof.version)
            if prev is not None:
                tracker.feed(prev)
                tracker.findings.clear()
            for f in tracker.feed(obj):
                if f.severity != "info":
                    out.append(f"validator: {f}")
        return out


# --- the search ------------------------------------------------------------------------------


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


def invariant_violations(sim: Simulator, *, model: Profile | None = None) -> list[str]:
    """What is wrong with the current state of ``sim`` (empty: nothing), checked against ``model``.

    One active run per thread; every status change of every run a single legal
    edge (strict unless ``sim.config.inferred``), clock edges only once the
    deadline passed and nothing else after it; active runs keep their deadline;
    steps and messages coupled to their run (one step at a time, none open
    once the run ended, the paused run's tool step holding its pending calls,
    messages ending with their step and for the run's reason).  Read without
    tracing anything.
    """
    return _Checker(model or sim.profile, sim.config).snapshot(_observe_sim(sim))


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


# --- scenario files ---------------------------------------------------------------------------


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


# --- runfsm paths ------------------------------------------------------------------------------


def main(args: Any) -> int:
    """``runfsm paths``: explore, check, and print (or write) the shortest path to every target as scenarios."""
    version = getattr(args, "version", spec.DEFAULT_VERSION)
    depth = getattr(args, "depth", 12)
    strict = bool(getattr(args, "strict", False))
    if not isinstance(depth, int) or depth < 1:
        print(f"runfsm paths: --depth must be a positive number of moves, got {depth!r}", file=sys.stderr)
        return 2
    exp = explore(version, inferred=not strict, depth=depth)
    files = scenario_files(exp)
    out_dir = getattr(args, "out", None)
    if out_dir:
        target = Path(out_dir)
        try:
            target.mkdir(parents=True, exist_ok=True)
            for name, text, _ in files:
                (target / name).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"runfsm paths: cannot write into {target}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(files)} scenario files into {target}")
    else:
        for name, text, _ in files:
            print(f"# ===== {name}")
            print(text)
    print(exp.summary(), file=sys.stderr if not out_dir else sys.stdout)
    for t in exp.coverage.unreached:
        print(f"not reached: {t}", file=sys.stderr)
    return 0 if exp.ok else 1
