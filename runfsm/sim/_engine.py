"""How simulated runs move on the clock: the server side of the simulator.

Every status change of a run, run step or message goes through the compiled
spec (``Lifecycle.fire``: one dict lookup that raises
:class:`~runfsm.IllegalTransition`), in strict mode unless ``SimConfig.inferred``.
Steps and messages move with their run as LIFECYCLE.md section 4 says.

Each active run has at most one live scheduled action (its next milestone, or
its deadline when that comes first); abandoned ones are recognised by the run's
``epoch`` and skipped.  Nothing here ever looks at other runs, so the cost of an
event does not depend on how many runs exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, cast

from .. import spec
from ..errors import IllegalTransition
from ..lifecycle import Lifecycle, Profile
from ._clock import Clock
from ._config import SimConfig
from ._errors import ScriptError, describe
from ._ids import IdMaker
from ._records import File, Message, Run, Step, Thread
from ._script import (
    Action,
    CallFunctions,
    CodeInterpreter,
    FileSearch,
    Say,
    Script,
    ScriptAction,
    ScriptContext,
    StepAction,
    ToolOutput,
    estimate_tokens,
    pauses,
    writes_message,
)
from ._stream import DONE_DATA, EventNames, Sink, StreamEvent
from ._wire import Wire, step_type

__all__ = ["Engine"]

_END = object()  # a callable script said it is done

MAX_ACTIONS_PER_SECOND = 1000
"""A run taking more script actions than this within one second of simulated time is a runaway script."""


class Engine:
    """Creates runs and moves them (and their steps and messages) along the spec."""

    def __init__(self, clock: Clock, config: SimConfig, profile: Profile, ids: IdMaker, wire: Wire,
                 messages: dict[str, Message], files: dict[str, File]) -> None:
        self.clock = clock
        self.messages = messages  # every message by id (the backend's index)
        self.files = files  # every file by id (the backend's): a code interpreter's images join them
        self.config = config
        self.strict = not config.inferred
        self.ids = ids
        self.wire = wire
        self.names = EventNames(profile)
        self.run_lc: Lifecycle = profile.run
        self.step_lc: Lifecycle = profile.run_step
        self.msg_lc: Lifecycle = profile.message
        self.version = profile.version
        # Token budgets exist where the spec has an edge for them (API v2, not v1).
        self._budgets = "run_out_of_tokens" in profile.run.triggers
        run = profile.run
        self.queued = run.initial
        self.in_progress = run.require_working()
        self.cancelling = run.by_trigger[(self.in_progress, "cancel")].dest
        self.terminal = run.terminal
        self.run_table = run.by_trigger_strict if self.strict else run.by_trigger
        self.reasons = spec.MESSAGE_REASON_BY_TRIGGER
        self.tool_type = wire.tool_type
        # Bind the scheduled handlers once: a fresh bound method per scheduled action would be one
        # more object per pending action for the garbage collector to scan.
        for name in ("_on_start", "_on_step_done", "_on_calls_ready", "_on_expire", "_on_end", "_on_out_of_tokens",
                     "_on_cancelled"):
            setattr(self, name, getattr(self, name))
        # How an action that ends the run (its ENDS) ends it: one handler per run trigger, reading the action.
        self._enders: dict[str, Callable[[Run, Any], None]] = {
            "fail": lambda run, action: self._fail(run, (action.code, action.error_message)),
            "run_out_of_tokens": lambda run, action: self._out_of_tokens(run, action.reason, None),
            "expire": lambda run, action: self._expire(run),
        }
        # Liveness bookkeeping (runfsm.sim._liveness): how many runs are active, and since when none is.
        self.active_runs = 0
        self.last_ended: Run | None = None
        self.idle_since: float = 0
        self.idle_epoch = 0
        self.on_status: Callable[[Run, str], None] | None = None
        """Called after every run status change (a test harness's outside parties hook in here)."""

    # -- status changes (the only places statuses are written) ------------------

    def _move_run(self, run: Run, trigger: str) -> str:
        dest = self.run_lc.fire(run.status, trigger, self.strict, run.id).dest
        run.status = dest
        run.history += (self.clock.now, dest)
        if dest in self.terminal:
            run.epoch += 1  # whatever was scheduled for it is moot
            run.step = None
            run.message = None
            if run.thread.active_run is run:
                run.thread.active_run = None
            self.ended(run)
        if self.on_status is not None:
            self.on_status(run, dest)
        return dest

    def ended(self, run: Run) -> None:
        """Count a run that stopped being active (it ended, or its thread was deleted)."""
        self.active_runs -= 1
        if not self.active_runs:
            self.last_ended = run
            self.idle_since = self.clock.now
            self.idle_epoch += 1

    def _emit_run(self, run: Run) -> None:
        sink = run.sink
        if sink is not None:
            sink.append((self.names.run[run.status], self.wire.run(run)))
            if run.status in self.names.stop:  # the stream ends here
                sink.append((self.names.done, DONE_DATA))
                run.sink = None

    def _emit(self, run: Run, event: StreamEvent) -> None:
        if run.sink is not None:
            run.sink.append(event)

    def _move_step(self, step: Step, trigger: str, error: tuple[str, str] | None = None) -> None:
        step.status = self.step_lc.fire(step.status, trigger, self.strict, step.id).dest
        ts = self.clock.timestamp
        if trigger == "complete":
            step.completed_at = ts
            step.usage = step.tokens
        elif trigger == "cancel":
            step.cancelled_at = ts
        elif trigger == "fail":
            step.failed_at = ts
            step.last_error = error
        # An expired step has no stamp of its own on the wire: its expires_at is the run's deadline.
        run = step.run
        if run.sink is not None:
            if trigger == "complete" and step.message is None:
                for d in self.wire.step_deltas(step, self.config.delta_chars, finished=True):
                    run.sink.append((self.names.step_delta, d))
            run.sink.append((self.names.step[step.status], self.wire.step(step, streamed=True)))

    def _end_message(self, msg: Message | None, trigger: str) -> None:
        """End the message being written: completed, or incomplete for the reason ``trigger`` names."""
        if msg is None:
            return
        now = self.clock.now
        upto = self.wire.written(msg, now)
        if trigger != "complete":
            msg.cut = upto
            if trigger not in self.msg_lc.triggers:  # API v1 has no incomplete messages: it ends as written
                trigger = "complete"
        msg.status = self.msg_lc.fire(msg.status, trigger, self.strict, msg.id).dest
        ts = self.clock.timestamp
        if trigger == "complete":
            msg.completed_at = ts
        else:
            msg.incomplete_at = ts
            msg.incomplete_reason = self.reasons[trigger]
        run = msg.run
        if run is not None and run.sink is not None:
            for d in self.wire.message_deltas(msg, upto, self.config.delta_chars):
                run.sink.append((self.names.message_delta, d))
            run.sink.append((self.names.message[msg.status], self.wire.message(msg, now, streamed=True)))

    def complete_client_message(self, msg: Message) -> None:
        """A message added by the client is complete as soon as it exists."""
        msg.status = self.msg_lc.fire(msg.status, "complete", self.strict, msg.id).dest
        msg.completed_at = msg.created_at

    def _refuse_inferred(self, run: Run, trigger: str, what: str, status: str | None = None) -> None:
        """Raise unless ``trigger`` may fire from ``status`` (default: the run's) in this mode, with a hint."""
        src = run.status if status is None else status
        if (src, trigger) in self.run_table:
            return
        legal = sorted(t for (s, t) in self.run_table if s == src)
        hint = ""
        if (src, trigger) in self.run_lc.by_trigger:
            hint = f" {what} takes an inferred edge: create the Simulator with SimConfig(inferred=True) to allow it."
        raise IllegalTransition("run", src, None, legal, run.id, trigger=trigger, strict=self.strict, note=hint)

    # -- scheduling ----------------------------------------------------------------

    def _after(self, run: Run, delay: float, handler: Callable[..., None], *extra: Any) -> None:
        """Run ``handler(run, epoch, *extra)`` after ``delay``, unless the deadline comes first."""
        at = self.clock.now + delay
        if at >= run.expires_at:
            self.clock.schedule(run.expires_at, self._on_expire, run, run.epoch)
        else:
            self.clock.schedule(at, handler, run, run.epoch, *extra)

    # -- scripts ---------------------------------------------------------------------

    def context(self, run: Run, extra: tuple[ToolOutput, ...] = ()) -> ScriptContext:
        now = self.clock.now
        return ScriptContext(
            run_id=run.id,
            thread_id=run.thread.id,
            assistant_id=run.assistant_id,
            messages=tuple(self.wire.message(m, now) for m in run.thread.messages),
            tool_outputs=tuple(ToolOutput._make(t) for t in run.tool_outputs) + extra,
            actions_done=run.cursor,
        )

    def peek(self, run: Run, extra: tuple[ToolOutput, ...] = ()) -> Action | None:
        """The run's next action (a callable script is asked once, then remembered)."""
        script = run.script
        if isinstance(script, tuple):
            return cast("Action", script[run.cursor]) if run.cursor < len(script) else None
        if run.pending is None:
            fn = cast("Callable[[ScriptContext], Action | None]", script)
            try:
                action = fn(self.context(run, extra))
            except Exception as exc:  # the test author's bug: report it as such, with their traceback chained
                text = str(exc)
                raise ScriptError(
                    f"run {run.id}: script action {run.cursor}: the script raised {type(exc).__name__}: "
                    f"{text if len(text) <= 200 else text[:199] + '…'}",
                    run_id=run.id, action=run.cursor,
                ) from exc
            if action is not None and not isinstance(action, ScriptAction):
                raise ScriptError(
                    f"run {run.id}: script action {run.cursor}: the script returned {describe(action)}; "
                    "expected an action (Say, CallFunctions, ...) or None to finish",
                    run_id=run.id, action=run.cursor,
                )
            run.pending = _END if action is None else action
        return None if run.pending is _END else cast("Action", run.pending)

    def _take(self, run: Run) -> Action | None:
        action = self.peek(run)
        run.pending = None
        if action is not None:
            run.cursor += 1
        return action

    def end_problem(self, action: Action) -> str | None:
        """Why ``action`` cannot end a run of this version (an end with no handler or no edge), or None."""
        if not action.ENDS or (action.ENDS in self._enders and action.ENDS in self.run_lc.triggers):
            return None
        legal = ", ".join(t for t in self._enders if t in self.run_lc.triggers)
        return (f"API {self.version} cannot end a run by {action.ENDS!r} ({type(action).__name__}); "
                f"a script ends it by {legal}")

    def check_queue_fault(self, run: Run, action: Action | None) -> None:
        """Raise now (before any change) if the queued run's next action needs an edge this mode refuses."""
        if action is not None and action.in_queue and action.ENDS:
            self._refuse_inferred(run, action.ENDS, f"Ending a run in the queue ({type(action).__name__})", self.queued)

    # -- run creation and the queue ------------------------------------------------------

    def new_run(self, thread: Thread, assistant_id: str, script: Script) -> Run:
        self.clock.check_after(self.config.deadline, "the run's deadline")  # before any change
        ts = self.clock.timestamp
        run = Run(self.ids("run"), thread, assistant_id, ts, self.queued, ts + self.config.deadline)
        run.script = script
        return run

    def start_run(self, run: Run, sink: Sink | None) -> None:
        """Register a new (queued) run on its thread and schedule its start."""
        run.sink = sink
        run.thread.runs.append(run)
        run.thread.active_run = run
        run.history += (self.clock.now, run.status)
        self.active_runs += 1
        if self.on_status is not None:
            self.on_status(run, run.status)
        if sink is not None:
            data = self.wire.run(run)
            for name in self.names.run_open:
                sink.append((name, data))
        self._enqueue(run)

    def _enqueue(self, run: Run) -> None:
        action = self.peek(run)
        delay: float = self.config.queue_latency
        if action is not None and action.in_queue:
            self._take(run)
            if action.ENDS:  # (a queue that never starts the run holds it past its deadline: it expires queued)
                self._after(run, action.duration, self._on_end, action)
                return
            delay = action.duration
        at = min(self.clock.now + delay, run.expires_at)  # a run still queued at its deadline starts and expires
        self.clock.schedule(at, self._on_start, run, run.epoch)

    def _on_start(self, run: Run, epoch: int) -> None:
        if run.epoch != epoch or (run.status, "start") not in self.run_table:
            return
        self._move_run(run, "start")
        run.started_at = self.clock.timestamp
        if not run.base_prompt:
            run.base_prompt = self._prompt_size(run)
        self._emit_run(run)
        self._next(run)

    def _prompt_size(self, run: Run) -> int:
        text = [run.instructions or ""]
        for m in run.thread.messages:
            text.append(m.text if m.parts is None else "".join(
                p["text"]["value"] for p in m.parts if p.get("type") == "text"))
        return estimate_tokens("".join(text))

    # -- the model's actions --------------------------------------------------------------

    def _tokens(self, run: Run, action: StepAction) -> tuple[int, int]:
        prompt = action.prompt_tokens
        if prompt is None:
            prompt = run.base_prompt + run.completion_tokens
        completion = action.completion_tokens
        return prompt, action.estimate if completion is None else completion

    def _next(self, run: Run) -> None:
        """Take the run's next action (the run is in progress); a script error fails the run."""
        index = run.cursor
        try:
            self._take_next(run)
        except ScriptError as exc:  # (peek turns whatever a callable script raises into one)
            if run.status in self.terminal:
                raise
            self.script_failed(run, exc, index)

    def script_failed(self, run: Run, exc: ScriptError, index: int) -> NoReturn:
        """End ``run`` as ``failed`` (``server_error``) after its script failed, then raise :class:`ScriptError`.

        The run, its step and its message end as a server failure would end them (so the
        thread unlocks and nothing stays scheduled); a ``queued`` run starts first, so
        only strict edges are taken.
        """
        cause = str(exc)
        for prefix in (f"run {run.id}: ", f"script action {index}: "):
            if cause.startswith(prefix):
                cause = cause[len(prefix):]
        if run.status == self.queued:
            self._move_run(run, "start")
            run.started_at = self.clock.timestamp
            self._emit_run(run)
        self._fail(run, ("server_error", f"The simulated model's script failed at action {index}."))
        raise ScriptError(
            f"run {run.id}: script action {index}: {cause} (the run has failed with server_error)",
            run_id=run.id, action=index,
        ) from (exc.__cause__ or exc)  # the script's own exception, when it raised one

    def _take_next(self, run: Run) -> None:
        ts = self.clock.timestamp
        if run.burst_at != ts:
            run.burst_at = ts
            run.burst = 0
        run.burst += 1
        if run.burst > MAX_ACTIONS_PER_SECOND:
            raise ScriptError(
                f"runaway script: more than {MAX_ACTIONS_PER_SECOND} actions within one second of simulated time "
                "(durations of 0 or next to nothing); give the actions durations, or end the script"
            )
        action = self._take(run)
        if action is None:
            self._move_run(run, "complete")
            run.completed_at = self.clock.timestamp
            self._emit_run(run)
            return
        if action.in_queue:
            raise ScriptError(
                f"run {run.id}: action {run.cursor - 1} ({type(action).__name__}) acts on the queue, but the run is "
                f"{run.status!r}; put queue actions first, or right after a CallFunctions"
            )
        if action.ENDS:
            problem = self.end_problem(action)
            if problem:
                raise ScriptError(f"run {run.id}: {problem}")
            if action.during is not None:
                self._begin(run, action.during)
            self._after(run, action.duration, self._on_end, action)
            return
        action = cast("StepAction", action)  # neither in the queue nor ending the run: it works in a step
        tokens = self._tokens(run, action)
        opts = run.options or {}
        max_prompt = opts.get("max_prompt_tokens")
        if max_prompt is not None and tokens[0] > max_prompt and self._budgets:
            self._out_of_tokens(run, "max_prompt_tokens", None)
            return
        max_completion = opts.get("max_completion_tokens")
        if max_completion is not None and run.completion_tokens + tokens[1] > max_completion and self._budgets:
            left = max(0, max_completion - run.completion_tokens)
            if not writes_message(action) or not tokens[1]:
                self._out_of_tokens(run, "max_completion_tokens", None)
                return
            self._begin(run, action, (tokens[0], left))
            cut = len(cast("Say", action).text) * left // tokens[1]
            self._after(run, action.duration * left / tokens[1], self._on_out_of_tokens, "max_completion_tokens", cut)
            return
        self._begin(run, action, tokens)
        if pauses(action):
            self._after(run, action.duration, self._on_calls_ready)
        else:
            self._after(run, action.duration, self._on_step_done)

    def _check_tools(self, run: Run, action: StepAction) -> None:
        if not action.TOOL:
            return
        kinds = {t.get("type") for t in run.tools if isinstance(t, dict)}
        if pauses(action):  # functions are checked by name
            action = cast("CallFunctions", action)
            names = {
                t["function"].get("name") for t in run.tools
                if isinstance(t, dict) and t.get("type") == spec.PAUSING_TOOL_CALL_TYPE and isinstance(t.get("function"), dict)
            }
            for c in action.calls:
                if c.name not in names:
                    raise ScriptError(
                        f"run {run.id}: the script calls function {c.name!r}, which is not among the run's tools "
                        f"({', '.join(sorted(str(n) for n in names)) or 'no functions'})"
                    )
            if len(action.calls) > 1 and (run.options or {}).get("parallel_tool_calls") is False:
                raise ScriptError(f"run {run.id}: parallel_tool_calls is false but the script calls {len(action.calls)} functions at once")
            return
        want = self.tool_type[action.TOOL]
        if want not in kinds:
            raise ScriptError(f"run {run.id}: the script uses {want}, which is not among the run's tools ({', '.join(sorted(map(str, kinds))) or 'none'})")
        if action.TOOL == FileSearch.TOOL:
            missing = [r.file_id for r in cast("FileSearch", action).results if r.file_id not in self.files]
            if missing:
                raise ScriptError(f"run {run.id}: the search finds file {missing[0]!r}, which the simulator does not "
                                  "hold; upload it first (files.create, or Simulator.upload_file)")

    def _begin(self, run: Run, action: StepAction,
               tokens: tuple[int, int] | None = None) -> Step:
        """Create the step (and message) ``action`` works in; stream its opening events."""
        self._check_tools(run, action)
        now = self.clock.now
        ts = self.clock.timestamp
        step = Step(self.ids("run_step"), run, step_type(action), ts, self.step_lc.initial, action)
        step.tokens = tokens if tokens is not None else self._tokens(run, action)
        msg = None
        if writes_message(action):
            action = cast("Say", action)
            msg = Message(self.ids("message"), run.thread, "assistant", ts, self.msg_lc.initial)
            msg.run = run
            msg.assistant_id = run.assistant_id
            msg.text = action.text
            msg.t0 = now
            msg.t1 = now + action.duration
            if action.citations:
                msg.citations = tuple((c, c.file_id or self._cited_file(run, c.marker)) for c in action.citations)
            run.thread.messages.append(msg)
            self.messages[msg.id] = msg
            step.message = msg
            run.message = msg
        else:
            step.call_ids = tuple(self.ids("call") for _ in range(action.call_count))
            if action.TOOL == FileSearch.TOOL:  # names as they are now (a file deleted later keeps its name here)
                step.found = tuple((r.file_id, self.files[r.file_id].filename, r.score, r.text)
                                   for r in cast("FileSearch", action).results)
        run.steps.append(step)
        run.step = step
        sink = run.sink
        if sink is not None:
            fresh = self.wire.step(step, fresh=True, streamed=True)
            for name in self.names.step_open:
                sink.append((name, fresh))
            if msg is not None:
                data = self.wire.message(msg, now, streamed=True, fresh=True)
                for name in self.names.message_open:
                    sink.append((name, data))
            else:
                for d in self.wire.step_deltas(step, self.config.delta_chars, finished=False):
                    sink.append((self.names.step_delta, d))
        return step

    def _cited_file(self, run: Run, marker: str) -> str:
        for m in run.thread.messages:
            for att in m.attachments:
                if isinstance(att, dict) and isinstance(att.get("file_id"), str):
                    return cast(str, att["file_id"])
        raise ScriptError(
            f"run {run.id}: citation {marker!r} names no file and no message of thread {run.thread.id} "
            "has an attachment; give Citation(file_id=...) or attach a file to a message"
        )

    # -- scheduled milestones ----------------------------------------------------------------

    def _live(self, run: Run, epoch: int, trigger: str) -> bool:
        """True if this scheduled action still applies and ``trigger`` may fire now."""
        return run.epoch == epoch and (run.status, trigger) in self.run_table

    def _on_step_done(self, run: Run, epoch: int) -> None:
        if run.epoch != epoch or run.step is None:
            return
        step = run.step
        self._end_message(step.message, "complete")
        images = cast("CodeInterpreter", step.action).images if step.action.TOOL == CodeInterpreter.TOOL else ()
        if images:
            step.image_ids = tuple(self._output_file(step, i, image) for i, image in enumerate(images))
        self._move_step(step, "complete")
        run.prompt_tokens += step.tokens[0]
        run.completion_tokens += step.tokens[1]
        run.step = None
        run.message = None
        if run.status == self.cancelling:  # cancel race: the model finished a step while the cancel was pending
            try:
                last = self.peek(run) is None
            except ScriptError as exc:
                self.script_failed(run, exc, run.cursor)
            if last and (run.status, "complete") in self.run_table:
                self._next(run)  # the cancel lost the race
            return
        self._next(run)

    def _on_calls_ready(self, run: Run, epoch: int) -> None:
        if not self._live(run, epoch, "require_action"):
            return  # (a pending cancel wins: a cancelling run never asks for outputs)
        self._move_run(run, "require_action")
        self._emit_run(run)
        self.clock.schedule(run.expires_at, self._on_expire, run, run.epoch)

    def _on_expire(self, run: Run, epoch: int) -> None:
        if not self._live(run, epoch, "expire"):
            return
        self._expire(run)

    def _expire(self, run: Run) -> None:
        self._end_message(run.message, "expire")
        if run.step is not None:
            self._move_step(run.step, "expire")
        self._move_run(run, "expire")
        self._emit_run(run)

    def _on_end(self, run: Run, epoch: int, action: ScriptAction) -> None:
        """The end an action declares (its ENDS trigger), after its duration."""
        if not self._live(run, epoch, action.ENDS):
            return
        self._enders[action.ENDS](run, action)

    def _output_file(self, step: Step, index: int, content: bytes) -> str:
        """A file the code interpreter wrote (its name is runfsm's: no source records one)."""
        f = File(self.ids("file"), self.clock.timestamp, f"{step.call_ids[0]}-{index}.png", "assistants_output", content)
        self.files[f.id] = f
        return f.id

    def _fail(self, run: Run, error: tuple[str, str]) -> None:
        """Fail the run with ``error``: its message ends incomplete, its step failed (LIFECYCLE.md section 4)."""
        self._end_message(run.message, "fail")
        if run.step is not None:
            self._move_step(run.step, "fail", error)
        self._move_run(run, "fail")
        run.failed_at = self.clock.timestamp
        run.last_error = error
        self._emit_run(run)

    def _on_out_of_tokens(self, run: Run, epoch: int, reason: str, cut: int | None) -> None:
        if not self._live(run, epoch, "run_out_of_tokens"):
            return
        self._out_of_tokens(run, reason, cut)

    def _out_of_tokens(self, run: Run, reason: str, cut: int | None) -> None:
        step = run.step
        if step is not None:
            msg = step.message
            if msg is not None:
                if cut is not None:
                    msg.cut = cut
                else:
                    written = self.wire.written(msg, self.clock.now)
                    if msg.text:
                        p, c = step.tokens
                        step.tokens = (p, c * written // len(msg.text))
                self._end_message(msg, "run_out_of_tokens")
            self._move_step(step, "complete")
            run.prompt_tokens += step.tokens[0]
            run.completion_tokens += step.tokens[1]
        self._move_run(run, "run_out_of_tokens")
        run.completed_at = self.clock.timestamp
        run.incomplete_reason = reason
        self._emit_run(run)

    # -- client actions ---------------------------------------------------------------------------

    def submit(self, run: Run, outputs: dict[str, str], sink: Sink | None) -> None:
        """Record the outputs (already checked), complete the step, re-queue the run."""
        step = run.step
        calls = run.waiting_calls
        assert step is not None and calls is not None
        ordered = tuple(outputs[cid] for cid in step.call_ids)
        new = tuple(ToolOutput(cid, c.name, c.arguments, out)
                    for cid, c, out in zip(step.call_ids, calls.calls, ordered, strict=True))
        failure: ScriptError | None = None
        try:
            nxt = self.peek(run, new)  # before any change: a bad queue fault must not leave the run stuck
        except ScriptError as exc:  # the script failed: the submit still happens, then the run fails at once
            failure, nxt = exc, None
        self.check_queue_fault(run, nxt)
        run.tool_outputs = (*run.tool_outputs, *((t.call_id, t.name, t.arguments, t.output) for t in new))
        run.epoch += 1  # the deadline watch of requires_action is moot
        run.sink = sink
        step.outputs = ordered
        self._move_step(step, "complete")
        run.prompt_tokens += step.tokens[0]
        run.completion_tokens += step.tokens[1]
        run.base_prompt += sum(estimate_tokens(o) for o in ordered)
        run.step = None
        self._move_run(run, "submit_tool_outputs")
        self._emit_run(run)
        if failure is not None:
            self.script_failed(run, failure, run.cursor)
        self._enqueue(run)

    def cancel(self, run: Run) -> None:
        """Move an active run to ``cancelling`` and schedule the end of the cancel."""
        self._refuse_inferred(run, "cancel", f"Cancelling a run that is {run.status!r}")
        self.clock.check_after(self.config.cancel_delay, "SimConfig.cancel_delay")  # before any change
        if not self.config.cancel_race:
            run.epoch += 1  # the model stops here
            if run.message is not None:
                run.message.cut = self.wire.written(run.message, self.clock.now)
        self._move_run(run, "cancel")
        self._emit_run(run)
        if self.config.cancel_race and self.clock.now + self.config.cancel_delay >= run.expires_at:
            # The deadline comes before the cancel can finish: it wins the race.
            self.clock.schedule(run.expires_at, self._on_expire, run, run.epoch)
        self.clock.call_later(self.config.cancel_delay, self._on_cancelled, run, run.epoch)

    def _on_cancelled(self, run: Run, epoch: int) -> None:
        if run.status != self.cancelling or (not self.config.cancel_race and run.epoch != epoch):
            return
        self._end_message(run.message, "cancel")
        if run.step is not None:
            self._move_step(run.step, "cancel")
        self._move_run(run, "finish_cancel")
        run.cancelled_at = self.clock.timestamp
        self._emit_run(run)
