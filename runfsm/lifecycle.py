"""Compile the rows of :mod:`runfsm.spec` into checked, precomputed lookup tables.

A :class:`Lifecycle` is built once per object kind and API version.  Building it
runs the definition checks (unknown names, unreachable statuses, trap statuses,
exits from terminal statuses, duplicate triggers, unknown actors or grades) and
then freezes every query into a frozenset or dict, so each query afterwards is a
single lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import NamedTuple

from . import spec
from .errors import IllegalTransition, SpecError, UnknownStatus

__all__ = ["Lifecycle", "Profile", "Transition", "profile"]


# NamedTuples, not dataclasses: importing dataclasses (and inspect) would double
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
        version: str = spec.DEFAULT_VERSION,
    ) -> None:
        if version not in spec.VERSIONS:
            raise SpecError(f"{kind}: unknown version {version!r}; known: {', '.join(spec.VERSIONS)}")
        rank = spec.VERSIONS.index
        rows = [r for r in statuses if rank(r.since) <= rank(version)]
        edges = [t for t in transitions if rank(t.since) <= rank(version)]
        self.kind = kind
        self.version = version
        self.order: tuple[str, ...] = tuple(r.status for r in rows)
        self.statuses: frozenset[str] = frozenset(self.order)
        self.initial = initial
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
            if r.since not in spec.VERSIONS:
                problems.append(f"status {r.status!r} has unknown version {r.since!r}")
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
            raise SpecError(f"{kind} lifecycle ({self.version}): " + "; ".join(problems))
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
            raise SpecError(f"{kind} lifecycle ({self.version}): " + "; ".join(problems))

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
        return f"<Lifecycle {self.kind} {self.version}: {len(self.order)} statuses, {len(self.transitions)} transitions>"


class Profile(NamedTuple):
    """The three lifecycles of one API version, plus its version-specific domains."""

    version: str
    run: Lifecycle
    run_step: Lifecycle
    message: Lifecycle
    tool_call_types: tuple[str, ...]

    @property
    def tool_names(self) -> dict[str, str]:
        """Tool call type as API v2 names it -> as this version names it (``file_search`` was ``retrieval`` in v1)."""
        return dict(zip(spec.TOOL_CALL_TYPES[spec.DEFAULT_VERSION], self.tool_call_types, strict=True))

    def lifecycle(self, kind: str) -> Lifecycle:
        """The lifecycle for ``"run"``, ``"run_step"`` or ``"message"``."""
        try:
            return {"run": self.run, "run_step": self.run_step, "message": self.message}[kind]
        except KeyError:
            raise SpecError(f"unknown object kind {kind!r}; known: run, run_step, message") from None

    def event_names(self) -> dict[str, tuple[str, str]]:
        """Every known stream event name -> (object kind, status or ``created``/``delta``)."""
        out: dict[str, tuple[str, str]] = {}
        for kind, prefix in spec.EVENT_PREFIXES.items():
            for s in spec.EVENT_EXTRA[kind] + self.lifecycle(kind).order:
                out[f"{prefix}.{s}"] = (kind, s)
        return out


@cache
def profile(version: str = spec.DEFAULT_VERSION) -> Profile:
    """The compiled lifecycles for API ``version`` (``"v2"``, the default, or ``"v1"``)."""
    if version not in spec.VERSIONS:
        raise SpecError(f"unknown API version {version!r}; known: {', '.join(spec.VERSIONS)}")
    return Profile(
        version=version,
        run=Lifecycle("run", spec.RUN_STATUSES, spec.RUN_INITIAL, spec.RUN_TRANSITIONS, spec.RUN_FIELD_RULES, version=version),
        run_step=Lifecycle(
            "run_step", spec.STEP_STATUSES, spec.STEP_INITIAL, spec.STEP_TRANSITIONS, spec.STEP_FIELD_RULES, version=version
        ),
        message=Lifecycle(
            "message", spec.MESSAGE_STATUSES, spec.MESSAGE_INITIAL, spec.MESSAGE_TRANSITIONS, spec.MESSAGE_FIELD_RULES,
            version=version,
        ),
        tool_call_types=spec.TOOL_CALL_TYPES[version],
    )
