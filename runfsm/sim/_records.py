"""The simulator's in-memory objects: small slotted records, one per API object.

They hold the state; :mod:`runfsm.sim._wire` renders them as the API's JSON, and
:mod:`runfsm.sim._engine` moves their statuses (only through the compiled spec).
Nested values (lists, dicts) are replaced, never mutated, so snapshots already
handed out never change.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, cast

from ._script import Action, CallFunctions, Citation, Script, pauses

__all__ = ["Assistant", "File", "Message", "Run", "Step", "Thread", "VectorStore"]

Json = dict[str, Any]


class Assistant:
    __slots__ = (
        "created_at", "description", "id", "instructions", "metadata", "model", "name", "reasoning_effort",
        "response_format", "temperature", "tool_resources", "tools", "top_p",
    )

    def __init__(self, id: str, created_at: int, model: str) -> None:
        self.id = id
        self.created_at = created_at
        self.model = model
        self.name: str | None = None
        self.description: str | None = None
        self.instructions: str | None = None
        self.tools: list[Json] = []
        self.tool_resources: Json = {}
        self.metadata: dict[str, str] = {}
        self.temperature: float = 1.0
        self.top_p: float = 1.0
        self.response_format: object = "auto"
        self.reasoning_effort: str | None = None


class File:
    __slots__ = ("content", "created_at", "filename", "id", "purpose")

    def __init__(self, id: str, created_at: int, filename: str, purpose: str, content: bytes) -> None:
        self.id = id
        self.created_at = created_at
        self.filename = filename
        self.purpose = purpose
        self.content = content


class VectorStore:
    """A vector store: the files file_search searches (indexing is instant here)."""

    __slots__ = ("created_at", "file_ids", "id", "metadata", "name")

    def __init__(self, id: str, created_at: int, name: str | None, file_ids: tuple[str, ...],
                 metadata: dict[str, str]) -> None:
        self.id = id
        self.created_at = created_at
        self.name = name
        self.file_ids = file_ids
        self.metadata = metadata


class Thread:
    __slots__ = ("active_run", "created_at", "id", "messages", "metadata", "runs", "tool_resources")

    def __init__(self, id: str, created_at: int, metadata: dict[str, str], tool_resources: Json) -> None:
        self.id = id
        self.created_at = created_at
        self.metadata = metadata
        self.tool_resources = tool_resources
        self.messages: list[Message] = []
        self.runs: list[Run] = []
        self.active_run: Run | None = None


class Message:
    """A thread message.  Assistant messages are written over ``[t0, t1]``: ``text[:written]``."""

    __slots__ = (
        "assistant_id", "attachments", "citations", "completed_at", "created_at", "cut", "id", "incomplete_at",
        "incomplete_reason", "metadata", "parts", "role", "run", "status", "t0", "t1", "text", "thread",
    )

    def __init__(self, id: str, thread: Thread, role: str, created_at: int, status: str) -> None:
        self.id = id
        self.thread = thread
        self.role = role
        self.created_at = created_at
        self.status = status
        self.run: Run | None = None
        self.assistant_id: str | None = None
        self.completed_at: int | None = None
        self.incomplete_at: int | None = None
        self.incomplete_reason: str | None = None
        self.parts: list[Json] | None = None  # client content other than one text part (wire shape)
        self.text = ""
        self.citations: tuple[tuple[Citation, str], ...] = ()  # (citation, resolved file id)
        self.t0: float = 0
        self.t1: float = 0
        self.cut: int | None = None  # characters written when writing stopped early
        self.attachments: Sequence[Json] = ()
        self.metadata: dict[str, str] = {}


class Step:
    __slots__ = (
        "action", "call_ids", "cancelled_at", "completed_at", "created_at", "failed_at", "found", "id", "image_ids",
        "last_error", "message", "outputs", "run", "status", "tokens", "type", "usage",
    )

    def __init__(self, id: str, run: Run, type: str, created_at: int, status: str, action: Action) -> None:
        self.id = id
        self.run = run
        self.type = type
        self.created_at = created_at
        self.status = status
        self.action = action  # the Say / CallFunctions / CodeInterpreter / FileSearch it performs
        self.message: Message | None = None
        self.call_ids: tuple[str, ...] = ()
        self.outputs: tuple[str, ...] | None = None  # function outputs once submitted
        self.image_ids: tuple[str, ...] = ()  # files a code interpreter call drew, once it finished
        self.found: tuple[tuple[str, str, float, str], ...] = ()  # a search's (file id, file name, score, text)
        self.completed_at: int | None = None
        self.cancelled_at: int | None = None
        self.failed_at: int | None = None
        self.last_error: tuple[str, str] | None = None
        self.usage: tuple[int, int] | None = None  # shown once completed
        self.tokens: tuple[int, int] = (0, 0)  # (prompt, completion) the action will use


class Run:
    __slots__ = (
        "assistant_id", "base_prompt", "burst", "burst_at", "cancelled_at", "completed_at", "completion_tokens", "created_at",
        "cursor", "epoch", "expires_at", "failed_at", "history", "id", "include_content", "incomplete_reason", "instructions",
        "last_error", "message", "metadata", "model", "options", "pending", "prompt_tokens", "script", "sink",
        "started_at", "status", "step", "steps", "thread", "tool_outputs", "tool_resources", "tools",
    )

    def __init__(self, id: str, thread: Thread, assistant_id: str, created_at: int, status: str, expires_at: int) -> None:
        self.id = id
        self.thread = thread
        self.assistant_id = assistant_id
        self.created_at = created_at
        self.status = status
        self.expires_at = expires_at  # the deadline; rendered null once ended (see SimConfig)
        self.started_at: int | None = None
        self.cancelled_at: int | None = None
        self.failed_at: int | None = None
        self.completed_at: int | None = None
        self.last_error: tuple[str, str] | None = None
        self.incomplete_reason: str | None = None
        self.model = ""
        self.instructions: str | None = None
        self.tools: list[Json] = []
        self.tool_resources: Json = {}  # the assistant's, when the run was created
        self.include_content = False  # its stream shows file search results' text (include[] at create)
        self.metadata: dict[str, str] = {}
        self.options: Json | None = None  # body fields other than the above, when given
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.base_prompt = 0
        self.script: Script = ()
        self.cursor = 0  # actions taken
        self.burst = 0  # actions taken within the simulated second burst_at (a runaway script's bound)
        self.burst_at = -1
        self.pending: object = None  # a callable script's next action, fetched early (or END)
        self.epoch = 0  # bumped when scheduled work is abandoned
        self.steps: list[Step] = []
        self.step: Step | None = None  # the step in progress
        self.message: Message | None = None  # the message being written
        self.sink: deque[tuple[str, Any]] | None = None  # the open stream's Sink, if any
        # Tuples of plain values, not lists: the garbage collector stops scanning them (which keeps the
        # cost per run flat with 100,000 runs alive).
        self.history: tuple[Any, ...] = ()  # flat (time, status, time, status, ...)
        self.tool_outputs: tuple[tuple[str, str, str, str], ...] = ()  # ToolOutput fields, in submission order

    @property
    def waiting_calls(self) -> CallFunctions | None:
        """The function calls the run waits for, when it is paused."""
        step = self.step
        if step is not None and pauses(step.action) and step.outputs is None:
            return cast("CallFunctions", step.action)
        return None
