"""Render the simulator's records as the API's JSON objects (same keys, types and order as the wire),
through the builders of :mod:`runfsm._wire_shapes` that the strategies use too.

Where the wire and the schema differ, the wire wins (LIFECYCLE.md section 4): run
steps carry ``expires_at`` (the run's deadline) and no ``metadata``; messages from
create, retrieve and list carry no ``status``, ``completed_at``, ``incomplete_at`` or
``incomplete_details`` keys (only streamed message events do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import _wire_shapes as shapes
from .. import spec
from .._wire_shapes import RUN_OPTION_DEFAULTS
from .._wire_shapes import usage as usage_dict
from ..lifecycle import Profile
from ._records import Assistant, File, Message, Run, Step, Thread, VectorStore
from ._script import Action, CallFunctions, CodeInterpreter, FileSearch, step_action

__all__ = ["OUTPUT_DELTAS", "RUN_OPTION_DEFAULTS", "TOOL_CALLS", "Wire", "list_page", "usage_dict"]

Json = dict[str, Any]


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
        # The option keys of this version (v1 runs have no token budgets); a request's options hold them all.
        self.option_defaults = shapes.run_option_defaults(profile)
        self.all_options = len(self.option_defaults) == len(RUN_OPTION_DEFAULTS)

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
        return shapes.thread_object(t.id, t.created_at, t.metadata, t.tool_resources)

    # -- runs ---------------------------------------------------------------------

    def run(self, r: Run) -> Json:
        status = r.status
        required = None
        if status in self.run_paused:
            calls = r.waiting_calls
            if calls is not None and r.step is not None:
                required = shapes.required_action(
                    (cid, c.name, c.arguments) for cid, c in zip(r.step.call_ids, calls.calls, strict=True))
        err = r.last_error
        opts = r.options
        return shapes.run_object(
            r.id,
            r.created_at,
            r.assistant_id,
            r.thread.id,
            status,
            r.started_at,
            r.expires_at if status in self.deadline_shown else None,
            r.cancelled_at,
            r.failed_at,
            r.completed_at,
            required,
            shapes.error(*err) if err else None,
            r.model,
            r.instructions,
            r.tools,
            r.tool_resources,
            r.metadata,
            {"reason": r.incomplete_reason} if r.incomplete_reason else None,
            None if status in self.run_active else usage_dict(r.prompt_tokens, r.completion_tokens),
            self.option_defaults if opts is None else opts if self.all_options
            else {k: opts[k] for k in self.option_defaults},
        )

    # -- run steps ------------------------------------------------------------------

    def tool_calls(self, s: Step, include: bool = False) -> list[Json]:
        """The step's tool calls as they stand (outputs appear when the call finished); ``include``: with the
        text of file search results.  The action's ``TOOL`` declaration chooses the builder (:data:`TOOL_CALLS`)."""
        a = s.action
        build = TOOL_CALLS.get(a.TOOL)
        return build(self, s, a, include) if build is not None else []

    def _function_calls(self, s: Step, a: CallFunctions, include: bool) -> list[Json]:
        """Function calls: each with its arguments, and its output once submitted."""
        outs = s.outputs
        return [shapes.function_call(cid, c.name, c.arguments, outs[i] if outs else None)
                for i, (cid, c) in enumerate(zip(s.call_ids, a.calls, strict=True))]

    def _interpreter_calls(self, s: Step, a: CodeInterpreter, include: bool) -> list[Json]:
        """A code interpreter call: its input, and its outputs once it finished."""
        return [shapes.interpreter_call(s.call_ids[0], self.tool_type[a.TOOL], a.input,
                                        self._interpreter_outputs(s, a))]

    def _search_calls(self, s: Step, a: FileSearch, include: bool) -> list[Json]:
        """A file search call (named retrieval in v1)."""
        return [shapes.search_call(s.call_ids[0], self.tool_type[a.TOOL], self._search(s, a, include))]

    def _search(self, s: Step, a: FileSearch, include: bool) -> Json:
        """A file search call's details: its ranking options, and its results once it finished (wire)."""
        if not self.search_details:
            return {}
        results = []
        if s.status == self.step_completed:
            for file_id, name, score, text in s.found:
                found: Json = {"file_id": file_id, "file_name": name, "score": score, "attributes": {}}
                if include:
                    found["content"] = [{"type": "text", "text": text}]
                results.append(found)
        return shapes.search_details(a.ranker, a.score_threshold, results)

    def _interpreter_outputs(self, s: Step, a: CodeInterpreter) -> list[Json]:
        """A finished code interpreter call's outputs: its images, then its logs (the recorded order)."""
        if s.status != self.step_completed:
            return []
        out: list[Json] = [{"type": "image", "image": {"file_id": f}} for f in s.image_ids]
        if a.logs:
            out.append({"type": "logs", "logs": a.logs})
        return out

    def _interpreter_output_delta(self, s: Step, a: CodeInterpreter) -> Json | None:
        """The delta that shows a finished code interpreter call's outputs (None: it has none)."""
        outputs = self._interpreter_outputs(s, a)
        if not outputs:
            return None
        kind = self.tool_type[a.TOOL]
        return {"index": 0, "type": kind, kind: {"outputs": [{"index": i, **o} for i, o in enumerate(outputs)]}}

    def step(self, s: Step, *, fresh: bool = False, streamed: bool = False, include: bool = False) -> Json:
        """A run step; ``fresh`` renders it as its ``created`` event does (no tool calls yet).

        ``streamed``: as a ``thread.run.step.*`` event carries it, with the run's deadline in
        ``expires_at`` and file search results' text if the run was created with ``include[]``;
        read from the steps endpoints, a completed step has ``expires_at`` null (wire), and
        ``include`` is that request's.
        """
        r = s.run
        msg = s.message
        calls = [] if fresh or msg is not None else self.tool_calls(s, r.include_content if streamed else include)
        err = s.last_error
        return shapes.step_object(
            s.id,
            s.created_at,
            r.id,
            r.assistant_id,
            r.thread.id,
            s.type,
            s.status,
            s.cancelled_at,
            s.completed_at,
            None if s.status == self.step_completed and not streamed else r.expires_at,
            s.failed_at,
            shapes.error(*err) if err else None,
            shapes.step_details(s.type, msg.id if msg is not None else "", calls),
            usage_dict(*s.usage) if s.usage else None,
        )

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
        return shapes.text_content(m.text[:w], self.annotations(m, w))

    def message(self, m: Message, now: float, *, streamed: bool = False, fresh: bool = False) -> Json:
        """A message; ``streamed`` adds the status keys of stream events, ``fresh`` renders no content yet."""
        return shapes.message_object(
            m.id,
            m.created_at,
            m.assistant_id,
            m.thread.id,
            m.run.id if m.run is not None else None,
            m.role,
            [] if fresh else self.content(m, now),
            list(m.attachments),
            m.metadata,
            streamed=(m.status, {"reason": m.incomplete_reason} if m.incomplete_reason else None, m.incomplete_at,
                      m.completed_at) if streamed else None,
        )

    # -- stream deltas ----------------------------------------------------------------

    def message_deltas(self, m: Message, upto: int, size: int) -> list[Json]:
        """The ``thread.message.delta`` payloads that write ``m.text[:upto]``.

        Each citation arrives (with its index) in the delta that completes its marker; in a
        delta its ``file_citation`` also carries ``quote: ""`` (wire).
        """
        notes = [{**a, "file_citation": {**a["file_citation"], "quote": ""}} for a in self.annotations(m, upto)]
        out: list[Json] = []
        start = 0
        for piece in shapes.chunks(m.text[:upto], size):
            end = start + len(piece)
            here = [{"index": j, **a} for j, a in enumerate(notes) if start < a["end_index"] <= end]
            out.append(shapes.message_delta(m.id, piece, here if here or start == 0 else None))
            start = end
        return out

    def step_deltas(self, s: Step, size: int, *, finished: bool) -> list[Json]:
        """``thread.run.step.delta`` payloads: the calls as they start, or (``finished``) their outputs."""
        parts: list[Json] = []
        if not finished:
            for i, call in enumerate(self.tool_calls(s)):
                body = call[call["type"]]
                grown = body.get("arguments", body.get("input", ""))
                parts += shapes.call_deltas(i, call, shapes.chunks(grown, size) if isinstance(grown, str) else ())
        else:
            a = s.action
            build = OUTPUT_DELTAS.get(a.TOOL)
            part = build(self, s, a) if build is not None else None
            if part is not None:
                parts.append(part)
        return [shapes.step_delta(s.id, s.type, p) for p in parts]


TOOL_CALLS: dict[str, Callable[[Wire, Step, Any, bool], list[Json]]] = {
    CallFunctions.TOOL: Wire._function_calls,
    CodeInterpreter.TOOL: Wire._interpreter_calls,
    FileSearch.TOOL: Wire._search_calls,
}
"""The builder of a step's tool calls, by the ``TOOL`` (API v2's name) its action declares: called with the
step, its action and ``include``; a step whose tool has none shows no calls."""

OUTPUT_DELTAS: dict[str, Callable[[Wire, Step, Any], Json | None]] = {
    CodeInterpreter.TOOL: Wire._interpreter_output_delta,
}
"""The builder of the delta that shows a finished call's outputs, by its action's ``TOOL`` (None: no delta);
a tool missing here shows its outputs only in the completed step."""


def step_type(action: Action) -> str:
    """The run step type an action creates."""
    return step_action(action).STEP or spec.STEP_TOOL_CALLS
