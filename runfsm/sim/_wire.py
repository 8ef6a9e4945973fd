"""Render the simulator's records as the API's JSON objects (same keys, types and order as the wire).

Where the wire and the schema differ, the wire wins (LIFECYCLE.md section 4): run
steps carry ``expires_at`` (the run's deadline) and no ``metadata``; messages from
create, retrieve and list carry no ``status``, ``completed_at``, ``incomplete_at`` or
``incomplete_details`` keys (only streamed message events do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import spec
from ..lifecycle import Profile
from ._records import Assistant, File, Message, Run, Step, Thread, VectorStore
from ._script import Action, CallFunctions, CodeInterpreter, FileSearch, step_action

__all__ = ["RUN_OPTION_DEFAULTS", "Wire", "list_page", "usage_dict"]

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

# Delta objects are named after their object type (and their event after the same prefix).
_MESSAGE_DELTA = f"{spec.OBJECT_TYPES['message']}.delta"
_STEP_DELTA = f"{spec.OBJECT_TYPES['run_step']}.delta"


def usage_dict(prompt: int, completion: int) -> Json:
    """A usage object, with the detail objects recorded traffic carries (the wire spells ``prompt_token_details``)."""
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_token_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}


def list_page(data: Sequence[Json], has_more: bool) -> Json:
    """A list endpoint's page."""
    return {
        "object": "list",
        "data": list(data),
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


class Wire:
    """Renders records for one API version and simulator configuration."""

    def __init__(self, profile: Profile, *, keep_deadline_when_ended: bool) -> None:
        run = profile.run
        self.objects = spec.OBJECT_TYPES
        # expires_at shows while active; once ended only if configured (never once completed).
        completed = run.by_trigger[(run.by_trigger[(run.initial, "start")].dest, "complete")].dest
        shown = set(run.active)
        if keep_deadline_when_ended:
            shown |= run.terminal - {completed}
        self.deadline_shown = frozenset(shown)
        self.run_active = run.active
        self.run_paused = run.paused
        self.step_completed = profile.run_step.by_trigger[(profile.run_step.initial, "complete")].dest
        self.message_completed = profile.message.by_trigger[(profile.message.initial, "complete")].dest
        # v2 tool call type names -> this version's names (file_search was retrieval in v1).
        self.tool_type = profile.tool_names
        # v2's file_search calls show ranking options and results; v1's retrieval calls showed nothing.
        self.search_details = self.tool_type["file_search"] == "file_search"  # not renamed (v1: retrieval)

    # -- simple objects ---------------------------------------------------------

    @staticmethod
    def assistant(a: Assistant) -> Json:
        return {
            "id": a.id, "object": "assistant", "created_at": a.created_at, "name": a.name,
            "description": a.description, "model": a.model, "instructions": a.instructions, "tools": a.tools,
            "tool_resources": a.tool_resources, "metadata": a.metadata, "top_p": a.top_p,
            "temperature": a.temperature, "reasoning_effort": a.reasoning_effort, "response_format": a.response_format,
        }

    @staticmethod
    def file(f: File) -> Json:
        return {
            "id": f.id, "object": "file", "bytes": len(f.content), "created_at": f.created_at, "expires_at": None,
            "filename": f.filename, "purpose": f.purpose, "status": "processed", "status_details": None,
        }

    @staticmethod
    def vector_store(v: VectorStore, files: Mapping[str, File]) -> Json:
        """A vector store; its files count as indexed (``completed``) as soon as it exists."""
        present = [files[f] for f in v.file_ids if f in files]
        n = len(present)
        return {
            "id": v.id, "object": "vector_store", "created_at": v.created_at, "name": v.name,
            "usage_bytes": sum(len(f.content) for f in present),
            "file_counts": {"in_progress": 0, "completed": n, "failed": 0, "cancelled": 0, "total": n},
            "status": "completed", "expires_after": None, "expires_at": None, "last_active_at": v.created_at,
            "metadata": v.metadata,
        }

    @staticmethod
    def thread(t: Thread) -> Json:
        return {
            "id": t.id, "object": "thread", "created_at": t.created_at, "metadata": t.metadata,
            "tool_resources": t.tool_resources,
        }

    # -- runs ---------------------------------------------------------------------

    def run(self, r: Run) -> Json:
        status = r.status
        required = None
        if status in self.run_paused:
            calls = r.waiting_calls
            if calls is not None and r.step is not None:
                required = {
                    "type": spec.REQUIRED_ACTION_TYPE,
                    spec.REQUIRED_ACTION_TYPE: {
                        "tool_calls": [
                            {"id": cid, "type": spec.PAUSING_TOOL_CALL_TYPE,
                             "function": {"name": c.name, "arguments": c.arguments}}
                            for cid, c in zip(r.step.call_ids, calls.calls, strict=True)
                        ]
                    },
                }
        err = r.last_error
        out: Json = {
            "id": r.id,
            "object": self.objects["run"],
            "created_at": r.created_at,
            "assistant_id": r.assistant_id,
            "thread_id": r.thread.id,
            "status": status,
            "started_at": r.started_at,
            "expires_at": r.expires_at if status in self.deadline_shown else None,
            "cancelled_at": r.cancelled_at,
            "failed_at": r.failed_at,
            "completed_at": r.completed_at,
            "required_action": required,
            "last_error": {"code": err[0], "message": err[1]} if err else None,
            "model": r.model,
            "instructions": r.instructions,
            "tools": r.tools,
            "tool_resources": r.tool_resources,
            "metadata": r.metadata,
            "incomplete_details": {"reason": r.incomplete_reason} if r.incomplete_reason else None,
            "usage": None if status in self.run_active else usage_dict(r.prompt_tokens, r.completion_tokens),
        }
        out.update(r.options or RUN_OPTION_DEFAULTS)
        return out

    # -- run steps ------------------------------------------------------------------

    def tool_calls(self, s: Step, include: bool = False) -> list[Json]:
        """The step's tool calls as they stand (outputs appear when the call finished); ``include``: with the
        text of file search results."""
        a = s.action
        if isinstance(a, CallFunctions):
            outs = s.outputs
            return [
                {"id": cid, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments, "output": outs[i] if outs else None}}
                for i, (cid, c) in enumerate(zip(s.call_ids, a.calls, strict=True))
            ]
        if isinstance(a, CodeInterpreter):
            return [{"id": s.call_ids[0], "type": self.tool_type["code_interpreter"],
                     self.tool_type["code_interpreter"]: {"input": a.input, "outputs": self._interpreter_outputs(s)}}]
        if isinstance(a, FileSearch):
            kind = self.tool_type["file_search"]
            return [{"id": s.call_ids[0], "type": kind, kind: self._search(s, include)}]
        return []

    def _search(self, s: Step, include: bool) -> Json:
        """A file search call's details: its ranking options, and its results once it finished (wire)."""
        a = s.action
        if not self.search_details or not isinstance(a, FileSearch):
            return {}
        results = []
        if s.status == self.step_completed:
            for file_id, name, score, text in s.found:
                found: Json = {"file_id": file_id, "file_name": name, "score": score, "attributes": {}}
                if include:
                    found["content"] = [{"type": "text", "text": text}]
                results.append(found)
        return {"ranking_options": {"ranker": a.ranker, "score_threshold": a.score_threshold}, "results": results}

    def _interpreter_outputs(self, s: Step) -> list[Json]:
        """A finished code interpreter call's outputs: its images, then its logs (the recorded order)."""
        a = s.action
        if s.status != self.step_completed or not isinstance(a, CodeInterpreter):
            return []
        out: list[Json] = [{"type": "image", "image": {"file_id": f}} for f in s.image_ids]
        if a.logs:
            out.append({"type": "logs", "logs": a.logs})
        return out

    def step(self, s: Step, *, fresh: bool = False, streamed: bool = False, include: bool = False) -> Json:
        """A run step; ``fresh`` renders it as its ``created`` event does (no tool calls yet).

        ``streamed``: as a ``thread.run.step.*`` event carries it, with the run's deadline in
        ``expires_at`` and file search results' text if the run was created with ``include[]``;
        read from the steps endpoints, a completed step has ``expires_at`` null (wire), and
        ``include`` is that request's.
        """
        r = s.run
        if s.message is not None:
            details: Json = {"type": s.type, s.type: {"message_id": s.message.id}}
        else:
            with_text = r.include_content if streamed else include
            details = {"type": s.type, s.type: [] if fresh else self.tool_calls(s, with_text)}
        err = s.last_error
        return {
            "id": s.id,
            "object": self.objects["run_step"],
            "created_at": s.created_at,
            "run_id": r.id,
            "assistant_id": r.assistant_id,
            "thread_id": r.thread.id,
            "type": s.type,
            "status": s.status,
            "cancelled_at": s.cancelled_at,
            "completed_at": s.completed_at,
            "expires_at": None if s.status == self.step_completed and not streamed else r.expires_at,
            "failed_at": s.failed_at,
            "last_error": {"code": err[0], "message": err[1]} if err else None,
            "step_details": details,
            "usage": usage_dict(*s.usage) if s.usage else None,
        }

    # -- messages -------------------------------------------------------------------

    @staticmethod
    def written(m: Message, now: float) -> int:
        """How many characters of ``m.text`` are written at time ``now``."""
        if m.cut is not None:
            return m.cut
        n = len(m.text)
        if now >= m.t1 or m.t1 <= m.t0:
            return n
        if now <= m.t0:
            return 0
        return int(n * (now - m.t0) // (m.t1 - m.t0))

    @staticmethod
    def annotations(m: Message, upto: int) -> list[Json]:
        out = []
        for c, file_id in m.citations:
            start = m.text.find(c.marker)
            end = start + len(c.marker)
            if end <= upto:
                out.append({"type": "file_citation", "text": c.marker, "start_index": start, "end_index": end,
                            "file_citation": {"file_id": file_id}})
        return out

    def content(self, m: Message, now: float) -> list[Json]:
        if m.parts is not None:
            return m.parts
        w = self.written(m, now)
        if w == 0 and m.status != self.message_completed:
            return []
        return [{"type": "text", "text": {"value": m.text[:w], "annotations": self.annotations(m, w)}}]

    def message(self, m: Message, now: float, *, streamed: bool = False, fresh: bool = False) -> Json:
        """A message; ``streamed`` adds the status keys of stream events, ``fresh`` renders no content yet."""
        out: Json = {
            "id": m.id,
            "object": self.objects["message"],
            "created_at": m.created_at,
            "assistant_id": m.assistant_id,
            "thread_id": m.thread.id,
            "run_id": m.run.id if m.run is not None else None,
        }
        if streamed:
            out["status"] = m.status
            out["incomplete_details"] = {"reason": m.incomplete_reason} if m.incomplete_reason else None
            out["incomplete_at"] = m.incomplete_at
            out["completed_at"] = m.completed_at
        out["role"] = m.role
        out["content"] = [] if fresh else self.content(m, now)
        out["attachments"] = list(m.attachments)
        out["metadata"] = m.metadata
        return out

    # -- stream deltas ----------------------------------------------------------------

    @staticmethod
    def chunks(text: str, size: int) -> Iterable[str]:
        return (text[i:i + size] for i in range(0, len(text), size))

    def message_deltas(self, m: Message, upto: int, size: int) -> list[Json]:
        """The ``thread.message.delta`` payloads that write ``m.text[:upto]``.

        Each citation arrives (with its index) in the delta that completes its marker; in a
        delta its ``file_citation`` also carries ``quote: ""`` (wire).
        """
        notes = [{**a, "file_citation": {**a["file_citation"], "quote": ""}} for a in self.annotations(m, upto)]
        out: list[Json] = []
        start = 0
        for piece in self.chunks(m.text[:upto], size):
            end = start + len(piece)
            text: Json = {"value": piece}
            here = [{"index": j, **a} for j, a in enumerate(notes) if start < a["end_index"] <= end]
            if here or start == 0:
                text["annotations"] = here
            out.append({"id": m.id, "object": _MESSAGE_DELTA,
                        "delta": {"content": [{"index": 0, "type": "text", "text": text}]}})
            start = end
        return out

    def step_deltas(self, s: Step, size: int, *, finished: bool) -> list[Json]:
        """``thread.run.step.delta`` payloads: the calls as they start, or (``finished``) their outputs."""
        a = s.action
        out: list[Json] = []

        def delta(call: Json) -> Json:
            return {"id": s.id, "object": _STEP_DELTA,
                    "delta": {"step_details": {"type": s.type, s.type: [call]}}}

        if isinstance(a, CallFunctions) and not finished:
            for i, (cid, c) in enumerate(zip(s.call_ids, a.calls, strict=True)):
                out.append(delta({"index": i, "id": cid, "type": "function",
                                  "function": {"name": c.name, "arguments": "", "output": None}}))
                for piece in self.chunks(c.arguments, size):
                    out.append(delta({"index": i, "type": "function", "function": {"arguments": piece}}))
        elif isinstance(a, CodeInterpreter):
            kind = self.tool_type["code_interpreter"]
            if not finished:
                out.append(delta({"index": 0, "id": s.call_ids[0], "type": kind,
                                  kind: {"input": "", "outputs": []}}))
                for piece in self.chunks(a.input, size):
                    out.append(delta({"index": 0, "type": kind, kind: {"input": piece}}))
            elif a.logs or s.image_ids:
                outputs = [{"index": i, **o} for i, o in enumerate(self._interpreter_outputs(s))]
                out.append(delta({"index": 0, "type": kind, kind: {"outputs": outputs}}))
        elif isinstance(a, FileSearch) and not finished:
            kind = self.tool_type["file_search"]
            out.append(delta({"index": 0, "id": s.call_ids[0], "type": kind, kind: self._search(s, False)}))
        return out


def step_type(action: Action) -> str:
    """The run step type an action creates."""
    return step_action(action).STEP or spec.STEP_TOOL_CALLS
