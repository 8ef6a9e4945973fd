"""Per-object checks, compiled once per object kind and API version from the spec.

:class:`ObjectChecks` turns a :class:`~runfsm.Lifecycle`'s ``field_rules``
into one tuple of ``(field, must_be_set, rule)`` per status, so checking an
object is one dict lookup for its status plus one ``dict.get`` per applicable
rule.  A rule the sources agree on is an ``error`` when broken; a ``disputed``
rule is a ``warning``.  The value domains (error codes, incomplete reasons,
step types, tool call types, the ``required_action`` shape) and the wire keys
come from :mod:`runfsm.spec` as well.

:class:`Anchors` derives the few statuses the cross-object checks need
(the status a run works in, the statuses the clock ends things in, the end
statuses recorded on the wire) from the compiled tables, so nothing here
names a status.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from .. import spec
from ..errors import UnknownStatus
from ..lifecycle import Lifecycle, Profile
from ._findings import ERROR, WARNING, InputError

__all__ = [
    "Anchors",
    "ObjectChecks",
    "Problem",
    "function_calls",
    "message_of_step",
    "required_action_problem",
    "required_call_ids",
    "short",
    "type_name",
]

# Wire keys, as LIFECYCLE.md names them.  Everything here is a key, never a status.
ID, OBJECT, STATUS, CREATED_AT = "id", "object", "status", "created_at"
THREAD_ID, RUN_ID, ASSISTANT_ID, TYPE = "thread_id", "run_id", "assistant_id", "type"
EXPIRES_AT, STARTED_AT = "expires_at", "started_at"
REQUIRED_ACTION, LAST_ERROR, INCOMPLETE_DETAILS, USAGE = "required_action", "last_error", "incomplete_details", "usage"
STEP_DETAILS, TOOL_CALLS, FUNCTION, OUTPUT = "step_details", "tool_calls", "function", "output"
MESSAGE_CREATION, MESSAGE_ID = "message_creation", "message_id"

KIND_LABEL = {"run": "run", "run_step": "run step", "message": "message"}

LATEST_TIME = 253_402_300_799
"""9999-12-31T23:59:59Z: the last second a calendar date can name (timestamps are Unix seconds, never negative)."""

_SPEC_RULES: Mapping[str, tuple[spec.FieldRule, ...]] = {
    "run": spec.RUN_FIELD_RULES,
    "run_step": spec.STEP_FIELD_RULES,
    "message": spec.MESSAGE_FIELD_RULES,
}


class Problem(NamedTuple):
    """A broken rule found in one object, before it is placed (file, line, index)."""

    code: str
    severity: str
    message: str
    rule: str | None = None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 4, 60, 60


def short(value: object, limit: int = 60) -> str:
    """A bounded ``repr(value)`` (safe for huge or deeply nested values), cut to ``limit`` characters."""
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int too long to turn into text
        text = f"<an integer of {value.bit_length()} bits>" if isinstance(value, int) else f"<a {type_name(value)}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value: object) -> str:
    """The JSON-ish name of a value's type (``null`` for None)."""
    return "null" if value is None else type(value).__name__


_STR_KEYS = {"run": (THREAD_ID, ASSISTANT_ID), "run_step": (THREAD_ID, TYPE), "message": (THREAD_ID, RUN_ID)}
_DICT_KEYS = {k: (REQUIRED_ACTION, LAST_ERROR, INCOMPLETE_DETAILS) + ((STEP_DETAILS,) if k == "run_step" else ())
              for k in ("run", "run_step", "message")}


class ObjectChecks:
    """The field rules, key rules, timestamp rules and value domains of one kind, compiled."""

    def __init__(self, profile: Profile, kind: str) -> None:
        lc: Lifecycle = profile.lifecycle(kind)
        self.kind = kind
        self.label = lc.label
        self.lifecycle = lc
        self.tool_call_types = frozenset(profile.tool_call_types)
        # field rules: status -> (fields that must be set, fields that must be null)
        must_set: dict[str, list[str]] = {s: [] for s in lc.order}
        must_null: dict[str, list[str]] = {s: [] for s in lc.order}
        self._rule_of: dict[tuple[str, str, bool], spec.FieldRule] = {}
        for rule in lc.field_rules:
            inside = set(rule.statuses)
            for s in lc.order:
                if (rule.kind in ("exactly", "set") and s in inside):
                    want = True
                elif (rule.kind == "exactly" and s not in inside) or (rule.kind == "null_outside" and s not in inside) \
                        or (rule.kind == "null" and s in inside):
                    want = False
                else:
                    continue
                key = (s, rule.field, want)
                if key not in self._rule_of:
                    (must_set if want else must_null)[s].append(rule.field)
                    self._rule_of[key] = rule
                elif self._rule_of[key].disputed and not rule.disputed:  # an agreed rule outranks a disputed one
                    self._rule_of[key] = rule
        self.rules: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
            s: (tuple(must_set[s]), tuple(must_null[s])) for s in lc.order
        }
        # timestamps: every *_at field a rule or the spec names for this kind
        stamps: list[str] = []
        if kind == "run":
            stamps.extend(spec.RUN_TIMESTAMPS)
        else:
            stamps.append(CREATED_AT)
            stamps.extend(r.field for r in profile.protocol.object(kind).field_rules if r.field.endswith("_at"))
            if kind == "run_step":
                stamps.extend(spec.STEP_EXPIRY_KEYS)
        self.timestamps: tuple[str, ...] = tuple(dict.fromkeys(stamps))
        self.later_stamps: tuple[str, ...] = tuple(f for f in self.timestamps if f != CREATED_AT)
        # keys a run object always carries (fields whose rules exist only in a later version are left out)
        self.required_keys: frozenset[str] = frozenset()
        if kind == "run":
            dropped = {r.field for r in spec.RUN_FIELD_RULES} - {r.field for r in lc.field_rules}
            self.required_keys = frozenset(k for k in spec.RUN_KEYS if k not in dropped)
        # the types of the other keys the checks read: a wrong type makes the object unreadable
        # (the Assistants objects' own keys; an object of another protocol is read by its rules alone)
        self.str_keys: tuple[str, ...] = _STR_KEYS.get(kind, ())
        self.dict_keys: tuple[str, ...] = _DICT_KEYS.get(kind, ())
        self.status_required = kind != "message"  # messages from create/retrieve/list carry no status
        self.is_step = kind == "run_step"
        self.deadline_statuses = lc.active if kind == "run" else frozenset()

    # -- reading and checking ----------------------------------------------------------------

    def inspect(
        self, obj: Mapping[str, Any], source: str | None = None, line: int | None = None, *, keys: bool = True
    ) -> tuple[str, str | None, list[Problem]]:
        """Read and check one object: ``(id, status, problems)``.

        Raises :class:`InputError` when the object cannot be read (missing id or
        status, a key of the wrong type).  An unknown status comes back as a
        problem (the caller sees that ``status`` is not a status of the
        lifecycle); a message without status comes back with ``status`` None.
        ``keys=False`` skips the check that a run carries every key (the
        tracker checks it on the first snapshot of each run).
        """
        get = obj.get
        oid = get(ID)
        if oid.__class__ is not str:
            what = "has no 'id'" if oid is None else f"has an 'id' of type {type_name(oid)}, not a string"
            raise InputError(f"this {self.label} object {what}", source=source, line=line,
                             code="input.missing_key" if oid is None else "input.type")
        status = get(STATUS)
        if status.__class__ is not str and (status is not None or self.status_required):
            what = "has no 'status'" if status is None else f"has a 'status' of type {type_name(status)}"
            raise InputError(f"{self.label} {oid} {what}; expected one of {', '.join(self.lifecycle.order)}",
                             source=source, line=line, object_id=oid,
                             code="input.missing_key" if status is None else "input.type")
        if self.is_step and get(RUN_ID).__class__ is not str:
            raise InputError(f"run step {oid} has no string 'run_id'", source=source, line=line, object_id=oid,
                             code="input.missing_key" if get(RUN_ID) is None else "input.type")
        created = get(CREATED_AT)
        odd: list[str] = []  # timestamps no clock can hold
        if created is not None:
            if created.__class__ is not int:
                self._bad_type(oid, CREATED_AT, created, int, source, line)
            if not 0 <= created <= LATEST_TIME:
                odd.append(CREATED_AT)
        early = False
        for key in self.later_stamps:
            v = get(key)
            if v is not None:
                if v.__class__ is not int:
                    self._bad_type(oid, key, v, int, source, line)
                if not 0 <= v <= LATEST_TIME:
                    odd.append(key)
                if created is not None and v < created:
                    early = True
        for key in self.str_keys:
            v = get(key)
            if v is not None and v.__class__ is not str:
                self._bad_type(oid, key, v, str, source, line)
        details = False
        for key in self.dict_keys:
            v = get(key)
            if v is not None:
                details = True
                if v.__class__ is not dict:
                    self._bad_type(oid, key, v, dict, source, line)
        out: list[Problem] = []
        for key in odd:
            out.append(Problem(
                f"{self.kind}.timestamp_range", ERROR,
                f"{self.label} {oid}: {key} is {short(get(key))}, which no clock can hold; expected a Unix time in "
                f"whole seconds from 0 to {LATEST_TIME} (the end of year 9999)"))
        rules = self.rules.get(status)  # type: ignore[arg-type]
        if rules is None:
            if status is not None:
                out.append(self.unknown_status(status, oid))
            return oid, status, out
        assert status is not None
        set_fields, null_fields = rules
        for field in set_fields:
            if get(field) is None:
                out.append(self._field_problem(obj, status, oid, field, True))
        for field in null_fields:
            if get(field) is not None:
                out.append(self._field_problem(obj, status, oid, field, False))
        if early:
            for field in self.later_stamps:
                v = get(field)
                if v is not None and v < created:
                    out.append(Problem(
                        f"{self.kind}.timestamp_order", ERROR,
                        f"{self.label} {oid}: {field} ({short(v)}) is earlier than created_at ({short(created)}); "
                        "no timestamp may precede created_at"))
        if created is not None and status in self.deadline_statuses:
            expires = get(EXPIRES_AT)
            if expires is not None and expires != created + spec.RUN_DEADLINE_SECONDS:
                out.append(Problem(
                    "run.expires_at_deadline", WARNING,
                    f"run {oid} is {status!r} with expires_at {short(expires)}, expected created_at + "
                    f"{spec.RUN_DEADLINE_SECONDS} = {short(created + spec.RUN_DEADLINE_SECONDS)} "
                    "(the deadline is fixed at creation and never reset)"))
        if keys and self.required_keys and not obj.keys() >= self.required_keys:
            missing = sorted(self.required_keys - obj.keys())
            out.append(Problem(
                "run.missing_keys", WARNING,
                f"run {oid} lacks the keys {', '.join(missing)}; a run object on the wire carries every key "
                "(null where it does not apply)"))
        if details or (self.is_step and get(TYPE) is not None):
            if self.kind == "run":
                self._run_values(obj, oid, out)
            elif self.kind == "run_step":
                self._step_values(obj, oid, out)
            else:
                reason = _reason(get(INCOMPLETE_DETAILS))
                if reason is not None and reason not in spec.MESSAGE_INCOMPLETE_REASONS:
                    out.append(_domain("message", oid, "incomplete_details.reason", reason,
                                       spec.MESSAGE_INCOMPLETE_REASONS))
        return oid, status, out

    def _bad_type(self, oid: str, key: str, v: object, want: type, source: str | None, line: int | None) -> None:
        if isinstance(v, want) and v.__class__ is not bool:
            return  # a subclass (an int enum, an ordered dict) is fine
        what = "an integer Unix time" if want is int else "a string" if want is str else "an object"
        raise InputError(f"{self.label} {oid}: {key!r} is {type_name(v)} {short(v)}, expected {what} or null",
                         source=source, line=line, object_id=oid, code="input.type")

    def unknown_status(self, status: str, oid: str) -> Problem:
        """The finding for a status this lifecycle does not know (with a did-you-mean)."""
        if len(status) > 80:  # no fuzzy matching on a huge value
            return Problem(f"{self.kind}.unknown_status", ERROR,
                           f"{self.label} {oid}: unknown status {short(status)}. "
                           f"Known statuses: {', '.join(self.lifecycle.order)}.")
        return Problem(f"{self.kind}.unknown_status", ERROR,
                       str(UnknownStatus(self.kind, status, self.lifecycle.order, oid)))

    def _field_problem(self, obj: Mapping[str, Any], status: str, oid: str, field: str, must_set: bool) -> Problem:
        rule = self._rule_of[(status, field, must_set)]
        code = f"{self.kind}.field.{rule.code.split('.', 1)[1]}"
        severity = WARNING if rule.disputed else ERROR
        if must_set:
            seen = "is null" if field in obj else "is missing"
            text = f"{self.label} {oid} is {status!r} but {field} {seen}, expected a value"
        else:
            text = f"{self.label} {oid} is {status!r} but {field} is set ({short(obj.get(field))}), expected null"
        grade = f"{rule.evidence}, disputed" if rule.disputed else rule.evidence
        return Problem(code, severity, f"{text}: {rule.why} ({grade})", rule.code)

    def _run_values(self, obj: Mapping[str, Any], oid: str, out: list[Problem]) -> None:
        get = obj.get
        error = get(LAST_ERROR)
        if error is not None:
            code = error.get("code")
            if code not in spec.RUN_ERROR_CODES or error.get("message").__class__ is not str:
                out.append(_domain("run", oid, "last_error.code", code, spec.RUN_ERROR_CODES, "last_error"))
        reason = _reason(get(INCOMPLETE_DETAILS))
        if reason is not None and reason not in spec.RUN_INCOMPLETE_REASONS:
            out.append(_domain("run", oid, "incomplete_details.reason", reason, spec.RUN_INCOMPLETE_REASONS))
        action = get(REQUIRED_ACTION)
        if action is not None:
            problem = required_action_problem(action)
            if problem is not None:
                out.append(Problem("run.value.required_action", ERROR, f"run {oid}: {problem}", "run.required_action"))

    def _step_values(self, obj: Mapping[str, Any], oid: str, out: list[Problem]) -> None:
        get = obj.get
        step_type = get(TYPE)
        if step_type is not None and step_type not in spec.STEP_TYPES:
            out.append(_domain("run_step", oid, "type", step_type, spec.STEP_TYPES))
        details = get(STEP_DETAILS)
        if details is not None:
            if step_type is not None and details.get(TYPE) != step_type:
                out.append(Problem(
                    "run_step.value.step_details", ERROR,
                    f"run step {oid} has type {step_type!r} but step_details.type is {short(details.get(TYPE))}"))
            calls = details.get(TOOL_CALLS)
            if calls is not None:
                if not isinstance(calls, list):
                    out.append(Problem("run_step.value.step_details", ERROR,
                                       f"run step {oid}: step_details.tool_calls is {type_name(calls)}, not a list"))
                else:
                    for call in calls:
                        kind = call.get(TYPE) if isinstance(call, dict) else None
                        if kind.__class__ is not str or kind not in self.tool_call_types:
                            out.append(_domain("run_step", oid, "tool call type", kind, tuple(sorted(self.tool_call_types))))
                            break
        error = get(LAST_ERROR)
        if error is not None:
            code = error.get("code")
            if code not in spec.STEP_ERROR_CODES or error.get("message").__class__ is not str:
                out.append(_domain("run_step", oid, "last_error.code", code, spec.STEP_ERROR_CODES, "last_error"))


def _reason(details: Mapping[str, Any] | None) -> Any:
    return None if details is None else details.get("reason", "(missing)")


def _domain(kind: str, oid: str, what: str, value: object, known: tuple[str, ...], code: str | None = None) -> Problem:
    name = (code or what).replace(".", "_").replace(" ", "_")
    if name == "last_error":
        text = f"{KIND_LABEL[kind]} {oid}: last_error should be {{code, message}} with code one of {', '.join(known)}; got {short(value)}"
    else:
        text = f"{KIND_LABEL[kind]} {oid}: {what} {short(value)} is not one of {', '.join(known)}"
    return Problem(f"{kind}.value.{name}", WARNING, text)


def required_action_problem(action: Mapping[str, Any]) -> str | None:
    """What is wrong with a ``required_action`` object, or ``None`` when it has the documented shape."""
    if action.get(TYPE) != spec.REQUIRED_ACTION_TYPE:
        return f"required_action.type is {short(action.get(TYPE))}, expected {spec.REQUIRED_ACTION_TYPE!r}"
    inner = action.get(spec.REQUIRED_ACTION_TYPE)
    calls = inner.get(TOOL_CALLS) if isinstance(inner, dict) else None
    if not isinstance(calls, list) or not calls:
        return f"required_action.{spec.REQUIRED_ACTION_TYPE}.tool_calls should be a non-empty list of tool calls"
    for call in calls:
        if not isinstance(call, dict) or call.get(ID).__class__ is not str:
            return f"a tool call in required_action has no string id: {short(call)}"
        if call.get(TYPE) != spec.PAUSING_TOOL_CALL_TYPE:
            return (f"tool call {call[ID]} in required_action has type {short(call.get(TYPE))}; only "
                    f"{spec.PAUSING_TOOL_CALL_TYPE!r} calls ever pause a run")
    return None


def required_call_ids(obj: Mapping[str, Any]) -> frozenset[str]:
    """The call ids a paused run waits for (empty when ``required_action`` is missing or malformed)."""
    action = obj.get(REQUIRED_ACTION)
    if not isinstance(action, dict):
        return frozenset()
    inner = action.get(spec.REQUIRED_ACTION_TYPE)
    calls = inner.get(TOOL_CALLS) if isinstance(inner, dict) else None
    if not isinstance(calls, list):
        return frozenset()
    return frozenset(c[ID] for c in calls if isinstance(c, dict) and c.get(ID).__class__ is str)


def function_calls(obj: Mapping[str, Any]) -> dict[str, bool]:
    """A step's function calls: call id -> whether its ``output`` is filled in."""
    details = obj.get(STEP_DETAILS)
    calls = details.get(TOOL_CALLS) if isinstance(details, dict) else None
    out: dict[str, bool] = {}
    if isinstance(calls, list):
        for call in calls:
            if isinstance(call, dict) and call.get(TYPE) == spec.PAUSING_TOOL_CALL_TYPE and call.get(ID).__class__ is str:
                fn = call.get(FUNCTION)
                out[call[ID]] = isinstance(fn, dict) and fn.get(OUTPUT) is not None
    return out


def message_of_step(obj: Mapping[str, Any]) -> str | None:
    """The message a ``message_creation`` step creates, if it names one."""
    details = obj.get(STEP_DETAILS)
    inner = details.get(MESSAGE_CREATION) if isinstance(details, dict) else None
    mid = inner.get(MESSAGE_ID) if isinstance(inner, dict) else None
    return mid if mid.__class__ is str else None


def _only(values: set[str] | frozenset[str]) -> str | None:
    return next(iter(values)) if len(values) == 1 else None


class Anchors:
    """The statuses the cross-object checks need, derived from one profile's tables.

    * ``run_working``: the one non-terminal status a run reaches from its initial
      status by a documented edge (where steps and messages are created).
    * ``run_clock_end`` / ``step_clock_end``: the status the clock ends a run /
      step in (a step "is considered expired if the parent run is expired").
    * ``step_recorded_end``: the step statuses reached by edges seen on the wire
      (a completed step; function calls carry their outputs then).
    * ``ordered_end[kind]``: run statuses whose event comes only after every step
      (or message) of the run has ended, because the same trigger ends both with
      wire evidence on both sides; for the other terminal statuses that order is
      inferred.
    * ``end_stamp[status]``: the timestamp a terminal run carries for the moment
      it ended (the ``set``/``exactly`` timestamp rule of that terminal status).
    * ``message_ends_with_run``: whether a message can end because its run ended
      (the message triggers named in ``spec.MESSAGE_REASON_BY_TRIGGER`` exist).
    """

    def __init__(self, profile: Profile) -> None:
        run, step = profile.run, profile.run_step
        self.run_working = run.working
        self.run_clock_end = _only({t.dest for t in run.transitions if t.actor == "clock" and t.dest in run.terminal})
        self.step_clock_end = _only({t.dest for t in step.transitions if t.actor == "clock"})
        self.step_recorded_end = frozenset(t.dest for t in step.transitions if "wire" in t.evidence)
        self.ordered_end: dict[str, frozenset[str]] = {}
        for kind in ("run_step", "message"):
            other = profile.lifecycle(kind)
            wired = {t.trigger for t in other.transitions if "wire" in t.evidence}
            self.ordered_end[kind] = frozenset(
                t.dest for t in run.transitions if t.dest in run.terminal and "wire" in t.evidence and t.trigger in wired
            )
        stamps: dict[str, str] = {}
        for rule in run.field_rules:
            if (rule.field in spec.RUN_TIMESTAMPS and rule.kind in ("set", "exactly")
                    and set(rule.statuses) <= run.terminal):
                for s in rule.statuses:
                    stamps.setdefault(s, rule.field)
        self.end_stamp: dict[str, str] = stamps
        # Does a message end whenever its run does (``incomplete`` with a reason for every way a run
        # ends, API v2)?  In v1 a message can only complete (or, in April 2024, run out of tokens),
        # so nothing says how it ends when its run is cancelled, fails or expires.
        message_triggers = {t.trigger for t in profile.message.transitions}
        self.message_ends_with_run = set(spec.MESSAGE_REASON_BY_TRIGGER) <= message_triggers
