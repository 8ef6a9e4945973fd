"""The vocabulary every lifecycle is declared in: rows of tables, and a protocol gathering them.

A protocol (the Assistants runs of :mod:`runfsm.spec`, or any other) is one
:class:`Protocol` value: the objects it has, each with its statuses, transitions
and field rules; its versions and the dated rows that held only for a while;
its refusals; its event names.  :mod:`runfsm.lifecycle` compiles any protocol
the same way, and the diagrams, strategies and the object checks work from the
compiled result, so a new protocol is a new declaration, not new code.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "ACTIVE", "ACTORS", "CREATED", "DELTA", "EVIDENCE", "PAUSED", "REFUSAL_CONDITIONS", "TERMINAL", "EventAlias", "FieldRule",
    "ObjectSpec", "Protocol", "RefusalRow", "StatusRow", "TransitionRow",
]

ACTORS = ("client", "server", "clock")
EVIDENCE = ("doc", "wire", "inferred")

# Status classes.  "active" statuses of the primary object lock what it belongs to;
# "paused" means the client must act; "terminal" statuses are absorbing.
ACTIVE = "active"
PAUSED = "active paused"
TERMINAL = "terminal"

# An event "<prefix>.created" carries its object in the lifecycle's initial status (a created run
# is queued); "<prefix>.delta" carries a part of it and no status; every other event part names
# the status it carries.
CREATED = "created"
DELTA = "delta"


class StatusRow(NamedTuple):
    status: str
    klass: str  # ACTIVE, PAUSED or TERMINAL
    since: str = "v1"  # the version that introduced it
    held: str = ""  # "" (throughout) or "[version: ]START..END"


class TransitionRow(NamedTuple):
    trigger: str
    source: str
    dest: str
    actor: str
    evidence: str  # space separated grades, e.g. "doc wire"
    source_ref: str
    since: str = "v1"
    held: str = ""


class FieldRule(NamedTuple):
    """``field`` must be non-null in ``statuses`` (``set``), null outside them
    (``null_outside``), both (``exactly``) or null in them (``null``)."""

    code: str
    field: str
    kind: str  # "exactly" | "set" | "null_outside" | "null"
    statuses: tuple[str, ...]
    evidence: str
    disputed: bool
    why: str
    held: str = ""


class EventAlias(NamedTuple):
    """For a while, the event named for ``named`` also carried objects in ``status``."""

    kind: str
    named: str
    status: str
    evidence: str
    source_ref: str
    since: str
    held: str


class RefusalRow(NamedTuple):
    """The API refuses ``operation`` with HTTP 400 and ``template`` when ``refused_when`` holds."""

    key: str
    operation: str
    refused_when: str  # a key of REFUSAL_CONDITIONS
    template: str
    client_did: str  # what the client did, as a finding names it
    evidence: str
    source_ref: str


# What a refusal may depend on, asked of the request's container (a thread) and primary object
# (a run) through the compiled status classes, so the rows hold for any lifecycle that has
# active, paused and terminal statuses.
REFUSAL_CONDITIONS = {
    "thread_active": "the container has a primary object in an active status",
    "run_not_paused": "the primary object is not in a paused status",
    "run_terminal": "the primary object is in a terminal status",
    "calls_not_covered": "the outputs do not cover exactly the pending call ids",
}


class ObjectSpec(NamedTuple):
    """One kind of object with a lifecycle: its statuses, transitions, field rules and events."""

    kind: str  # the name rows and findings use, e.g. "run_step"
    label: str  # how messages name it, e.g. "run step"
    object_type: str  # its "object" value on the wire, e.g. "thread.run.step"
    statuses: tuple[StatusRow, ...]
    initial: str
    transitions: tuple[TransitionRow, ...]
    field_rules: tuple[FieldRule, ...] = ()
    event_prefix: str = ""  # its events are "<prefix>.<status>"; "" when it has none
    event_extra: tuple[str, ...] = ()  # event names besides its statuses ("created", "delta")


class Protocol(NamedTuple):
    """A whole protocol as one value; its first object is the primary one (the run)."""

    name: str
    objects: tuple[ObjectSpec, ...]
    versions: tuple[str, ...] = ("v1",)  # oldest first; the last is the default
    first_day: tuple[tuple[str, str], ...] = ()  # (version, first day served, YYYY-MM-DD)
    refusals: tuple[RefusalRow, ...] = ()
    event_aliases: tuple[EventAlias, ...] = ()
    tool_call_types: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (version, tool call types)

    @property
    def default_version(self) -> str:
        return self.versions[-1]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(o.kind for o in self.objects)

    def object(self, kind: str) -> ObjectSpec:
        """The declaration of ``kind``."""
        for o in self.objects:
            if o.kind == kind:
                return o
        raise KeyError(kind)
