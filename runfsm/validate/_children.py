"""Run steps and messages: what the tracker knows of them, and the rules tying them to their run.

A step or message is checked like a run (its fields, then its move from the last
status), then against its run: it ends with the run (a step when the run completes
or expires, a message whatever the reason), a completed function step carries the
outputs the run waited for, a step is ``expired`` only if its run expired, and a
list page never shows two steps of one run in progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import spec
from ..lifecycle import Lifecycle
from ._checks import CREATED_AT, KIND_LABEL, OBJECT, STATUS, function_calls
from ._findings import ERROR, INFO, Finding, InputError
from ._moves import MoveRules
from ._rules import Rules
from ._runs import RunState
from ._state import ObjState, StreamState, Where
from ._streams import Emit, Streams

__all__ = ["Children"]


class Children(MoveRules):
    """The steps and messages of one tracker, and their checks.

    The tracker hands it its runs, its streams, where findings go, and ``judge_at`` (which
    switches the tracker, and so :attr:`rules`, to the period of a ``created_at``)."""

    def __init__(self, rules: Rules, runs: dict[str, RunState], streams: Streams, emit: Emit,
                 add: Callable[[Finding], None], judge_at: Callable[[object], None], dated: bool,
                 strict: bool) -> None:
        self.rules = rules
        self.runs = runs
        self.streams = streams
        self.emit = emit
        self.add = add
        self.judge_at = judge_at
        self.dated = dated
        self.strict = strict
        self.steps: dict[str, ObjState] = {}
        self.messages: dict[str, ObjState] = {}
        self.of_run: dict[str, list[str]] = {}  # run id -> its steps and messages
        self.expired: dict[str, str] = {}  # run id -> a step seen expired before its run ended

    def forget(self, run_id: str) -> None:
        """Drop the steps and messages of a run."""
        for child in self.of_run.pop(run_id, ()):
            self.steps.pop(child, None)
            self.messages.pop(child, None)
        self.expired.pop(run_id, None)

    def _emit(self, code: str, severity: str, message: str, oid: str | None, kind: str | None, where: Where,
              rule: str | None = None) -> None:
        self.emit(code, severity, message, oid, kind, where, rule)

    def _read(
        self, kind: str, d: dict[str, Any], where: Where,
        st: StreamState | None, part: str | None,
    ) -> tuple[str, str | None] | None:
        """Inspect a step or message and report its problems: ``(id, status)``, or None if unreadable."""
        if self.dated:
            self.judge_at(d.get(CREATED_AT))
        try:
            oid, status, problems = self.rules.checks[kind].inspect(d, where.source, where.line)
        except InputError as exc:
            self.add(exc.finding(where.idx))
            if st is not None and part is not None:
                self.streams.named_gap(st, kind, part, where.idx)
            return None
        if problems:
            for f in where.findings(problems, oid, kind):
                self.add(f)
        return oid, status

    def _advance(
        self, kind: str, lc: Lifecycle, states: dict[str, ObjState], d: dict[str, Any], oid: str,
        status: str, run_id: Any, where: Where, after: int, st: StreamState | None, part: str | None,
    ) -> bool:
        """Move a step or message to ``status``; False when the move is refused (a finding says why).

        ``after`` is the index of the last record this one is known to follow (its
        stream's, when it arrives in one)."""
        state = states.get(oid)
        if state is None:
            state = states[oid] = ObjState(oid, run_id)
            if run_id.__class__ is str:
                self.of_run.setdefault(run_id, []).append(oid)
        local: str | None = None
        if st is not None:
            local = self.streams.child_event(st, kind, d, oid, status, run_id, part, where, state)
        concurrent = state.last_idx > after and (st is None or st is not state.channel)
        return self._move(lc, kind, state, status, local, concurrent, st, where)

    def step(
        self, d: dict[str, Any], where: Where, after: int,
        st: StreamState | None, part: str | None,
    ) -> None:
        read = self._read("run_step", d, where, st, part)
        if read is None:
            return
        oid, status = read
        lc = self.rules.step_lc
        if status not in lc.statuses:
            if st is not None and part is not None:
                self.streams.named_gap(st, "run_step", part, where.idx)
            return
        assert status is not None
        run_id: str = d["run_id"]
        if st is not None:
            after = st.after
        if not self._advance("run_step", lc, self.steps, d, oid, status, run_id, where, after, st, part):
            return
        run = self.runs.get(run_id)
        self._after_run_end("run_step", oid, status, run, after, st, where)
        anchors = self.rules.anchors
        if status == anchors.step_clock_end:
            if run is not None and run.status in self.rules.run_lc.terminal:
                if run.status != anchors.run_clock_end:
                    self._emit("run_step.expired_run_not_expired", ERROR,
                               f"run step {oid} is {status!r} but its run {run_id} ended {run.status!r}; a step is "
                               "considered expired only if its run expired", oid, "run_step", where)
            else:
                self.expired[run_id] = oid
        if status in anchors.step_recorded_end:
            calls = function_calls(d)
            if calls:
                opening = st is not None and st.submit and st.events == 1
                self._outputs(oid, run_id, calls, run, opening, where)

    def _outputs(
        self, oid: str, run_id: str, calls: dict[str, bool], run: RunState | None, opening: bool,
        where: Where,
    ) -> None:
        """A completed function step carries an output for every call the run waited for.

        The step that paused the run is recognised by sharing call ids with the run's
        ``required_action``, or by opening the stream of submit_tool_outputs right after
        the run was seen waiting; steps of earlier rounds have other ids and are left alone."""
        missing = sorted(c for c, has in calls.items() if not has)
        if missing:
            self._emit("run_step.output_missing", ERROR,
                       f"run step {oid} completed with no output for function call(s) {', '.join(missing)}; a function "
                       "step completes when the outputs are submitted, with each call's output filled in",
                       oid, "run_step", where)
        if run is not None and run.required_ids and (
                (opening and run.status in self.rules.run_lc.paused) or not run.required_ids.isdisjoint(calls)):
            given = {c for c, has in calls.items() if has}
            lacking = sorted(run.required_ids - given)
            if lacking:
                self._emit("run_step.outputs_incomplete", ERROR,
                           f"run step {oid} completed, but run {run_id} required outputs for call ids "
                           f"{sorted(run.required_ids)} and the step has outputs for {sorted(given)}; "
                           "outputs must cover every pending call, in one request",
                           oid, "run_step", where)

    def parallel_steps(self, data: list[Any], where: Where) -> None:
        """A list page is one snapshot: two steps of one run in progress in it is two at once."""
        active = self.rules.step_lc.active
        step_type = spec.OBJECT_TYPES["run_step"]
        seen: dict[str, str] = {}
        for item in data:
            if isinstance(item, dict) and item.get(OBJECT) == step_type and item.get(STATUS) in active:
                run_id, sid = item.get("run_id"), item.get("id")
                if run_id.__class__ is not str or sid.__class__ is not str:
                    continue
                first = seen.setdefault(run_id, sid)
                if first != sid:
                    self._emit("run_step.parallel", ERROR,
                               f"run steps {first} and {sid} of run {run_id} are both {item.get(STATUS)!r} in one "
                               "list page; steps run one at a time", sid, "run_step", where)

    # === messages =============================================================================

    def message(
        self, d: dict[str, Any], where: Where, after: int,
        st: StreamState | None, part: str | None,
    ) -> None:
        read = self._read("message", d, where, st, part)
        if read is None:
            return
        oid, status = read
        lc = self.rules.msg_lc
        if status is None:
            if st is None or part is None:
                return  # create, retrieve and list answers carry no status: nothing to track
            status = lc.status_named.get(part, part)
        elif status not in lc.statuses:
            if st is not None and part is not None:
                self.streams.named_gap(st, "message", part, where.idx)
            return
        assert status is not None
        run_id = d.get("run_id")
        if st is not None:
            after = st.after
        if not self._advance("message", lc, self.messages, d, oid, status, run_id, where, after, st, part):
            return
        if run_id.__class__ is str:
            self._after_run_end("message", oid, status, self.runs.get(run_id), after, st, where)

    def _after_run_end(
        self, kind: str, oid: str, status: str, run: RunState | None, after: int, st: StreamState | None,
        where: Where,
    ) -> None:
        """A step or message still in progress after its run ended.

        A message ends with its run whatever the reason (doc: ``incomplete`` with the
        matching reason; in API v1, which has no ``incomplete``, only a completed run
        says how its message ends); a step does when the run completes or expires
        (doc), and is only inferred to when the run is cancelled, fails or runs out of
        tokens."""
        if run is None or status in self.rules.checks[kind].lifecycle.terminal or run.status not in self.rules.run_lc.terminal:
            return
        same_stream = st is not None and st.run_id == run.id and st.run_status in self.rules.run_lc.terminal
        if run.terminal_idx <= after or same_stream:
            if kind == "message":
                documented = run.status in self.rules.anchors.ordered_end[kind] or self.rules.anchors.message_ends_with_run
                if not documented:
                    return  # API v1: a message cannot end unless it completes
            else:
                documented = run.status in self.rules.step_ends_with_run
            sev = ERROR if documented or self.strict else INFO
            grade = "" if documented else " (inferred)"
            self._emit(f"{kind}.active_after_run_end", sev,
                       f"{KIND_LABEL[kind]} {oid} is {status!r} after its run {run.id} ended {run.status!r}; "
                       f"it ends with its run{grade}", oid, kind, where)
