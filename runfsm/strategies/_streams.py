"""Event streams: the server-sent events of one run along a legal path, every object in them
valid for its status.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .. import _wire_shapes as shapes
from .. import spec
from ..lifecycle import Lifecycle, Profile, Transition
from ._common import _BASE_TIME, _draw_ids, _Ids, _resolve
from ._objects import _message_object, _run_object, _step_details, _step_object
from ._paths import _draw_walk, _graph
from ._rules import field_requirement
from ._values import _FUNCTION_NAMES, _calls, _tool_call, _tool_definition

# --- SSE event streams ---------------------------------------------------------------------


def _end_edge(lc: Lifecycle, status: str, run_edge: Transition, previous: str | None,
              fallback: bool) -> Transition | None:
    """How a step or message in ``status`` ends when its run takes ``run_edge``.

    By the run's trigger if this lifecycle has it (``fail``, ``expire``, ...), else
    by the trigger that brought the run into its current status (a cancel that
    went through ``cancelling``), else toward the status of the run's name; with
    ``fallback`` the first edge of the spec (the ordinary one) ends it otherwise.
    """
    for trigger in (run_edge.trigger, previous):
        edge = lc.by_trigger.get((status, trigger)) if trigger else None
        if edge is not None:
            return edge
    same = lc.edges(status, run_edge.dest)
    if same:
        return same[0]
    if fallback:
        out = [t for t in lc.transitions if t.source == status]
        return out[0] if out else None
    return None


class _Stream:
    """Builds the events of one run along a path of run transitions, in the order the simulator's
    (:class:`~runfsm._wire_shapes.EventOrder`) declares (LIFECYCLE.md section 6)."""

    def __init__(self, draw: st.DrawFn, prof: Profile, ids: _Ids, created: int, expiry_key: str) -> None:
        self.draw = draw
        self.prof = prof
        self.ids = ids
        self.order = shapes.EventOrder(prof)
        self.events: list[tuple[str, Any]] = []
        self.now = created
        self.created = created
        self.deadline = created + spec.RUN_DEADLINE_SECONDS
        self.expiry_key = expiry_key
        self.started: int | None = None
        self.calls: list[tuple[str, str, str]] = []
        self.usage: dict[str, Any] | None = None
        self.run_error = {"code": draw(st.sampled_from(spec.RUN_ERROR_CODES)), "message": "Something went wrong."}
        self.run_reason = {"reason": draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS))}
        self.tools = [_tool_definition(k) for k in prof.tool_call_types if k != spec.PAUSING_TOOL_CALL_TYPE]
        self.tools += [_tool_definition(spec.PAUSING_TOOL_CALL_TYPE, n) for n in _FUNCTION_NAMES]
        self.step: dict[str, Any] | None = None
        self.msg: dict[str, Any] | None = None
        self.counter = 0

    # -- plumbing --

    def emit(self, name: str, data: Any) -> None:
        self.events.append((name, data))

    def tick(self, clock: bool = False) -> None:
        self.now += self.draw(st.integers(0, 2))
        if clock:
            self.now = max(self.now, self.deadline)
        else:
            self.now = min(self.now, self.deadline - 1)

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:03d}"

    # -- objects --

    def run(self, status: str) -> dict[str, Any]:
        # A run that must have started but was never seen working (a cancel that lost the race
        # before the run started, or a poller that missed in_progress) started now at the latest.
        if self.started is None and field_requirement(self.prof.run.field_rules, status, "started_at"):
            self.started = self.now
        values = {
            "required_action": shapes.required_action(self.calls) if self.calls else None,
            "last_error": self.run_error, "incomplete_details": self.run_reason, "usage": self.usage,
            "started_at": self.started, "expires_at": self.deadline,
            "cancelled_at": self.now, "failed_at": self.now, "completed_at": self.now,
        }
        return _run_object(self.prof, status, ids=self.ids, created_at=self.created, values=values,
                           free=lambda f: values.get(f) is not None, tools=self.tools)

    def step_obj(self, status: str) -> dict[str, Any]:
        assert self.step is not None
        values = {"last_error": shapes.error(spec.STEP_ERROR_CODES[0], "Something went wrong."),
                  "usage": shapes.usage(10, 5),
                  "cancelled_at": self.now, "failed_at": self.now, "completed_at": self.now, "ended_at": self.now}
        return _step_object(self.prof, status, step_id=self.step["id"], ids=self.ids, created_at=self.step["created"],
                            deadline=self.deadline, details=self.step["details"](status), values=values,
                            free=lambda f: values.get(f) is not None, expiry_key=self.expiry_key)

    def msg_obj(self, status: str) -> dict[str, Any]:
        assert self.msg is not None
        reason = None
        values: dict[str, Any] = {"completed_at": self.now, "incomplete_at": self.now}
        if self.msg.get("reason"):
            reason = {"reason": self.msg["reason"]}
        values["incomplete_details"] = reason
        text = "".join(self.msg["pieces"]) if status not in self.prof.message.active else ""
        return _message_object(self.prof, status, message_id=self.msg["id"], ids=self.ids,
                               created_at=self.msg["created"], text=text, from_run=True, values=values,
                               free=lambda f: values.get(f) is not None)

    # -- steps and messages --

    def open_step(self, step_type: str, calls: list[dict[str, Any]], message_id: str = "") -> None:
        self.tick()
        step_id = self.next_id("step")
        done_calls = calls

        def details(status: str) -> dict[str, Any]:
            finished = status not in self.prof.run_step.active
            shown = []
            for c in done_calls:
                c = dict(c)
                if c["type"] == spec.PAUSING_TOOL_CALL_TYPE:
                    c[c["type"]] = dict(c[c["type"]], output="ok" if finished else None)
                shown.append(c)
            return _step_details(step_type, message_id, shown)

        self.step = {"id": step_id, "created": self.now, "details": details, "status": self.prof.run_step.initial}
        for name in self.order.step_open:
            self.emit(name, self.step_obj(self.prof.run_step.initial))

    def step_deltas(self, calls: list[dict[str, Any]]) -> None:
        assert self.step is not None
        for i, c in enumerate(calls):
            self.tick()
            body = c[c["type"]]
            grown = body.get("arguments", body.get("input", ""))
            for part in shapes.call_deltas(i, c, self._split(grown) if grown else ()):
                self.emit(self.order.step_delta, shapes.step_delta(self.step["id"], spec.STEP_TOOL_CALLS, part))

    def _split(self, text: str) -> list[str]:
        n = self.draw(st.integers(1, 3))
        size = max(1, -(-len(text) // n))
        return [text[i:i + size] for i in range(0, len(text), size)]

    def end_step(self, edge: Transition) -> None:
        assert self.step is not None
        self.tick(clock=edge.actor == "clock")
        self.emit(self.order.step[edge.dest], self.step_obj(edge.dest))
        self.step = None

    def tool_step(self) -> None:
        """A code_interpreter / file_search step: runs on its own and completes (never pauses the run)."""
        kinds = [k for k in self.prof.tool_call_types if k != spec.PAUSING_TOOL_CALL_TYPE]
        kind = self.draw(st.sampled_from(kinds))
        calls = [_tool_call(kind, self.next_id("call"))]
        self.open_step(spec.STEP_TOOL_CALLS, calls)
        self.step_deltas(calls)
        finish = next(t for t in self.prof.run_step.transitions if t.source == self.prof.run_step.initial)
        self.end_step(finish)

    def open_message(self) -> None:
        msg_id = self.next_id("msg")
        self.open_step(spec.STEP_MESSAGE_CREATION, [], msg_id)
        self.tick()
        pieces = self.draw(st.lists(st.sampled_from(("Hello", " there", "!", " The answer is", " 42.")),
                                    min_size=1, max_size=4))
        self.msg = {"id": msg_id, "created": self.now, "pieces": pieces, "reason": None}
        for name in self.order.message_open:
            self.emit(name, self.msg_obj(self.prof.message.initial))
        for i, piece in enumerate(pieces):
            self.tick()
            self.emit(self.order.message_delta, shapes.message_delta(msg_id, piece, [] if i == 0 else None))

    def end_message(self, edge: Transition) -> None:
        assert self.msg is not None
        self.msg["reason"] = spec.MESSAGE_REASON_BY_TRIGGER.get(edge.trigger)
        self.tick(clock=edge.actor == "clock")
        self.emit(self.order.message[edge.dest], self.msg_obj(edge.dest))
        self.msg = None

    # -- the run --

    def run_event(self, edge: Transition | None, status: str) -> None:
        if edge is not None:
            self.tick(clock=edge.actor == "clock")
        self.emit(self.order.run[status], self.run(status))
        if status in self.order.stop:  # the stream ends here
            self.emit(self.order.done, shapes.DONE_DATA)


def run_event_streams(
    *,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 10,
    finished: bool = True,
    thread_created: bool | None = None,
    profile: Profile | None = None,
) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """The server-sent events of one run, in the order of LIFECYCLE.md section 6.

    A legal run path (stream view) is drawn, then turned into events: the first
    stream (``thread.created`` first when ``thread_created``; drawn when None)
    opens with ``thread.run.created``; while the run works, tool steps complete on
    their own and a message step writes a message (``delta`` events included);
    function calls leave their step open at ``requires_action``; each stream ends
    with ``done`` when the run pauses or ends, and the stream of
    ``submit_tool_outputs`` starts by completing the tool step (if the run is
    cancelled or expires while paused, no stream is open: the events end at the
    pause).  A run that is
    cancelled, fails or expires ends its open message (``incomplete``, with the
    matching reason) and step first.  Every object in every event is valid for
    its status, timestamps only move forward, and ``expires_at`` holds.

    The result is a list of ``(event name, data)`` pairs; ``data`` is a wire dict,
    or ``"[DONE]"`` for ``done``.
    """
    prof = _resolve(version, profile)
    lc = prof.run
    g = _graph(lc, strict)
    working = frozenset({lc.working} if lc.working else ())
    # Triggers that fire only from a paused status (submit_tool_outputs): the client resumes the run
    # with a new streaming request.  Anything else after a pause happens with no stream open.
    resume = frozenset(t.trigger for t in lc.transitions if t.source in lc.paused) - frozenset(
        t.trigger for t in lc.transitions if t.source not in lc.paused)
    msg_lc = prof.message

    @st.composite
    def build(draw: st.DrawFn) -> list[tuple[str, Any]]:
        path = _draw_walk(draw, g, lc.initial, max_steps, finished, by_dest=False)
        ids = _draw_ids(draw)
        s = _Stream(draw, prof, ids, _BASE_TIME + draw(st.integers(0, 10**7)),
                    draw(st.sampled_from(spec.STEP_EXPIRY_KEYS)))
        if thread_created if thread_created is not None else draw(st.booleans()):
            s.emit(s.order.thread_created, shapes.thread_object(ids.thread, s.created, {}, {}))
        for name in s.order.run_open:
            s.emit(name, s.run(lc.initial))
        previous: str | None = None
        for i, edge in enumerate(path):
            if edge.source in lc.paused and edge.trigger not in resume:
                break  # the stream ended at the pause; the client did not resume it with a stream
            final = next((t for t in path[i:] if t.dest in lc.terminal), None)
            final_prev = path[path.index(final) - 1].trigger if final is not None and path.index(final) > 0 else None
            if edge.source in working:
                for _ in range(draw(st.integers(0, 2))):
                    s.tool_step()
                if edge.dest in lc.paused:
                    s.calls = _calls(draw, f"{i}x")
                    calls = [_tool_call(spec.PAUSING_TOOL_CALL_TYPE, c, name=n, arguments=a) for c, n, a in s.calls]
                    s.open_step(spec.STEP_TOOL_CALLS, calls)
                    s.step_deltas(calls)
                else:
                    ends = final is not None and _end_edge(msg_lc, msg_lc.initial, final, final_prev, False)
                    normal = bool(ends) and final is not None and final.dest in msg_lc.statuses
                    if ends and (normal or draw(st.booleans())):
                        s.open_message()
                    elif draw(st.booleans()):
                        s.open_step(spec.STEP_MESSAGE_CREATION, [], s.next_id("msg"))
            if edge.source in lc.paused and edge.dest == lc.initial and s.step is not None:
                # submit_tool_outputs: a new stream starts by completing the tool step, outputs filled
                s.calls = []
                s.end_step(_end_edge(prof.run_step, s.step["status"], edge, previous, True) or edge)
            if edge.dest in lc.terminal:
                if s.msg is not None:
                    m_edge = _end_edge(msg_lc, msg_lc.initial, edge, previous, True)
                    assert m_edge is not None
                    s.end_message(m_edge)
                if s.step is not None:
                    s_edge = _end_edge(prof.run_step, prof.run_step.initial, edge, previous, True)
                    assert s_edge is not None
                    s.end_step(s_edge)
                s.calls = []
                if s.usage is None:
                    s.usage = {"prompt_tokens": 20, "completion_tokens": 11, "total_tokens": 31}
            if edge.dest in working:
                s.tick()
                s.started = s.now
            s.run_event(edge, edge.dest)
            previous = edge.trigger
        return s.events

    return build()
