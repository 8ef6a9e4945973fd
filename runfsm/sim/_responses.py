"""A small Responses API backend on the simulator's clock: background mode, streams, resumes, cancels.

Every status change goes through :meth:`Lifecycle.fire` of the compiled
:data:`runfsm.responses_spec.PROTOCOL`, every refusal is a row of its
``REFUSALS`` table, and time is the injected :class:`~runfsm.sim.Clock`: a
background response is ``queued`` when created, starts after the queue delay,
and ends ``duration`` seconds later, as the script's action says.  The script
vocabulary is the Assistants one: each response takes its queue actions
(:class:`QueueDelay`, :class:`QueueStall`) and then one model action
(:class:`Say`, :class:`CallFunctions`, :class:`Fail`, :class:`RunOutOfTokens`,
or :class:`FilterContent`, which only this API knows).
Every response keeps its stream events (with ``sequence_number`` from 0), so a
background stream can be resumed after any of them.

The backend keeps the numbers the simulator's liveness watch asks of an engine
(responses active, the last to end and when) and joins the simulator's watch,
so a client that polls an ended response forever is stopped like one that polls
an ended run.
"""

from __future__ import annotations

import json
import random
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn, cast

from .. import responses_spec as rspec
from .. import spec
from ..lifecycle import compile_protocol
from ._clock import Clock
from ._engine import MAX_ACTIONS_PER_SECOND
from ._errors import APIError, ConfigError, ScriptError, describe
from ._params import _bad, _kind
from ._script import (
    Action,
    CallFunctions,
    Fail,
    Say,
    ScriptAction,
    ScriptContext,
    _check_common,
    check_writing,
    pauses,
    writes_message,
)

__all__ = ["FilterContent", "ResponsesBackend", "responses_of"]

_LC = compile_protocol(rspec.PROTOCOL).primary
_REFUSAL = {r.key: r for r in rspec.REFUSALS}
# The statuses the backend moves through, read off the compiled lifecycle rather than restated.
_WORKING = _LC.require_working()  # where a foreground response is created, and where a model action runs
_CANCELLED = _LC.by_trigger[(_LC.initial, "cancel")].dest
_COMPLETED = _LC.by_trigger[(_WORKING, "complete")].dest
_OBSERVED = {m.source: m.dest for m in rspec.OBSERVED_MOVES}
# The stream events that carry the response object: its creation and every streamed status.
_OBJECT_EVENTS = frozenset(f"{rspec.EVENT_PREFIX}.{s}" for s in (*rspec.STREAMED_STATUSES, *rspec.RESPONSE.event_extra))
QUEUE_SECONDS = 1  # how long a background response waits in the queue unless the script says otherwise
DEFAULT_REPLY = Say("OK.")  # what the model says once the script has run out
_TOKEN_PREFIX = {"response": "resp_", "message": "msg_", "call": "call_", "function_call": "fc_"}


@dataclass(frozen=True, slots=True)
class FilterContent(ScriptAction):
    """The response ends ``incomplete`` (reason ``content_filter``) after ``duration`` seconds.

    ``during``: the message being written when the filter cut it (half of it is kept).
    """

    ENDS: ClassVar[str] = "filter_content"

    duration: float = 0
    during: Say | None = None

    def __post_init__(self) -> None:
        check_writing("FilterContent", self.during)
        _check_common(self)  # the clock's range: inf or 10**400 would not fit on it


_Step = Action | FilterContent  # what a response can take from its script
# The output items this simulator writes: messages and function calls (the API's hosted tools, such
# as its own code interpreter and file search, are not simulated).
_TOOLS = ("", spec.PAUSING_TOOL_CALL_TYPE)


def _unplayable(action: object) -> str | None:
    """Why a response cannot play ``action`` (None: it can), read off the action's declarations.

    The simulated response writes messages and function calls, and ends by the triggers of its
    lifecycle; an action of another tool (the Assistants' code interpreter, file search) or ending
    by a trigger the lifecycle has no edge for is refused (queue actions end it before it starts,
    as a stall)."""
    if not isinstance(action, ScriptAction):
        return describe(action)
    for part in (action, action.during):
        if part is not None and part.TOOL not in _TOOLS:
            step = "its step" if part is action else f"the step it interrupts ({type(part).__name__})"
            return (f"{step} uses the {part.TOOL} tool, and the simulated response writes only messages and "
                    "function calls")
    if action.ENDS and not action.in_queue and action.ENDS not in _LC.triggers:
        return f"it ends by {action.ENDS!r}, which a response has no edge for"
    return None
_NOT_PLAYING = object()  # no script played yet: the first one read starts at its first action


def _refuse(key: str, status: int = 400, **fields: Any) -> APIError:
    row = _REFUSAL[key]
    return APIError(status, row.template.format(**fields), code=key if status == 400 else None)


def _flag(param: str, value: object, default: bool) -> bool:
    """A boolean body field: ``None`` is its default; anything but a boolean is the API's 400."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(param, f"Invalid type for '{param}': expected a boolean, but got {_kind(value)} instead.")
    return value


class _Response:
    __slots__ = ("action", "background", "body", "calls", "created_at", "events", "history", "id", "status", "store")

    def __init__(self, rid: str, body: dict[str, Any], background: bool, store: bool, now: float) -> None:
        self.id = rid
        self.created_at = now
        self.history: tuple[Any, ...] = (now, body["status"])  # (time, status) flat, as a run's
        self.body = body
        self.background = background
        self.store = store
        self.status = body["status"]
        self.events: list[dict[str, Any]] = []
        self.calls: dict[str, str] = {}  # call id -> function name, of the function calls it made
        self.action: _Step | None = None


class ResponsesBackend:
    """The Responses endpoints of one simulated server: ``create``, ``retrieve``, ``cancel``, ``resume``.

    ``cancel_finished`` says what a cancel of a background response that already
    ended answers: ``"return"`` (the object, 200: what the idempotence sentence of
    the reference implies), ``"conflict"`` (409) or ``"refuse"`` (400), as servers
    were seen to do.  ``lose_cancel_race=True`` plays the race reported in practice:
    a cancel of a running response answers ``cancelled`` and the response later
    reads ``completed`` (tolerant mode only, see docs/responses.md).
    ``cut_streams_after=N`` ends the first stream of every response after ``N``
    events, as a dropped connection does: the client has to resume it
    (``starting_after``) or poll; :attr:`cuts` says where each stream was cut.

    A script error (a callable that raises or returns what is not an action, an
    action this API cannot play, more than ``MAX_ACTIONS_PER_SECOND`` actions for
    one response) ends that response ``failed`` (``server_error``) and raises
    :class:`ScriptError` naming the response and the action index, as a run's does.
    """

    terminal = _LC.terminal

    def __init__(self, clock: Clock | None = None, *, seed: int = 0, script: Any = None,
                 cancel_finished: str = "return", lose_cancel_race: bool = False,
                 default_script: Callable[[], Any] | None = None) -> None:
        if cancel_finished not in rspec.CANCEL_FINISHED:
            raise ConfigError(f"cancel_finished takes one of {', '.join(rspec.CANCEL_FINISHED)}, "
                              f"not {describe(cancel_finished)}")
        self.clock = clock if clock is not None else Clock()
        self.cancel_finished = cancel_finished
        self.lose_cancel_race = bool(lose_cancel_race)
        self._rng = random.Random(f"responses:{seed}")  # its own ids: the Assistants ids stay as they were
        self._script: Any = None  # set_script's; None: the default_script source's, read at each action
        self._default_script = default_script
        self._playing: Any = _NOT_PLAYING  # the script the cursor counts in: a new one starts it at 0
        self._cursor = 0
        self._responses: dict[str, _Response] = {}
        self._by_age: deque[_Response] = deque()  # creation order: the oldest is the first to leave retention
        self.cut_streams_after: int | None = None
        self.cuts: dict[str, int] = {}
        """Response id -> the last sequence number its cut stream sent."""
        self.followed: set[str] = set()
        """The ids of responses retrieved or resumed after their stream was cut."""
        self.streamed: list[str] | None = None
        """When a list, the type of every stream event sent, in order."""
        self.on_status: Callable[[str, str], None] | None = None
        """Called with the response id and its status when it is created and after every change (outside parties)."""
        # The liveness bookkeeping runfsm.sim._liveness asks of an engine.
        self.active_runs = 0
        self.last_ended: _Response | None = None
        self.idle_since: float = 0
        self.idle_epoch = 0
        self.watch: Any = None
        if script is not None:
            self.set_script(script)

    # -- the script --------------------------------------------------------------------------

    def set_script(self, script: Any) -> None:
        """The model's actions, taken in order across responses (a sequence, or a callable).

        It replaces the simulator's default script for this backend, which is otherwise
        read each time a response needs its next action.
        """
        if callable(script) and not isinstance(script, (list, tuple)):
            self._script = script
        else:
            if isinstance(script, (str, bytes)) or not hasattr(script, "__iter__"):
                raise ScriptError(f"a script is a sequence of actions or a callable, got {describe(script)}")
            actions = tuple(script)
            for i, a in enumerate(actions):
                why = _unplayable(a)
                if why is not None:
                    raise ScriptError(f"script action {i} ({type(a).__name__}) is not an action the Responses API "
                                      f"can play: {why}")
            self._script = actions
        self._playing = _NOT_PLAYING

    def _current_script(self) -> Any:
        script = self._script
        if script is None:
            script = self._default_script() if self._default_script is not None else None
            script = () if script is None else script
        if script is not self._playing:  # set anew (here or on the simulator): play it from its start
            self._playing = script
            self._cursor = 0
        return script

    def _next(self, rid: str) -> _Step:
        """The script's next action; a :class:`ScriptError` if it has none this API can play."""
        script = self._current_script()
        index = self._cursor
        self._cursor += 1
        if callable(script):
            try:
                action = script(ScriptContext(rid, "", "", (), (), index))
            except Exception as exc:
                raise ScriptError(f"the script raised {type(exc).__name__}: {exc}") from exc
            if action is None:
                return DEFAULT_REPLY
        elif index < len(script):
            action = script[index]
        else:
            self._cursor = index  # a script that has run out stays out
            return DEFAULT_REPLY
        why = _unplayable(action)
        if why is not None:
            raise ScriptError(f"{type(action).__name__} is not an action the Responses API can play: {why}")
        return cast(_Step, action)

    def _actions(self, r: _Response) -> float | None:
        """Take ``r``'s queue actions and its model action: the queue delay (None: stalled).

        A script error fails ``r`` (see :meth:`_script_failed`).
        """
        delay: float | None = 0
        for _ in range(MAX_ACTIONS_PER_SECOND):  # every one is taken at the same simulated instant
            index = self._cursor
            try:
                action = self._next(r.id)
            except ScriptError as exc:
                self._script_failed(r, exc, index)
            # An action ending the response by an edge of this protocol is played while it works (no
            # queued edge for it); a queue action ending it otherwise (the Assistants' deadline) stalls it.
            if not action.in_queue or action.ENDS in _LC.triggers:
                r.action = action
                return delay
            if r.background:
                delay = None if action.ENDS else (delay or 0) + action.duration
        self._script_failed(r, ScriptError(
            f"runaway script: more than {MAX_ACTIONS_PER_SECOND} actions within one second of simulated time "
            "(queue actions without end); end the queue actions with a model action"), self._cursor)

    def _script_failed(self, r: _Response, exc: ScriptError, index: int) -> NoReturn:
        """End ``r`` as ``failed`` (``server_error``) along the lifecycle, then raise :class:`ScriptError`."""
        r.action = None
        if r.status == _LC.initial:
            self._set(r, "start")
        r.body["error"] = {"code": "server_error", "message": f"The simulated model's script failed at action {index}."}
        self._set(r, "fail")
        raise ScriptError(
            f"response {r.id}: script action {index}: {exc} (the response has failed with server_error)",
            run_id=r.id, action=index,
        ) from (exc.__cause__ or exc)  # the script's own exception, when it raised one

    def _id(self, kind: str) -> str:
        return _TOKEN_PREFIX[kind] + self._rng.randbytes(16).hex()

    # -- requests ----------------------------------------------------------------------------

    def create(self, *, model: str | None = None, input: Any = None, background: bool | None = False,
               store: bool | None = True, stream: bool | None = False, previous_response_id: str | None = None,
               instructions: str | None = None, metadata: Any = None, max_output_tokens: int | None = None,
               **extra: Any) -> dict[str, Any] | Iterator[dict[str, Any]]:
        """``POST /v1/responses``: the response object, or its stream events when ``stream``."""
        self._drop_expired()
        background = _flag("background", background, False)
        store = _flag("store", store, True)
        stream = _flag("stream", stream, False)
        if model is None:
            raise APIError(400, "Missing required parameter: 'model'.", param="model")
        if background and not store:
            raise _refuse("background_needs_store")
        if previous_response_id is not None and not isinstance(previous_response_id, str):
            raise _bad("previous_response_id", "Invalid type for 'previous_response_id': expected a string, "
                                               f"but got {_kind(previous_response_id)} instead.")
        self._function_outputs(input, previous_response_id)
        now = self.clock.timestamp
        rid = self._id("response")
        body: dict[str, Any] = {
            "id": rid, "object": "response", "created_at": now, "status": _LC.initial if background else _WORKING,
            "background": background, "completed_at": None, "error": None, "incomplete_details": None,
            "instructions": instructions, "max_output_tokens": max_output_tokens, "metadata": metadata or {},
            "model": model, "output": [], "parallel_tool_calls": True, "previous_response_id": previous_response_id,
            "store": store, "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
            "tools": extra.get("tools") or [], "top_p": 1.0, "truncation": "disabled", "usage": None, "user": None,
        }
        r = _Response(rid, body, background, store, self.clock.now)
        self._responses[rid] = r
        self._by_age.append(r)
        self.active_runs += 1
        self._emit(r, rspec.EVENT_CREATED)
        self._status_event(r)
        if self.on_status is not None:
            self.on_status(rid, r.status)
        delay = self._actions(r)
        if background:
            if delay is not None:
                self.clock.call_later(delay if delay else QUEUE_SECONDS, self._start, r)
            return self._stream(r, -1, self.cut_streams_after) if stream else dict(r.body)
        self._start(r)
        if stream:
            return self._stream(r, -1, self.cut_streams_after)
        self.clock.advance(self._duration(r.action))  # a foreground request returns when the response ends
        return dict(r.body)

    def retrieve(self, response_id: str) -> dict[str, Any]:
        """``GET /v1/responses/{id}``."""
        self._drop_expired()
        r = self._stored(response_id)
        self._read(r)
        return dict(r.body)

    def resume(self, response_id: str, starting_after: int | None = None) -> Iterator[dict[str, Any]]:
        """``GET /v1/responses/{id}?stream=true&starting_after=N``: the events after ``N``, then the rest live."""
        self._drop_expired()
        if starting_after is not None and (
                isinstance(starting_after, bool) or not isinstance(starting_after, int) or starting_after < 0):
            # A sequence number: a negative one would index the events from their end.
            raise _bad("starting_after", "Invalid 'starting_after': expected an integer >= 0, "
                                         f"but got {describe(starting_after)} instead.")
        r = self._stored(response_id)
        self._read(r)
        if not r.background:
            raise _refuse("resume_not_background")
        if self.clock.now - r.body["created_at"] > rspec.RESUME_WINDOW_SECONDS:
            raise _refuse("resume_too_old")
        cursor = -1 if starting_after is None else starting_after
        if cursor >= len(r.events):
            raise _refuse("resume_past_end")
        return self._stream(r, cursor)

    def cancel(self, response_id: str) -> dict[str, Any]:
        """``POST /v1/responses/{id}/cancel``."""
        self._drop_expired()
        r = self._stored(response_id)
        if not r.background:
            raise _refuse("cancel_not_background")
        if r.status in _LC.terminal:
            if self.cancel_finished == "conflict" and r.status != _CANCELLED:
                raise APIError(409, f"Cannot cancel a response with status '{r.status}'.")
            if self.cancel_finished == "refuse" and r.status != _CANCELLED:
                raise APIError(400, f"Cannot cancel a response with status '{r.status}'.")
            return dict(r.body)
        self._set(r, "cancel")
        answer = dict(r.body)
        if self.lose_cancel_race:  # the model finished anyway: every later read says so
            self._observe(r)
        return answer

    # -- what happens on the clock ------------------------------------------------------------

    def timelines(self) -> dict[str, list[tuple[float, str]]]:
        """Response id -> every status it has been in, with the simulated time it entered it (responses kept)."""
        return {rid: [(r.history[i], r.history[i + 1]) for i in range(0, len(r.history), 2)]
                for rid, r in self._responses.items()}

    def _read(self, r: _Response) -> None:
        if r.id in self.cuts:
            self.followed.add(r.id)
        if self.watch is not None:
            self.watch.retrieved(r, self)

    def _expired(self, r: _Response) -> bool:
        """True when no read finds ``r`` any more: never stored, or a background response past retention."""
        return not r.store or (r.background and self.clock.now - r.body["created_at"] > rspec.RETENTION_SECONDS)

    def _drop_expired(self) -> None:
        """Forget the responses whose retention has ended (each is looked at once: O(1) amortised).

        Only the oldest are looked at, so a response that is never dropped (a stored
        foreground one) leaves the queue when its retention would have ended.  A dropped
        response that still runs goes on: the clock holds it until it ends.
        """
        by_age, now = self._by_age, self.clock.now
        while by_age and now - by_age[0].body["created_at"] > rspec.RETENTION_SECONDS:
            r = by_age.popleft()
            if self._expired(r):
                del self._responses[r.id]
                self.cuts.pop(r.id, None)
                self.followed.discard(r.id)

    def _stored(self, response_id: str) -> _Response:
        r = self._responses.get(response_id)
        if r is None or self._expired(r):
            raise APIError(404, _REFUSAL["response_not_found"].template.format(run_id=response_id),
                           param="response_id")
        return r

    def _function_outputs(self, items: Any, previous: str | None) -> list[dict[str, Any]]:
        outputs = [(n, i) for n, i in enumerate(items) if isinstance(i, dict) and i.get("type") == "function_call_output"] \
            if isinstance(items, list) else []
        for n, item in outputs:
            if not isinstance(item.get("call_id"), str):
                param = f"input[{n}].call_id"
                raise _bad(param, f"Invalid type for '{param}': expected a string, but got "
                                  f"{_kind(item.get('call_id'))} instead.")
        if previous is None:
            if outputs:
                raise APIError(400, "function_call_output items need previous_response_id: no tool call is "
                                    f"known for call_id {describe(outputs[0][1].get('call_id'))}.", param="input")
            return []
        prev = self._responses.get(previous)
        if prev is None or not prev.store:
            raise APIError(404, f"Previous response with id '{previous}' not found.", param="previous_response_id")
        for _, item in outputs:
            if item["call_id"] not in prev.calls:
                raise APIError(400, f"No tool call found for function call output with call_id "
                                    f"{describe(item['call_id'])}.", param="input")
        return [item for _, item in outputs]

    @staticmethod
    def _duration(action: _Step | None) -> float:
        return float(getattr(action, "duration", 0) or 0)

    def _start(self, r: _Response) -> None:
        if r.background:
            if r.status != _LC.initial:
                return  # cancelled while queued
            self._set(r, "start")
        self.clock.call_later(self._duration(r.action), self._end, r)

    def _end(self, r: _Response) -> None:
        if r.status != _WORKING:
            return  # cancelled while it worked
        action = r.action
        trigger = action.ENDS if action is not None else ""
        if trigger == "fail":
            failing = cast("Fail", action)  # any action ending by "fail" has a code and an error_message
            r.body["error"] = {"code": failing.code, "message": failing.error_message}
            self._set(r, trigger)
            return
        if trigger:  # it ends incomplete, for the reason its trigger names
            during = action.during if action is not None else None
            text = cast("Say", during).text if during is not None else ""
            if text:
                self._message(r, text[: max(1, len(text) // 2)], "incomplete")
            r.body["incomplete_details"] = {"reason": rspec.REASON_BY_TRIGGER[trigger]}
            self._set(r, trigger)
            return
        if action is not None and pauses(action):
            for call in cast("CallFunctions", action).calls:
                self._function_call(r, call.name, call.arguments)
        elif action is not None and writes_message(action):
            self._message(r, cast("Say", action).text, "completed")
        r.body["completed_at"] = self.clock.timestamp
        r.body["usage"] = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
                           "input_tokens_details": {"cached_tokens": 0},
                           "output_tokens_details": {"reasoning_tokens": 0}}
        self._set(r, "complete")

    def _set(self, r: _Response, trigger: str) -> None:
        """Fire ``trigger`` on ``r``: its new status, and the status event when the API streams one."""
        self._enter(r, _LC.fire(r.status, trigger, obj_id=r.id).dest)
        self._status_event(r)

    def _observe(self, r: _Response) -> None:
        """Move ``r`` along the move observed after its terminal status (no event: its streams have ended)."""
        dest = _OBSERVED[r.status]
        if dest == _COMPLETED:
            r.body["completed_at"] = self.clock.timestamp
        self._enter(r, dest)

    def _enter(self, r: _Response, dest: str) -> None:
        ended = dest in _LC.terminal and r.status not in _LC.terminal
        r.status = dest
        r.body["status"] = dest
        r.history += (self.clock.now, dest)
        if ended:
            self.active_runs -= 1
            if not self.active_runs:
                self.last_ended = r
                self.idle_since = self.clock.now
                self.idle_epoch += 1
        if self.on_status is not None:
            self.on_status(r.id, dest)

    def _status_event(self, r: _Response) -> None:
        if r.status in rspec.STREAMED_STATUSES:
            self._emit(r, f"{rspec.EVENT_PREFIX}.{r.status}")

    def _emit(self, r: _Response, kind: str, **fields: Any) -> None:
        event: dict[str, Any] = {"type": kind, "sequence_number": len(r.events), **fields}
        if kind in _OBJECT_EVENTS:
            event["response"] = json.loads(json.dumps(r.body))  # the object as it was then
        r.events.append(event)

    def _message(self, r: _Response, text: str, status: str) -> None:
        mid = self._id("message")
        index = len(r.body["output"])
        item: dict[str, Any] = {"id": mid, "type": "message", "role": "assistant", "status": "in_progress",
                                "content": []}
        self._emit(r, "response.output_item.added", output_index=index, item=dict(item))
        part = {"type": "output_text", "text": "", "annotations": []}
        self._emit(r, "response.content_part.added", item_id=mid, output_index=index, content_index=0, part=part)
        for word in _chunks(text):
            self._emit(r, "response.output_text.delta", item_id=mid, output_index=index, content_index=0,
                       delta=word, logprobs=[])
        self._emit(r, "response.output_text.done", item_id=mid, output_index=index, content_index=0, text=text,
                   logprobs=[])
        done_part = {"type": "output_text", "text": text, "annotations": []}
        self._emit(r, "response.content_part.done", item_id=mid, output_index=index, content_index=0, part=done_part)
        item.update(status=status, content=[done_part])
        r.body["output"].append(item)
        self._emit(r, "response.output_item.done", output_index=index, item=dict(item))

    def _function_call(self, r: _Response, name: str, arguments: str) -> None:
        call_id, fid = self._id("call"), self._id("function_call")
        index = len(r.body["output"])
        item = {"id": fid, "type": "function_call", "call_id": call_id, "name": name, "arguments": "",
                "status": "in_progress"}
        self._emit(r, "response.output_item.added", output_index=index, item=dict(item))
        self._emit(r, "response.function_call_arguments.delta", item_id=fid, output_index=index, delta=arguments)
        self._emit(r, "response.function_call_arguments.done", item_id=fid, output_index=index, arguments=arguments)
        item.update(arguments=arguments, status="completed")
        r.body["output"].append(item)
        r.calls[call_id] = name
        self._emit(r, "response.output_item.done", output_index=index, item=dict(item))

    def _stream(self, r: _Response, cursor: int, cut: int | None = None) -> Iterator[dict[str, Any]]:
        """The events after ``cursor``, moving the clock to the next change when caught up (``cut``: at most so many).

        Each event is found holding the clock's lock (reading moves the shared clock), which
        is let go before the event is handed out: a slow reader blocks no other thread.
        """
        sent = cursor
        while True:
            with self.clock.lock:
                while sent + 1 >= len(r.events):
                    if r.status in _LC.terminal or self.clock.next_due is None:
                        return  # ended (a cancel sends no event), or nothing will ever change (a stalled queue)
                    self.clock.run_next()
                if cut is not None and sent - cursor >= cut:
                    self.cuts[r.id] = sent
                    return  # the connection drops: no terminal event, no error
                sent += 1
                event = r.events[sent]
                if self.streamed is not None:
                    self.streamed.append(event["type"])
            yield event


def _chunks(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words) if w or i < len(words) - 1] or [text]


_BACKENDS: weakref.WeakKeyDictionary[Any, ResponsesBackend] = weakref.WeakKeyDictionary()


def responses_of(sim: Any) -> ResponsesBackend:
    """The Responses backend of a simulator: one per simulator, on its clock, playing its default script.

    The default script is read when a response needs its next action, so a later
    ``sim.set_script(...)`` is played from its start; an action of it this API cannot
    play fails the response that reaches it (see :class:`ResponsesBackend`).
    """
    backend = _BACKENDS.get(sim)
    if backend is None:
        ref = weakref.ref(sim)  # the backend must not keep its simulator (the key of _BACKENDS) alive

        def default_script() -> Any:
            owner = ref()
            return None if owner is None else getattr(owner, "_default_script", None)

        backend = _BACKENDS[sim] = ResponsesBackend(sim.clock, default_script=default_script)
        watch = getattr(sim, "_watch", None)
        if watch is not None:  # one liveness watch for the runs and the responses of a simulator
            watch.join(backend, "response")
            backend.watch = watch
    return backend
