"""Compile a protocol's rows (:mod:`runfsm.spec`, or any :class:`~runfsm.spec.Protocol`) into lookup tables.

A :class:`Lifecycle` is built once per object kind, version and period.  Building it
runs the definition checks (unknown names, unreachable statuses, trap statuses,
exits from terminal statuses, duplicate triggers, unknown actors or grades) and
then freezes every query into a frozenset or dict, so each query afterwards is a
single lookup.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from . import spec
from ._dates import ALL_DATES, Period, _boundaries, _holds, _periods_of, as_of_day, day_seconds, parse_held
from ._protocol_types import type_problems
from ._rows import CREATED
from .errors import IllegalTransition, SpecError, UnknownStatus

__all__ = ["Lifecycle", "Period", "Profile", "Transition", "as_of_day", "compile_protocol", "periods", "profile",
           "profile_at"]


def held_in(row: spec.StatusRow | spec.TransitionRow | spec.FieldRule, lc: Lifecycle) -> bool:
    """Is ``row`` in force in the version and period ``lc`` was compiled for?"""
    return _holds(getattr(row, "since", lc.versions[0]), row.held, lc.version, lc.period, lc.versions)


# the cost of ``import runfsm``.
class Transition(NamedTuple):
    """One legal status change: ``trigger`` moves ``source`` to ``dest``."""

    trigger: str
    source: str
    dest: str
    actor: str  # "client" | "server" | "clock"
    evidence: frozenset[str]  # subset of {"doc", "wire"}, or {"inferred"}
    source_ref: str

    @property
    def inferred(self) -> bool:
        """True for edges accepted only in tolerant mode."""
        return "inferred" in self.evidence

    @property
    def grade(self) -> str:
        """The evidence as written in the spec, e.g. ``"doc wire"``."""
        return " ".join(g for g in spec.EVIDENCE if g in self.evidence)


def _closure(statuses: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Reflexive-transitive closure: what a poller can observe after each status."""
    succ: dict[str, set[str]] = {s: set() for s in statuses}
    for a, b in edges:
        succ[a].add(b)
    out: dict[str, frozenset[str]] = {}
    for s in statuses:
        seen = {s}
        stack = [s]
        while stack:
            for nxt in succ[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out[s] = frozenset(seen)
    return out


class Lifecycle:
    """The checked, compiled lifecycle of one object kind (run, run step, message).

    Every query is one set or dict lookup.  ``strict=True`` accepts only edges
    graded ``doc`` or ``wire``; the default (tolerant) also accepts ``inferred``.
    """

    def __init__(
        self,
        kind: str,
        statuses: Sequence[spec.StatusRow],
        initial: str,
        transitions: Sequence[spec.TransitionRow],
        field_rules: Sequence[spec.FieldRule] = (),
        *,
        version: str | None = None,
        period: Period | None = None,
        versions: Sequence[str] = spec.VERSIONS,
        label: str | None = None,
        event_prefix: str = "",
    ) -> None:
        versions = tuple(versions)
        if not versions:
            raise SpecError(f"{kind}: a lifecycle needs at least one version")
        if version is None:
            version = spec.DEFAULT_VERSION if versions == spec.VERSIONS else versions[-1]
        if version not in versions:
            raise SpecError(f"{kind}: unknown version {version!r}; known: {', '.join(versions)}")
        problems = self._check_rows(kind, versions, statuses, transitions, field_rules)
        if problems:
            raise SpecError(f"{kind} lifecycle ({version}): " + "; ".join(problems))
        if period is None:  # the rules in force today: the last period the rows' dates make
            helds = [*(r.held for r in statuses), *(t.held for t in transitions), *(r.held for r in field_rules)]
            period = _periods_of(_boundaries(helds, version, versions))[-1]
        first = versions[0]
        rows = [r for r in statuses if _holds(r.since, r.held, version, period, versions)]
        edges = [t for t in transitions if _holds(t.since, t.held, version, period, versions)]
        field_rules = [r for r in field_rules if _holds(first, r.held, version, period, versions)]
        self.kind = kind
        self.label = label if label is not None else kind.replace("_", " ")
        self.event_prefix = event_prefix  # its stream events are "<prefix>.<part>"; "" when it has none
        self.version = version
        self.versions = versions
        self.period = period
        self.order: tuple[str, ...] = tuple(r.status for r in rows)
        self.statuses: frozenset[str] = frozenset(self.order)
        self.initial = initial
        # the status an event part names: "<prefix>.created" the initial one, "<prefix>.<status>" its own
        self.status_named: dict[str, str] = {**{s: s for s in self.order}, CREATED: initial}
        self.terminal: frozenset[str] = frozenset(r.status for r in rows if r.klass == spec.TERMINAL)
        self.active: frozenset[str] = frozenset(r.status for r in rows if r.klass != spec.TERMINAL)
        self.paused: frozenset[str] = frozenset(r.status for r in rows if r.klass == spec.PAUSED)
        self.transitions: tuple[Transition, ...] = tuple(
            Transition(t.trigger, t.source, t.dest, t.actor, frozenset(t.evidence.split()), t.source_ref)
            for t in edges
        )
        self.field_rules: tuple[spec.FieldRule, ...] = tuple(
            r for r in field_rules if set(r.statuses) & self.statuses
        )
        self._check_definition(rows, statuses, field_rules)
        self.triggers: tuple[str, ...] = tuple(dict.fromkeys(t.trigger for t in self.transitions))
        # Where a poll loop (and a stream) stops: the client must act, or nothing will change any more.
        self.stops: frozenset[str] = self.terminal | self.paused
        # The status the object works in: the one non-terminal status its initial status leads to by a
        # documented edge (a run's in_progress), or None when the table does not single one out.
        after_initial = {t.dest for t in self.transitions
                         if t.source == initial and not t.inferred and t.dest not in self.terminal}
        self.working: str | None = next(iter(after_initial)) if len(after_initial) == 1 else None
        strict_edges = [t for t in self.transitions if not t.inferred]
        # (source, trigger) -> Transition, per mode: the simulator's hot path.
        self.by_trigger: Mapping[tuple[str, str], Transition] = {(t.source, t.trigger): t for t in self.transitions}
        self.by_trigger_strict: Mapping[tuple[str, str], Transition] = {
            (t.source, t.trigger): t for t in strict_edges
        }
        self._pairs = frozenset((t.source, t.dest) for t in self.transitions)
        self._pairs_strict = frozenset((t.source, t.dest) for t in strict_edges)
        self._inferred_pairs = self._pairs - self._pairs_strict
        self._next = {s: frozenset(t.dest for t in self.transitions if t.source == s) for s in self.order}
        self._next_strict = {s: frozenset(t.dest for t in strict_edges if t.source == s) for s in self.order}
        closure = _closure(self.order, self._pairs)
        closure_strict = _closure(self.order, self._pairs_strict)
        self._reach = closure
        self._reach_strict = closure_strict
        self._edges_by_pair: dict[tuple[str, str], tuple[Transition, ...]] = {}
        for t in self.transitions:
            self._edges_by_pair[(t.source, t.dest)] = (*self._edges_by_pair.get((t.source, t.dest), ()), t)

    # -- definition checks (python-statemachine style) -----------------------------

    @staticmethod
    def _check_rows(
        kind: str, versions: Sequence[str], statuses: Sequence[spec.StatusRow],
        transitions: Sequence[spec.TransitionRow], field_rules: Sequence[spec.FieldRule],
    ) -> list[str]:
        """Versions and dates of every row, checked before any row is filtered by them."""
        problems: list[str] = []
        for what, since, held in (
            *((f"status {r.status!r}", r.since, r.held) for r in statuses),
            *((f"transition {t.trigger}: {t.source} -> {t.dest}", t.since, t.held) for t in transitions),
            *((f"field rule {r.code}", versions[0], r.held) for r in field_rules),
        ):
            if since not in versions:
                problems.append(f"{what} has unknown version {since!r}")
            try:
                parse_held(held, versions)
            except ValueError as exc:
                problems.append(f"{what}: held {held!r} {exc}")
        return problems

    def _check_definition(
        self,
        rows: Sequence[spec.StatusRow],
        rows_all: Sequence[spec.StatusRow],
        field_rules_all: Sequence[spec.FieldRule],
    ) -> None:
        kind = self.kind
        problems: list[str] = []
        if len(self.order) != len(self.statuses):
            problems.append("a status is declared twice")
        for r in rows:
            if r.klass not in (spec.ACTIVE, spec.PAUSED, spec.TERMINAL):
                problems.append(f"status {r.status!r} has unknown class {r.klass!r}")
        if self.initial not in self.statuses:
            problems.append(f"initial status {self.initial!r} is not a declared status")
        if self.initial in self.terminal:
            problems.append(f"initial status {self.initial!r} is terminal")
        seen: dict[tuple[str, str], Transition] = {}
        for t in self.transitions:
            row = f"{t.trigger}: {t.source} -> {t.dest}"
            for end in (t.source, t.dest):
                if end not in self.statuses:
                    problems.append(f"transition {row} names unknown status {end!r}")
            if t.actor not in spec.ACTORS:
                problems.append(f"transition {row} has unknown actor {t.actor!r} (known: {', '.join(spec.ACTORS)})")
            bad = t.evidence - set(spec.EVIDENCE)
            if bad or not t.evidence:
                problems.append(
                    f"transition {row} has unknown grade {' '.join(sorted(bad)) or '(none)'!r}"
                    f" (known: {', '.join(spec.EVIDENCE)})"
                )
            if "inferred" in t.evidence and len(t.evidence) > 1:
                problems.append(f"transition {row} is both inferred and documented")
            if t.source in self.terminal:
                problems.append(f"transition {row} leaves terminal status {t.source!r}")
            if t.source == t.dest:
                problems.append(f"transition {row} is a self-loop")
            key = (t.source, t.trigger)
            if key in seen:
                problems.append(f"duplicate trigger {t.trigger!r} from {t.source!r}")
            seen[key] = t
        if problems:
            raise SpecError(f"{kind} lifecycle ({self._where()}): " + "; ".join(problems))
        exits = {t.source for t in self.transitions}
        for s in self.order:
            if s not in self.terminal and s not in exits:
                problems.append(f"non-terminal status {s!r} has no way out")
        reach = _closure(self.order, ((t.source, t.dest) for t in self.transitions))[self.initial]
        for s in self.order:
            if s not in reach:
                problems.append(f"status {s!r} is unreachable from {self.initial!r}")
        declared = {r.status for r in rows_all}
        for rule in field_rules_all:
            for name in rule.statuses:
                if name not in declared:
                    problems.append(f"field rule {rule.code} names unknown status {name!r}")
            if rule.kind not in ("exactly", "set", "null_outside", "null"):
                problems.append(f"field rule {rule.code} has unknown kind {rule.kind!r}")
            unknown = set(rule.evidence.split()) - set(spec.EVIDENCE)
            if unknown:
                problems.append(f"field rule {rule.code} has unknown grade {' '.join(sorted(unknown))!r}")
        if problems:
            raise SpecError(f"{kind} lifecycle ({self._where()}): " + "; ".join(problems))

    def _where(self) -> str:
        return self.version if self.period == ALL_DATES else f"{self.version}, {self.period.label}"

    def require_working(self) -> str:
        """:attr:`working`, or :class:`SpecError` when the table does not single one status out."""
        if self.working is None:
            raise SpecError(f"{self.kind}: no single status follows {self.initial!r} by a documented edge, "
                            "so there is no status it works in")
        return self.working

    # -- queries: one lookup each --------------------------------------------------

    def is_status(self, status: object) -> bool:
        """True if ``status`` is a status of this lifecycle."""
        return status in self.statuses

    def require_status(self, status: object, obj_id: str | None = None) -> str:
        """Return ``status`` if known, else raise :class:`UnknownStatus` (with a suggestion)."""
        if status in self.statuses:
            return status
        raise UnknownStatus(self.kind, status, self.order, obj_id) from None

    # is_legal and reachable index by source first: two lookups on strings (whose
    # hashes are cached) beat hashing a fresh (src, dst) tuple on every call.
    def is_legal(self, src: str, dst: str, strict: bool = False) -> bool:
        """True if one event may move ``src`` to ``dst`` (the stream view)."""
        try:
            return dst in (self._next_strict if strict else self._next)[src]
        except (KeyError, TypeError):
            return False

    def is_inferred(self, src: str, dst: str) -> bool:
        """True if ``src -> dst`` is legal only in tolerant mode."""
        return (src, dst) in self._inferred_pairs

    def reachable(self, src: str, dst: str, strict: bool = False) -> bool:
        """True if ``dst`` can be observed after ``src`` by polling (zero or more edges)."""
        try:
            return dst in (self._reach_strict if strict else self._reach)[src]
        except (KeyError, TypeError):
            return False

    def next_statuses(self, src: str, strict: bool = False) -> frozenset[str]:
        """The statuses one edge away from ``src``."""
        try:
            return (self._next_strict if strict else self._next)[src]
        except KeyError:
            raise UnknownStatus(self.kind, src, self.order) from None

    def edges(self, src: str, dst: str) -> tuple[Transition, ...]:
        """The transitions (by trigger) that move ``src`` to ``dst``."""
        return self._edges_by_pair.get((src, dst), ())

    def check(self, src: str, dst: str, strict: bool = False, obj_id: str | None = None) -> Transition:
        """Return the edge ``src -> dst`` or raise :class:`IllegalTransition` / :class:`UnknownStatus`."""
        if (src, dst) in (self._pairs_strict if strict else self._pairs):
            return self._edges_by_pair[(src, dst)][0]
        self.require_status(src, obj_id)
        self.require_status(dst, obj_id)
        note = " It is an inferred edge, refused in strict mode." if self.is_inferred(src, dst) else ""
        raise IllegalTransition(
            self.kind, src, dst, sorted(self.next_statuses(src, strict)), obj_id, strict=strict, note=note
        ) from None

    def fire(self, src: str, trigger: str, strict: bool = False, obj_id: str | None = None) -> Transition:
        """The edge ``trigger`` takes from ``src``, or :class:`IllegalTransition`."""
        edge = (self.by_trigger_strict if strict else self.by_trigger).get((src, trigger))
        if edge is not None:
            return edge
        self.require_status(src, obj_id)
        legal = sorted(t for (s, t) in (self.by_trigger_strict if strict else self.by_trigger) if s == src)
        note = ""
        if not strict or (src, trigger) not in self.by_trigger:
            if trigger not in self.triggers:
                note = f" {trigger!r} is not a trigger of this lifecycle."
        else:
            note = " It is an inferred edge, refused in strict mode."
        raise IllegalTransition(
            self.kind, src, None, legal, obj_id, trigger=trigger, strict=strict, note=note
        ) from None

    def __repr__(self) -> str:
        return f"<Lifecycle {self.kind} {self._where()}: {len(self.order)} statuses, {len(self.transitions)} transitions>"


class Profile:
    """A protocol's lifecycles for one version over one period, plus its version-specific domains."""

    __slots__ = ("_kinds", "event_aliases", "lifecycles", "period", "protocol", "tool_call_types", "version")

    def __init__(
        self, protocol: spec.Protocol, version: str, lifecycles: Mapping[str, Lifecycle], *,
        period: Period = ALL_DATES, tool_call_types: tuple[str, ...] = (),
        event_aliases: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.protocol = protocol
        self.version = version
        self.lifecycles = dict(lifecycles)
        self.period = period
        self.tool_call_types = tool_call_types
        # event name -> the statuses its object may carry, where that is more than the one it names
        self.event_aliases: Mapping[str, frozenset[str]] = event_aliases or {}
        self._kinds = ", ".join(self.lifecycles)

    def replace(self, **lifecycles: Lifecycle) -> Profile:
        """The same profile with some lifecycles swapped (by kind)."""
        return Profile(self.protocol, self.version, {**self.lifecycles, **lifecycles}, period=self.period,
                       tool_call_types=self.tool_call_types, event_aliases=self.event_aliases)

    @property
    def primary(self) -> Lifecycle:
        """The lifecycle of the protocol's first object (the run)."""
        return self.lifecycles[self.protocol.objects[0].kind]

    # The Assistants protocol's objects, by name.
    @property
    def run(self) -> Lifecycle:
        return self.lifecycle("run")

    @property
    def run_step(self) -> Lifecycle:
        return self.lifecycle("run_step")

    @property
    def message(self) -> Lifecycle:
        return self.lifecycle("message")

    @property
    def tool_names(self) -> dict[str, str]:
        """Tool call type as API v2 names it -> as this version names it (``file_search`` was ``retrieval`` in v1);
        empty for a protocol without tool calls."""
        if not self.tool_call_types:
            return {}
        return dict(zip(spec.TOOL_CALL_TYPES[spec.DEFAULT_VERSION], self.tool_call_types, strict=True))

    @property
    def current(self) -> bool:
        """True for the rules in force today (the last period)."""
        return self.period.end is None

    def lifecycle(self, kind: str) -> Lifecycle:
        """The lifecycle of an object kind (``"run"``, ``"run_step"``, ``"message"`` for the Assistants)."""
        try:
            return self.lifecycles[kind]
        except KeyError:
            raise SpecError(f"unknown object kind {kind!r}; known: {self._kinds}") from None

    def refusal(
        self, operation: str, *, thread_id: str | None = None, active_run_id: str | None = None,
        status: str | None = None, expected: Sequence[str] | None = None, got: Sequence[str] | None = None,
    ) -> tuple[str, str] | None:
        """``(key, message)`` of the API's refusal of ``operation`` (the protocol's refusal rows), or None.

        The facts are what the server knows when the request arrives: the container's
        active primary object (the thread's run), the primary object's status, the
        pending and the submitted call ids; a row whose fact is not given is skipped."""
        primary = self.primary
        for row in _refusal_rows(self.protocol, operation):
            if _CONDITIONS[row.refused_when](primary, active_run_id, status, expected, got):
                fields = {"thread_id": thread_id, "run_id": active_run_id, "status": status,
                          "expected": list(expected or ()), "got": list(got or ())}
                return row.key, row.template.format(**fields)
        return None

    def event_names(self) -> dict[str, tuple[str, str]]:
        """Every known stream event name -> (object kind, status or an extra name such as ``created``)."""
        out: dict[str, tuple[str, str]] = {}
        for obj in self.protocol.objects:
            if obj.event_prefix and obj.kind in self.lifecycles:
                for s in obj.event_extra + self.lifecycles[obj.kind].order:
                    out[f"{obj.event_prefix}.{s}"] = (obj.kind, s)
        return out

    def __repr__(self) -> str:
        return f"<Profile {self.protocol.name} {self.version}, {self.period.label}: {self._kinds}>"


def _compile(protocol: spec.Protocol, version: str, period: Period) -> Profile:
    _checked_refusals(protocol)
    versions = protocol.versions
    lifecycles = {
        o.kind: Lifecycle(o.kind, o.statuses, o.initial, o.transitions, o.field_rules, version=version,
                          period=period, versions=versions, label=o.label, event_prefix=o.event_prefix)
        for o in protocol.objects
    }
    aliases: dict[str, set[str]] = {}
    problems = []
    for alias in protocol.event_aliases:
        where = f"event alias {alias.kind}.{alias.named} -> {alias.status}"
        if alias.kind not in lifecycles:
            problems.append(f"{where} names unknown object kind {alias.kind!r}")
            continue
        try:
            parse_held(alias.held, versions)
        except ValueError as exc:
            problems.append(f"{where}: held {alias.held!r} {exc}")
            continue
        known = lifecycles[alias.kind].statuses
        if alias.since not in versions:
            problems.append(f"{where} has unknown version {alias.since!r}")
            continue
        if not _holds(alias.since, alias.held, version, period, versions) or alias.status not in known:
            continue  # not in force, or about a status this version does not have
        if alias.named not in known:
            problems.append(f"{where} names unknown status {alias.named!r}")
            continue
        prefix = protocol.object(alias.kind).event_prefix
        aliases.setdefault(f"{prefix}.{alias.named}", {alias.named}).add(alias.status)
    if problems:
        raise SpecError(f"events ({version}, {period.label}): " + "; ".join(problems))
    return Profile(protocol, version, lifecycles, period=period,
                   tool_call_types=dict(protocol.tool_call_types).get(version, ()),
                   event_aliases={k: frozenset(v) for k, v in aliases.items()})


# One question per REFUSAL_CONDITIONS key, asked through the primary lifecycle's status classes:
# (primary lifecycle, container's active object id, status, pending call ids, submitted call ids) -> holds?
_CONDITIONS: dict[str, Callable[[Lifecycle, str | None, str | None, Sequence[str] | None, Sequence[str] | None],
                                bool]] = {
    "thread_active": lambda lc, active, status, expected, got: active is not None,
    "run_not_paused": lambda lc, active, status, expected, got: status is not None and status not in lc.paused,
    "run_terminal": lambda lc, active, status, expected, got: status is not None and status in lc.terminal,
    "calls_not_covered": lambda lc, active, status, expected, got: (
        expected is not None and got is not None and (len(got) != len(expected) or set(got) != set(expected))),
}
_REFUSAL_FIELDS = frozenset({"thread_id", "run_id", "status", "expected", "got"})


def _refusal_rows(protocol: spec.Protocol, operation: str) -> tuple[spec.RefusalRow, ...]:
    cache = _cache_of(protocol)
    key = ("refusals", operation)
    rows = cache.get(key)
    if rows is None:
        rows = cache[key] = tuple(r for r in _checked_refusals(protocol) if r.operation == operation)
    return rows  # type: ignore[return-value]


def _checked_refusals(protocol: spec.Protocol) -> tuple[spec.RefusalRow, ...]:
    """The refusal rows, checked once: known conditions and grades, templates naming known facts, unique keys."""
    cache = _cache_of(protocol)
    if "checked refusals" in cache:
        return protocol.refusals
    problems = []
    if set(_CONDITIONS) != set(spec.REFUSAL_CONDITIONS):
        problems.append(f"conditions without a question: {sorted(set(spec.REFUSAL_CONDITIONS) ^ set(_CONDITIONS))}")
    keys = [r.key for r in protocol.refusals]
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"refusal {dup!r} is declared twice")
    for r in protocol.refusals:
        if r.refused_when not in spec.REFUSAL_CONDITIONS:
            problems.append(f"refusal {r.key!r} names unknown condition {r.refused_when!r} "
                            f"(known: {', '.join(spec.REFUSAL_CONDITIONS)})")
        unknown = set(re.findall(r"\{(\w+)\}", r.template)) - _REFUSAL_FIELDS
        if unknown:
            problems.append(f"refusal {r.key!r} formats unknown fields {sorted(unknown)}")
        grades = set(r.evidence.split())
        if not grades or grades - set(spec.EVIDENCE):
            problems.append(f"refusal {r.key!r} has unknown grade {r.evidence!r}")
    if problems:
        raise SpecError(f"{protocol.name} refusals: " + "; ".join(problems))
    cache["checked refusals"] = True
    return protocol.refusals


# Compiled results per protocol, keyed by the protocol object itself (a protocol is a large nested
# tuple: hashing it on every call would cost more than the lookup it saves).
_CACHES: dict[int, tuple[spec.Protocol, dict[object, object]]] = {}


def _cache_of(protocol: spec.Protocol) -> dict[object, object]:
    entry = _CACHES.get(id(protocol))
    if entry is None or entry[0] is not protocol:
        entry = _CACHES[id(protocol)] = (protocol, {})
    return entry[1]


def _check_version(protocol: spec.Protocol, version: str) -> None:
    if version.__class__ is not str or version not in protocol.versions:
        raise SpecError(f"unknown API version {version!r} of {protocol.name}; known: {', '.join(protocol.versions)}")


def _spans(protocol: spec.Protocol, version: str) -> tuple[Period, ...]:
    """The periods of ``version``: from its first day, split where the rows in force change."""
    cache = _cache_of(protocol)
    key = ("spans", version)
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[return-value]
    _check_version(protocol, version)
    versions = protocol.versions
    tables: list[tuple[Any, ...]] = [t for o in protocol.objects for t in (o.statuses, o.transitions, o.field_rules)]
    tables.append(protocol.event_aliases)
    unknown = sorted({r.since for t in tables for r in t if getattr(r, "since", versions[0]) not in versions})
    if unknown:
        raise SpecError(f"{protocol.name}: rows name unknown versions {unknown}; known: {', '.join(versions)}")
    first = dict(protocol.first_day).get(version)
    try:
        found_days = _boundaries((r.held for t in tables for r in t), version, versions)
    except ValueError as exc:
        raise SpecError(f"a row's held dates {exc}") from None
    days = [first, *(d for d in found_days if d > first)] if first is not None else found_days

    def in_force(period: Period) -> tuple[tuple[object, ...], ...]:
        return tuple(tuple(r for r in table
                           if _holds(getattr(r, "since", versions[0]), r.held, version, period, versions))
                     for table in tables)

    out: list[Period] = []
    for period in _periods_of(days)[1 if first is not None else 0:]:  # from the version's first day
        if out and in_force(out[-1]) == in_force(period):  # a date that changes nothing in this version
            out[-1] = Period(out[-1].start, period.end)
        else:
            out.append(period)
    cache[key] = spans = tuple(out)
    return spans


def _compiled(protocol: spec.Protocol, version: str, period: Period) -> Profile:
    cache = _cache_of(protocol)
    key = ("profile", version, period)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _compile(protocol, version, period)
    return found  # type: ignore[return-value]


def _starts(protocol: spec.Protocol, version: str) -> tuple[float, ...]:
    cache = _cache_of(protocol)
    key = ("starts", version)
    found = cache.get(key)
    if found is None:
        found = cache[key] = tuple(p.start_seconds for p in _spans(protocol, version))
    return found  # type: ignore[return-value]


def periods(version: str | None = None, protocol: spec.Protocol = spec.PROTOCOL) -> tuple[Profile, ...]:
    """The compiled rules of ``version``, one profile per period the protocol's dates make, oldest first."""
    version = protocol.default_version if version is None else version
    return tuple(_compiled(protocol, version, p) for p in _spans(protocol, version))


class _Timeline:
    """One version's periods, ready for a lookup per object: start seconds, first day, profiles made lazily."""

    __slots__ = ("first", "profiles", "spans", "starts")

    def __init__(self, protocol: spec.Protocol, version: str) -> None:
        self.spans = _spans(protocol, version)
        self.starts = _starts(protocol, version)
        first = dict(protocol.first_day).get(version)
        self.first = float("-inf") if first is None else day_seconds(first)
        self.profiles: list[Profile | None] = [None] * len(self.spans)


def _timeline(protocol: spec.Protocol, version: str) -> _Timeline:
    cache = _cache_of(protocol)
    found = cache.get(version)  # a bare version string: the commonest key, hashed once
    if found is None:
        found = cache[version] = _Timeline(protocol, version)
    return found  # type: ignore[return-value]


def profile_at(version: str, seconds: float, protocol: spec.Protocol = spec.PROTOCOL) -> Profile:
    """The rules of ``version`` in force at Unix time ``seconds``.

    Today's rules for a time before the version was first served: such a stamp is
    no recording of it (see ``spec.VERSION_FIRST_DAY``)."""
    t = _timeline(protocol, version)
    i = len(t.spans) - 1
    if i and seconds == seconds and seconds >= t.first:  # NaN, or before the first day: today's
        i = bisect_right(t.starts, seconds) - 1
    found = t.profiles[i]
    if found is None:
        found = t.profiles[i] = _compiled(protocol, version, t.spans[i])
    return found


def profile(version: str | None = None, as_of: object = None, protocol: spec.Protocol = spec.PROTOCOL) -> Profile:
    """The compiled lifecycles for ``version`` of a protocol (the Assistants by default: ``"v2"`` or ``"v1"``).

    The rules in force today, or on the day ``as_of`` (see :func:`as_of_day`)."""
    version = protocol.default_version if version is None else version
    if as_of is None:
        if version.__class__ is not str:
            _check_version(protocol, version)  # before it is used as a key
        return _compiled(protocol, version, _spans(protocol, version)[-1])
    day = as_of_day(as_of)
    first = dict(protocol.first_day).get(version)
    _check_version(protocol, version)
    if first is not None and day < first:
        raise ValueError(f"API {version} was first served on {first}; there are no rules of it as of {day}")
    return profile_at(version, day_seconds(day), protocol)


def compile_protocol(protocol: spec.Protocol, version: str | None = None, as_of: object = None) -> Profile:
    """Check and compile any protocol (a :class:`~runfsm.spec.Protocol` value): :func:`profile` for it."""
    if not isinstance(protocol, spec.Protocol):
        raise SpecError(f"compile_protocol takes a runfsm.spec.Protocol, not {type(protocol).__name__}")
    cache = _cache_of(protocol)
    if "checked types" not in cache:
        problems = type_problems(protocol)
        if problems:
            raise SpecError(f"protocol {protocol.name!r}: " + "; ".join(problems[:10])
                            + (f"; and {len(problems) - 10} more" if len(problems) > 10 else ""))
        cache["checked types"] = True
    return profile(version, as_of, protocol)
