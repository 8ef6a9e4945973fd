"""The Assistants wire shapes and the event order of a streamed run, written once.

The simulator (``runfsm.sim``) renders its records through these builders and the
Hypothesis strategies (``runfsm.strategies``) render their drawn values through them,
so the two cannot disagree on a key, its place or a fixed default.  Where the wire and
the schema differ, the wire wins (LIFECYCLE.md section 4).  Nothing here draws, reads a
clock or holds state: each builder takes the values and returns the wire dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from . import spec
from ._rows import CREATED, DELTA
from .lifecycle import Lifecycle, Profile

Json = dict[str, Any]

RUN_OPTION_DEFAULTS: Json = {
    "temperature": 1.0,
    "top_p": 1.0,
    "max_completion_tokens": None,
    "max_prompt_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "response_format": "auto",
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning_effort": None,
}
"""Run body fields beyond the lifecycle ones, with the API's defaults (in wire order)."""

DEFAULT_RANKER = "default_2024_08_21"
"""The ranker a file search reports when the request names none (the recorded one)."""

BUDGET_KEYS = ("max_completion_tokens", "max_prompt_tokens")
"""The run options of token budgets: only an API whose runs can run out of tokens has them."""


def has_budgets(run: Lifecycle) -> bool:
    """True where the spec has an edge for token budgets (API v2, not v1: LIFECYCLE.md section 7)."""
    return "run_out_of_tokens" in run.triggers


def run_option_defaults(prof: Profile) -> Json:
    """The option keys a run of this version carries, with their defaults (wire order)."""
    if has_budgets(prof.run):
        return dict(RUN_OPTION_DEFAULTS)
    return {k: v for k, v in RUN_OPTION_DEFAULTS.items() if k not in BUDGET_KEYS}


# --- fragments -------------------------------------------------------------------------------


def usage(prompt: int, completion: int) -> Json:
    """A usage object of a run or step, with the detail objects recorded traffic carries (the wire spells
    ``prompt_token_details``)."""
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_token_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}


def error(code: str, message: str) -> Json:
    """A ``last_error`` object."""
    return {"code": code, "message": message}


def function_call(call_id: str, name: str, arguments: str, output: str | None = None, *,
                  with_output: bool = True) -> Json:
    """A function call: in a step with its ``output`` (null until submitted), in ``required_action`` without."""
    fn: Json = {"name": name, "arguments": arguments}
    if with_output:
        fn["output"] = output
    return {"id": call_id, "type": spec.PAUSING_TOOL_CALL_TYPE, "function": fn}


def required_action(calls: Iterable[tuple[str, str, str]]) -> Json:
    """The ``required_action`` of a paused run: ``calls`` are (call id, function name, arguments)."""
    return {
        "type": spec.REQUIRED_ACTION_TYPE,
        spec.REQUIRED_ACTION_TYPE: {
            "tool_calls": [function_call(c, n, a, with_output=False) for c, n, a in calls]
        },
    }


def interpreter_call(call_id: str, kind: str, code: str, outputs: list[Json]) -> Json:
    """A code interpreter call (``kind``: the version's name of the tool)."""
    return {"id": call_id, "type": kind, kind: {"input": code, "outputs": outputs}}


def search_details(ranker: str, score_threshold: float, results: list[Json]) -> Json:
    """What a v2 file search call shows: its ranking options and results (v1's retrieval showed nothing)."""
    return {"ranking_options": {"ranker": ranker, "score_threshold": score_threshold}, "results": results}


def search_call(call_id: str, kind: str, details: Json) -> Json:
    """A file search (v1: retrieval) call; ``details`` is :func:`search_details` in v2, ``{}`` in v1."""
    return {"id": call_id, "type": kind, kind: details}


def text_content(value: str, annotations: list[Json]) -> list[Json]:
    """A message's content: one text part, or none while nothing is written."""
    return [{"type": "text", "text": {"value": value, "annotations": annotations}}]


def step_details(step_type: str, message_id: str, calls: list[Json]) -> Json:
    """``step_details`` of a ``message_creation`` step (its message) or a ``tool_calls`` step (its calls)."""
    if step_type == spec.STEP_MESSAGE_CREATION:
        return {"type": step_type, step_type: {"message_id": message_id}}
    return {"type": step_type, step_type: calls}


# --- objects ---------------------------------------------------------------------------------


def thread_object(id: str, created_at: int, metadata: Any, tool_resources: Any) -> Json:
    """A thread (as ``thread.created`` carries it)."""
    return {"id": id, "object": "thread", "created_at": created_at, "metadata": metadata,
            "tool_resources": tool_resources}


_RUN, _STEP, _MESSAGE = (spec.OBJECT_TYPES[k] for k in ("run", "run_step", "message"))


# The object builders take their fields in the wire's key order. The simulator passes them by position on every
# poll and event: keyword calls of twenty arguments cost it about 0.9 us more per object.
def run_object(id: str, created_at: int, assistant_id: str, thread_id: str, status: str,
               started_at: int | None, expires_at: int | None, cancelled_at: int | None, failed_at: int | None,
               completed_at: int | None, required_action: Json | None, last_error: Json | None, model: str,
               instructions: str | None, tools: list[Any], tool_resources: Any, metadata: Any,
               incomplete_details: Json | None, usage: Json | None, options: Json) -> Json:
    """A run (``options``: the version's option keys, :func:`run_option_defaults` or what the request set)."""
    out: Json = {
        "id": id,
        "object": _RUN,
        "created_at": created_at,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "status": status,
        "started_at": started_at,
        "expires_at": expires_at,
        "cancelled_at": cancelled_at,
        "failed_at": failed_at,
        "completed_at": completed_at,
        "required_action": required_action,
        "last_error": last_error,
        "model": model,
        "instructions": instructions,
        "tools": tools,
        "tool_resources": tool_resources,
        "metadata": metadata,
        "incomplete_details": incomplete_details,
        "usage": usage,
    }
    out.update(options)
    return out


def step_object(id: str, created_at: int, run_id: str, assistant_id: str, thread_id: str, type: str,
                status: str, cancelled_at: int | None, completed_at: int | None, expires_at: int | None,
                failed_at: int | None, last_error: Json | None, step_details: Json, usage: Json | None,
                expiry_key: str = spec.STEP_EXPIRY_KEYS[0]) -> Json:
    """A run step; its expiry is under the wire's ``expires_at`` unless ``expiry_key`` says the schema's."""
    return {
        "id": id,
        "object": _STEP,
        "created_at": created_at,
        "run_id": run_id,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "type": type,
        "status": status,
        "cancelled_at": cancelled_at,
        "completed_at": completed_at,
        expiry_key: expires_at,
        "failed_at": failed_at,
        "last_error": last_error,
        "step_details": step_details,
        "usage": usage,
    }


MessageStatus = tuple[str, Json | None, int | None, int | None]
"""(status, incomplete_details, incomplete_at, completed_at): the keys only streamed messages carry."""


def message_object(id: str, created_at: int, assistant_id: str | None, thread_id: str, run_id: str | None,
                   role: str, content: list[Json], attachments: list[Any], metadata: Any,
                   streamed: MessageStatus | None = None) -> Json:
    """A message; with ``streamed`` as a stream event carries it (create, retrieve and list show no status keys)."""
    out: Json = {
        "id": id,
        "object": _MESSAGE,
        "created_at": created_at,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "run_id": run_id,
    }
    if streamed is not None:
        out["status"], out["incomplete_details"], out["incomplete_at"], out["completed_at"] = streamed
    out["role"] = role
    out["content"] = content
    out["attachments"] = attachments
    out["metadata"] = metadata
    return out


# --- stream deltas ---------------------------------------------------------------------------

_MESSAGE_DELTA = f"{spec.OBJECT_TYPES['message']}.delta"
_STEP_DELTA = f"{spec.OBJECT_TYPES['run_step']}.delta"


def message_delta(message_id: str, piece: str, annotations: list[Json] | None) -> Json:
    """A ``thread.message.delta`` payload writing ``piece``; ``annotations`` (with their ``index``) only in the
    first delta and in one that completes a citation's marker (None: the key is absent)."""
    text: Json = {"value": piece}
    if annotations is not None:
        text["annotations"] = annotations
    return {"id": message_id, "object": _MESSAGE_DELTA, "delta": {"content": [{"index": 0, "type": "text", "text": text}]}}


def step_delta(step_id: str, step_type: str, call: Json) -> Json:
    """A ``thread.run.step.delta`` payload carrying one part of one call (its ``index`` inside ``call``)."""
    return {"id": step_id, "object": _STEP_DELTA, "delta": {"step_details": {"type": step_type, step_type: [call]}}}


def call_deltas(index: int, call: Json, pieces: Iterable[str]) -> list[Json]:
    """The delta parts of one call as it starts: the call with its growing field empty, then that field in
    ``pieces`` (a function's ``arguments``, a code interpreter's ``input``; a file search has none)."""
    kind = call["type"]
    body = call[kind]
    grows = "arguments" if kind == spec.PAUSING_TOOL_CALL_TYPE else "input" if "input" in body else None
    head = {"index": index, "id": call["id"], "type": kind, kind: {k: "" if k == grows else v for k, v in body.items()}}
    if grows is None:
        return [head]
    return [head, *({"index": index, "type": kind, kind: {grows: p}} for p in pieces)]


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters (the last shorter), as deltas carry it."""
    return [text[i:i + size] for i in range(0, len(text), size)]


DONE_DATA = "[DONE]"
"""The data of the ``done`` event that ends a stream."""


# --- event order -----------------------------------------------------------------------------


class EventOrder:
    """The event order of a streamed run (LIFECYCLE.md section 6), as data, with the names of one version.

    A step and a message open with ``created`` then their initial status (the same object in both);
    a ``message_creation`` step opens before its message; ``delta`` events come only between an
    object's opening and its closing event (a terminal status); a stream ends with ``done`` right
    after the run event of a status in ``stops`` (paused or terminal).
    """

    def __init__(self, profile: Profile) -> None:
        names = {key: name for name, key in profile.event_names().items()}
        self.run = {s: names[("run", s)] for s in profile.run.order}
        self.step = {s: names[("run_step", s)] for s in profile.run_step.order}
        self.message = {s: names[("message", s)] for s in profile.message.order}
        self.run_created = names[("run", CREATED)]
        self.step_created = names[("run_step", CREATED)]
        self.step_delta = names[("run_step", DELTA)]
        self.message_created = names[("message", CREATED)]
        self.message_delta = names[("message", DELTA)]
        self.thread_created = spec.EVENT_THREAD_CREATED
        self.done = spec.EVENT_DONE
        # The events that open each object, in order (each carries the object as it was created).
        self.run_open = (self.run_created, self.run[profile.run.initial])
        self.step_open = (self.step_created, self.step[profile.run_step.initial])
        self.message_open = (self.message_created, self.message[profile.message.initial])
        # A stream ends (with done) after the run event of one of these statuses.
        self.stop = profile.run.stops
        self.step_close = {self.step[s] for s in profile.run_step.terminal}
        self.message_close = {self.message[s] for s in profile.message.terminal}


def order_problems(order: EventOrder, events: Sequence[tuple[str, Any]]) -> list[str]:
    """Where ``events`` (one run's, over one or more streams) break ``order``; empty when they keep it."""
    problems: list[str] = []
    stop_names = {order.run[s] for s in order.stop}
    groups = ((order.step_open, order.step_delta, order.step_close, "step"),
              (order.message_open, order.message_delta, order.message_close, "message"))
    seen: dict[str, list[str]] = {}  # object id -> its event names so far
    previous = ""
    message_steps: set[str] = set()
    for i, (name, data) in enumerate(events):
        where = f"event {i} ({name})"
        if name == order.done:
            if previous not in stop_names:
                problems.append(f"{where}: done follows {previous or 'nothing'}, expected a run event of "
                                f"{', '.join(sorted(order.stop))}")
        elif previous in stop_names and i and events[i - 1][0] != order.done:
            problems.append(f"{where}: follows {previous} without done")
        previous = name
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            continue
        for opening, delta, close, what in groups:
            if name not in (*opening, delta, *close):
                continue
            past = seen.setdefault(data["id"], [])
            n = len(past)
            if n < len(opening) and name != opening[n] and not (n and past[-1] in close):
                problems.append(f"{where}: {what} {data['id']} opens with {' then '.join(opening)}, got {name} "
                                f"after {past or 'nothing'}")
            elif past and past[-1] in close:
                problems.append(f"{where}: {what} {data['id']} already ended with {past[-1]}")
            past.append(name)
            if what == "step" and name == order.step_created:
                details = data.get("step_details") or {}
                made = details.get(spec.STEP_MESSAGE_CREATION) if isinstance(details, dict) else None
                if isinstance(made, dict) and isinstance(made.get("message_id"), str):
                    message_steps.add(made["message_id"])
            if what == "message" and name == order.message_created and data["id"] not in message_steps:
                problems.append(f"{where}: message {data['id']} opens before its message_creation step")
    if previous in stop_names:
        problems.append(f"the events end with {previous} without done")
    return problems
