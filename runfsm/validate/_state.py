"""The tracker's memory: what it keeps per step, message and stream, and of any protocol's objects.

Everything here is a plain slotted record; the rules that read and update them
live in :mod:`runfsm.validate._children`, :mod:`runfsm.validate._streams` and
:mod:`runfsm.validate._generic` (a run's state and a thread's are in
:mod:`runfsm.validate._runs`).  :class:`Where` is the location of one record,
made once when it is read and carried by every check and finding of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ._checks import Problem
from ._findings import Finding

__all__ = ["DONE", "FRESH", "NEVER", "OPEN", "LocalState", "ObjState", "Seen", "StreamState", "Where"]


class Where(NamedTuple):
    """Where a record was read: its file (``source``), its 1-based ``line`` and its index in the fed sequence."""

    source: str | None
    line: int | None
    idx: int

    def finding(self, code: str, severity: str, message: str, oid: str | None, kind: str | None,
                rule: str | None = None) -> Finding:
        """A finding about this record."""
        return Finding(code, severity, message, oid, kind, self.source, self.line, self.idx, rule)

    def findings(self, problems: Iterable[Problem], oid: str | None, kind: str | None) -> list[Finding]:
        """The findings about this record of the problems an object's own checks found in it."""
        source, line, idx = self
        return [Finding(p.code, p.severity, p.message, oid, kind, source, line, idx, p.rule) for p in problems]


new_where = tuple.__new__
"""``new_where(Where, (source, line, idx))`` is ``Where(source, line, idx)`` at half the cost, for hot paths."""

NEVER = -2
"""An index no observation has (the default of every "last seen at" field)."""
FRESH, OPEN, DONE = 0, 1, 2
"""Stream states: never used, between its first event and 'done', after 'done'."""


class ObjState:
    """A run step or message: its last known status and where it came from."""

    __slots__ = ("channel", "id", "last_idx", "run_id", "status")

    def __init__(self, oid: str, run_id: str | None) -> None:
        self.id = oid
        self.run_id = run_id
        self.status: str | None = None
        self.last_idx = NEVER
        self.channel: object = None


class LocalState:
    """An object as one stream has shown it: last status, index, whether that was its ``created`` event."""

    __slots__ = ("created", "idx", "message_id", "status", "step_type")

    def __init__(self, status: str | None, idx: int, created: bool) -> None:
        self.status = status
        self.idx = idx
        self.created = created
        self.step_type: str | None = None
        self.message_id: str | None = None


class StreamState:
    """One stream (one HTTP response): what it has shown so far, and what it could not be read."""

    __slots__ = (
        "after", "closed_idx", "errored", "events", "expect_run_created", "gap_idx", "gaps", "key", "messages",
        "run_created", "run_id", "run_idx", "run_seen", "run_status", "single", "start_idx", "state", "steps",
        "submit", "thread_id",
    )

    def __init__(self, key: object) -> None:
        self.key = key
        self.state = FRESH
        self.closed_idx = NEVER  # index of the 'done' that closed the previous stream here
        self.single = False  # one HTTP response: exactly one stream, nothing after 'done'
        self.reset(NEVER, NEVER)

    def reset(self, idx: int, after: int) -> None:
        self.start_idx = idx
        self.after = after
        self.events = 0  # meaningful events so far (not counting unknown names and ``error``)
        self.errored = False
        self.expect_run_created = False
        self.submit = False
        self.thread_id: str | None = None
        self.run_id: str | None = None
        self.run_status: str | None = None
        self.run_idx = NEVER
        self.run_created = False
        self.run_seen = False
        self.gap_idx = NEVER
        self.gaps: set[str] = set()
        self.steps: dict[str, LocalState] = {}
        self.messages: dict[str, LocalState] = {}


class Seen:
    """An object of any protocol: last status, where it came from, history, and its immutable fields."""

    __slots__ = ("channel", "fixed", "history", "id", "last_idx", "moves", "status")

    def __init__(self, oid: str) -> None:
        self.id = oid
        self.status: str | None = None
        self.last_idx = -1
        self.channel: object = None
        self.history: list[str] = []
        self.moves: list[tuple[str, str, bool]] = []
        self.fixed: tuple[object, ...] | None = None  # the immutable fields' values known so far, in order
