"""What is checked in every state the explorer reaches.

The lifecycle rules are the validator's: every state is handed to a
:class:`~runfsm.validate.Tracker` judging by the explored model (:meth:`_Checker.oracle`):
each run's history as one stream of run events (so every status change must be one
legal edge, strict mode refusing inferred ones, and terminal statuses absorb), then
list pages of the runs (one active run per thread), of each run's steps (one step at
a time) and of its messages (none left open once their run ended, as the spec grades
it).  Every object that changed is also fed to a tracker after its previous snapshot
(:meth:`_Checker.validator`: field rules, terminal statuses of steps and messages).

Deliberately independent of the validator, because it cannot know them from the
objects alone:

* the clock: clock edges only once the deadline passed, nothing but an expiry after
  it, no active run outliving it, ``expires_at`` following the simulator's configured
  deadline; and which actor moved (server and clock edges only while time passes,
  client edges only during a client call);
* the API's refusals, exactly when the spec says and in its words (:meth:`_Checker.refusal`);
* the explorer's own record against the simulator's: the run created in the initial
  status, its shown status the last of its history, history never rewritten nor
  going back in time;
* couplings the validator checks only inside streams, which the explorer does not
  open: the paused run's tool step holding exactly its pending calls, steps ending
  with their run, a message-creation step and its message ending together, a
  message's ``incomplete_details`` naming the way its run ended.

``tests/explore/test_explore.py`` and ``tests/sim/test_edges_exact.py`` plant simulator bugs
that each of these, and the validator's part, must find.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

from .. import spec
from .._rows import CREATED
from ..lifecycle import Profile
from ..sim import SimConfig, Simulator
from ..validate import Tracker
from ._world import (
    ADD_MESSAGE,
    CANCEL,
    CREATE,
    NEAR_DEADLINE,
    SUBMIT,
    SUBMIT_SOME,
    TICK,
    Json,
    Move,
    _Obs,
    _observe_sim,
    _Outcome,
    _World,
)


class Violation(NamedTuple):
    """An invariant that failed in a state, and the moves that lead there."""

    path: tuple[Move, ...]
    message: str

    def __str__(self) -> str:
        return f"after {', '.join(map(str, self.path)) or '(setup)'}: {self.message}"


# Findings of the oracle's tracker that are violations: the lifecycle rules.  Its other
# findings (field rules) concern the stand-in snapshots of the history stream; the
# objects themselves go through the validator as polled (``_Checker.validator``).
_ORACLE_RULES = frozenset(
    f"{kind}.{rule}" for kind in ("run", "run_step", "message")
    for rule in ("illegal_transition", "terminal_left", "inferred_transition", "active_after_run_end")
) | {"run.thread_locked", "run_step.parallel"}


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
        events = {part: name for name, (kind, part) in prof.event_names().items() if kind == "run"}
        self.run_created = events[CREATED]
        self.run_events = {s: events[s] for s in run.order}

    def refusal(self, move: Move, outcome: _Outcome, before: _Obs, world: _World) -> list[str]:
        """The API refuses exactly when the spec says, with the spec's words."""
        prof, out = self.prof, []
        active = next((r for r in before.runs if r["status"] in prof.run.active), None)
        err = outcome.error
        latest = before.runs[-1] if before.runs else None

        def expect(hit: tuple[str, str] | None) -> None:
            if hit is None:
                if err is not None:
                    out.append(f"{move}: refused ({err}) although the spec allows it")
                return
            want = hit[1]
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
        # What the API answers is the spec's refusal rows, asked with what the server knew before the
        # move (the rows themselves are checked row by row against LIFECYCLE.md and in tests/spec/test_spec.py);
        # this check catches a simulator that refuses at other times or in other words.
        if move.do in (CREATE, ADD_MESSAGE):
            expect(prof.refusal("create_run" if move.do == CREATE else "add_message", thread_id=world.thread,
                                active_run_id=active["id"] if active is not None else None))
        elif move.do == CANCEL and latest is not None:
            expect(prof.refusal("cancel_run", status=latest["status"]))
        elif move.do in (SUBMIT, SUBMIT_SOME) and latest is not None:
            hit = prof.refusal("submit_tool_outputs", status=latest["status"])
            if hit is None and move.do == SUBMIT_SOME:
                calls = [c["id"] for c in latest["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]]
                hit = prof.refusal("submit_tool_outputs", expected=calls, got=calls[:1])
            expect(hit)
        return out

    def snapshot(self, obs: _Obs) -> list[str]:
        """The invariants of one state: the validator's lifecycle rules, then edges on time, deadlines, coupling."""
        prof, out = self.prof, self.oracle(obs)
        run_lc = prof.run
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
                if not run_lc.is_legal(a, b, self.strict):
                    continue  # the oracle reports it
                if (a, b) in self.clock_edges and t1 < deadline:
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
        """:meth:`snapshot`, plus the run histories only ever growing (the validator judges steps and messages
        leaving a terminal status, in :meth:`validator`)."""
        out = self.snapshot(after)
        for i, old in enumerate(before.timelines):
            timeline = after.timelines[i]
            if timeline[: len(old)] != old:
                out.append(f"run {after.runs[i]['id']}: its history was rewritten ({old} -> {timeline})")
        return out

    def oracle(self, obs: _Obs) -> list[str]:
        """The lifecycle rules, judged by the validator: each run's history streamed, then the state listed."""
        tracker = Tracker(strict=self.strict, model=self.prof)
        names = self.run_events
        for run, timeline in zip(obs.runs, obs.timelines, strict=True):
            stream = run["id"]
            tracker.begin_stream(stream)
            # The history's statuses, each carried by the run as it is now (only its status is of interest).
            tracker.feed_event(self.run_created, {**run, "status": timeline[0][1]}, stream=stream)
            for _, status in timeline:
                tracker.feed_event(names[status], {**run, "status": status}, stream=stream)
            tracker.end_stream(stream)
        tracker.feed({"object": "list", "data": list(obs.runs)})
        for steps, msgs in zip(obs.steps, obs.messages, strict=True):
            tracker.feed({"object": "list", "data": list(steps)})
            tracker.feed({"object": "list", "data": list(msgs)})
        return [f"validator: {f}" for f in tracker.findings if f.severity != "info" and f.code in _ORACLE_RULES]

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
        if status in run_lc.paused:
            calls = [c["id"] for c in run["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]]
            if len(open_steps) != 1 or open_steps[0]["type"] != spec.STEP_TOOL_CALLS:
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
            if s["type"] == spec.STEP_MESSAGE_CREATION:
                mid = s["step_details"][spec.STEP_MESSAGE_CREATION]["message_id"]
                m = by_id.get(mid)
                if m is None:
                    out.append(f"step {s['id']} writes message {mid}, which does not exist")
                    continue
                if s["status"] == self.step_done and m["status"] in msg_lc.active:
                    out.append(f"step {s['id']} completed but its message {mid} is still {m['status']!r}")
                if s["status"] in step_lc.active and m["status"] in msg_lc.terminal and \
                        status not in run_lc.terminal:
                    out.append(f"message {mid} ended {m['status']!r} while its step {s['id']} is still open")
        for m in msgs:
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



def invariant_violations(sim: Simulator, *, model: Profile | None = None) -> list[str]:
    """What is wrong with the current state of ``sim`` (empty: nothing), checked against ``model``.

    One active run per thread; every status change of every run a single legal
    edge (strict unless ``sim.config.inferred``), clock edges only once the
    deadline passed and nothing else after it; active runs keep their deadline;
    steps and messages coupled to their run (one step at a time, none open
    once the run ended, the paused run's tool step holding its pending calls,
    messages ending with their step and for the run's reason).  The lifecycle
    rules among these are judged by the validator (see this module's docstring).
    Read without tracing anything.
    """
    return _Checker(model or sim.profile, sim.config).snapshot(_observe_sim(sim))
