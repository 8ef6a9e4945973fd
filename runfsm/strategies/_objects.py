"""Wire objects: valid runs, run steps and messages of each status, and objects that break
exactly one field rule.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from hypothesis import strategies as st

from .. import _wire_shapes as shapes
from .. import spec
from ..errors import SpecError
from ..lifecycle import Lifecycle, Profile
from ._common import _BASE_TIME, _ID_CHARS, KINDS, _draw_ids, _Ids, _lifecycle, _resolve, _token
from ._rules import _apply_rules, _free_flags, _governed_fields, broken_rules, field_requirement
from ._sdk import sdk_objects
from ._values import _FUNCTION_NAMES, _calls, _text_content, _tool_call, _tool_definition, _usage

# --- wire objects --------------------------------------------------------------------------


def _run_object(
    prof: Profile,
    status: str,
    *,
    ids: _Ids,
    created_at: int,
    values: Mapping[str, Any],
    free: Callable[[str], bool],
    tools: list[dict[str, Any]],
    model: str = "gpt-4o",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    run = shapes.run_object(
        id=ids.run, created_at=created_at, assistant_id=ids.assistant, thread_id=ids.thread, status=status,
        started_at=None, expires_at=None, cancelled_at=None, failed_at=None, completed_at=None,
        required_action=None, last_error=None, model=model, instructions=None, tools=tools, tool_resources={},
        metadata=metadata or {}, incomplete_details=None, usage=None, options=shapes.run_option_defaults(prof),
    )
    _apply_rules(prof.run, "run", status, run, values, free)
    return run


def _check_status(lc: Lifecycle, status: str | None) -> None:
    if status is not None:
        lc.require_status(status)


def runs(
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Run objects as the API returns them, valid for ``status`` (any status when None).

    Every key of the wire format is present; each field a rule governs is set or
    null as the rules of that status demand (disputed rules included, so a
    validator reports nothing at all); fields the rules leave free are drawn
    either way.  Timestamps never precede ``created_at``; ``expires_at`` is
    ``created_at`` plus the spec's deadline.
    """
    prof = _resolve(version, profile)
    _check_status(prof.run, status)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        s = status if status is not None else draw(st.sampled_from(prof.run.order))
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        started = created + draw(st.integers(0, 30))
        ended = started + draw(st.integers(0, spec.RUN_DEADLINE_SECONDS - 60))
        calls = _calls(draw, _token(draw, 4))
        values = {
            "required_action": shapes.required_action(calls),
            "last_error": {"code": draw(st.sampled_from(spec.RUN_ERROR_CODES)), "message": "Something went wrong."},
            "incomplete_details": {"reason": draw(st.sampled_from(spec.RUN_INCOMPLETE_REASONS))},
            "usage": _usage(draw),
            "started_at": started,
            "expires_at": created + spec.RUN_DEADLINE_SECONDS,
            "cancelled_at": ended,
            "failed_at": ended,
            "completed_at": ended,
        }
        kinds = draw(st.lists(st.sampled_from(prof.tool_call_types), unique=True, max_size=3))
        tools = [_tool_definition(k) for k in kinds]
        flags = _free_flags(draw, prof.run, "run")
        run = _run_object(prof, s, ids=ids, created_at=created, values=values, free=flags.__getitem__,
                          tools=tools, model=draw(st.sampled_from(("gpt-4o", "gpt-4o-mini", "gpt-4-turbo"))),
                          metadata=draw(st.dictionaries(st.sampled_from(("user", "case")),
                                                        st.text(_ID_CHARS, max_size=8), max_size=2)))
        if run["required_action"] is not None:  # the functions it calls are among the run's tools
            known = {t["function"]["name"] for t in tools if t["type"] == spec.PAUSING_TOOL_CALL_TYPE}
            tools += [_tool_definition(spec.PAUSING_TOOL_CALL_TYPE, n) for n in sorted({n for _, n, _ in calls} - known)]
        return run

    return sdk_objects(build()) if sdk else build()


def _step_object(
    prof: Profile,
    status: str,
    *,
    step_id: str,
    ids: _Ids,
    created_at: int,
    deadline: int,
    details: dict[str, Any],
    values: Mapping[str, Any],
    free: Callable[[str], bool],
    expiry_key: str,
) -> dict[str, Any]:
    step = shapes.step_object(
        id=step_id, created_at=created_at, run_id=ids.run, assistant_id=ids.assistant, thread_id=ids.thread,
        type=details["type"], status=status, cancelled_at=None, completed_at=None, expires_at=None, failed_at=None,
        last_error=None, step_details=details, usage=None, expiry_key=expiry_key,
    )
    _apply_rules(prof.run_step, "run_step", status, step, values, free)
    clock_made = {t.dest for t in prof.run_step.transitions if t.actor == "clock"}
    if expiry_key == spec.STEP_EXPIRY_KEYS[0]:
        step[expiry_key] = deadline  # the wire's key carries the run's deadline
    elif status in clock_made:
        step[expiry_key] = values.get("ended_at")  # the schema's key: when the step expired
    return step


def _step_details(step_type: str, message_id: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    if step_type not in spec.STEP_TYPES:
        raise SpecError(f"unknown step type {step_type!r}; known: {', '.join(spec.STEP_TYPES)}")
    return shapes.step_details(step_type, message_id, calls)


def run_steps(
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
    expiry_key: str | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Run step objects valid for ``status`` (any status when None).

    ``step_details`` is a ``message_creation`` or a ``tool_calls`` step whose calls
    use the version's tool types (``retrieval`` in v1, ``file_search`` in v2);
    function calls carry their ``output`` once the step completed.  The expiry
    timestamp is under ``expiry_key``: the wire's ``expires_at`` (the run's
    deadline) or the schema's ``expired_at``; drawn when None.
    """
    prof = _resolve(version, profile)
    _check_status(prof.run_step, status)
    if expiry_key is not None and expiry_key not in spec.STEP_EXPIRY_KEYS:
        raise SpecError(f"unknown step expiry key {expiry_key!r}; known: {', '.join(spec.STEP_EXPIRY_KEYS)}")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        s = status if status is not None else draw(st.sampled_from(prof.run_step.order))
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        ended = created + draw(st.integers(0, 300))
        step_type = draw(st.sampled_from(spec.STEP_TYPES))
        finished = s not in prof.run_step.active
        calls = []
        for i, kind in enumerate(draw(st.lists(st.sampled_from(prof.tool_call_types), min_size=1, max_size=3))):
            out = "ok" if finished else None
            calls.append(_tool_call(kind, f"call_{i}{_token(draw, 4)}", name=_FUNCTION_NAMES[0], output=out))
        values = {
            "last_error": {"code": draw(st.sampled_from(spec.STEP_ERROR_CODES)), "message": "Something went wrong."},
            "usage": _usage(draw),
            "cancelled_at": ended, "failed_at": ended, "completed_at": ended, "ended_at": ended,
        }
        return _step_object(
            prof, s, step_id=f"step_{_token(draw)}", ids=ids, created_at=created,
            deadline=created + spec.RUN_DEADLINE_SECONDS,
            details=_step_details(step_type, f"msg_{_token(draw)}", calls), values=values,
            free=_free_flags(draw, prof.run_step, "run_step").__getitem__,
            expiry_key=expiry_key or draw(st.sampled_from(spec.STEP_EXPIRY_KEYS)),
        )

    return sdk_objects(build()) if sdk else build()


def _message_object(
    prof: Profile,
    status: str | None,
    *,
    message_id: str,
    ids: _Ids,
    created_at: int,
    text: str,
    from_run: bool,
    values: Mapping[str, Any],
    free: Callable[[str], bool],
) -> dict[str, Any]:
    msg = shapes.message_object(
        id=message_id, created_at=created_at, assistant_id=ids.assistant if from_run else None,
        thread_id=ids.thread, run_id=ids.run if from_run else None, role="assistant" if from_run else "user",
        content=_text_content(text), attachments=[], metadata={},
        streamed=None if status is None else (status, None, None, None),
    )
    if status is None:
        return msg  # create, retrieve and list answer without status keys (wire)
    _apply_rules(prof.message, "message", status, msg, values, free)
    return msg


def messages(
    status: str | None = None,
    *,
    with_status: bool | None = None,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Message objects valid for ``status``.

    ``with_status=False`` gives the shape that create, retrieve and list return on
    the wire: no ``status`` key and none of the keys the status rules govern.
    ``with_status=True`` gives streamed messages (``status`` drawn unless given);
    None draws either shape.
    """
    prof = _resolve(version, profile)
    _check_status(prof.message, status)
    if status is not None and with_status is False:
        raise SpecError("a message without status keys cannot have a status")
    rule_fields = set(_governed_fields(prof.message, "message"))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        keep_status = with_status if with_status is not None else (status is not None or draw(st.booleans()))
        s = (status if status is not None else draw(st.sampled_from(prof.message.order))) if keep_status else None
        ids = _draw_ids(draw)
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        ended = created + draw(st.integers(0, 300))
        from_run = True if s is not None and s in prof.message.active else draw(st.booleans())
        values = {
            "incomplete_details": {"reason": draw(st.sampled_from(spec.MESSAGE_INCOMPLETE_REASONS))},
            "incomplete_at": ended, "completed_at": ended,
        }
        msg = _message_object(
            prof, s, message_id=f"msg_{_token(draw)}", ids=ids, created_at=created,
            text=draw(st.text(string.ascii_letters + " .,!?", max_size=40)), from_run=from_run,
            values=values, free=_free_flags(draw, prof.message, "message").__getitem__,
        )
        assert s is not None or not (rule_fields & set(msg))
        return msg

    return sdk_objects(build()) if sdk else build()


def wire_objects(
    kind: str | None = None,
    status: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid objects of each status: runs, run steps or messages (``kind`` None: any of the three).

    With the ``profile`` of another protocol (:func:`~runfsm.lifecycle.compile_protocol`),
    objects of its kinds: ``id``, ``object``, ``status``, ``created_at`` and every
    field its rules govern, set or null as the status demands."""
    if profile is not None and profile.protocol is not spec.PROTOCOL:
        kinds = tuple(profile.lifecycles)
        if kind is not None and kind not in kinds:
            raise SpecError(f"unknown object kind {kind!r}; known: {', '.join(kinds)}")
        if sdk:
            raise SpecError(f"sdk=True builds the openai SDK's models, which {profile.protocol.name} objects have not")
        return st.one_of(*(_plain_objects(profile, k, status) for k in ((kind,) if kind else kinds)))
    makers: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "run": lambda: runs(status, version=version, profile=profile),
        "run_step": lambda: run_steps(status, version=version, profile=profile),
        "message": lambda: messages(status, with_status=True if status else None, version=version, profile=profile),
    }
    if kind is not None:
        if kind not in makers:
            raise SpecError(f"unknown object kind {kind!r}; known: {', '.join(KINDS)}")
        return sdk_objects(makers[kind]()) if sdk else makers[kind]()
    chosen = st.one_of(*(makers[k]() for k in KINDS))
    return sdk_objects(chosen) if sdk else chosen


def _plain_objects(prof: Profile, kind: str, status: str | None) -> st.SearchStrategy[dict[str, Any]]:
    """Objects of a kind the protocol declares, built from its declaration alone."""
    lc = prof.lifecycle(kind)
    _check_status(lc, status)
    object_type = prof.protocol.object(kind).object_type
    fields = tuple(_governed_fields(lc, kind))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        s = status if status is not None else draw(st.sampled_from(lc.order))
        created = _BASE_TIME + draw(st.integers(0, 10**7))
        obj: dict[str, Any] = {"id": f"{kind}_{_token(draw)}", "object": object_type, "created_at": created,
                               "status": s}
        free = _free_flags(draw, lc, kind)
        # timestamps never before created_at; other governed fields get a short token
        values = {f: created + draw(st.integers(0, 600)) if f.endswith("_at") else _token(draw, 4) for f in fields}
        _apply_rules(lc, kind, s, obj, values, free.__getitem__)
        return obj

    return build()


# --- objects that break exactly one rule -------------------------------------------------


class RuleBreak(NamedTuple):
    """An object that breaks exactly one field rule, and which."""

    obj: dict[str, Any]
    kind: str  # "run" | "run_step" | "message"
    status: str
    rule: spec.FieldRule
    field_set: bool  # True: the field was set where the rule wants null; False: nulled where it wants a value

    @property
    def code(self) -> str:
        """The rule's code, e.g. ``"run.required_action"`` (what a validator's finding names)."""
        return self.rule.code

    @property
    def severity(self) -> str:
        """``"warning"`` for a disputed rule, else ``"error"``."""
        return "warning" if self.rule.disputed else "error"


def _break_candidates(lc: Lifecycle, kind: str) -> tuple[tuple[str, spec.FieldRule, bool], ...]:
    """(status, rule, set the field?) such that flipping that one field breaks that rule and no other."""
    out = []
    fields = _governed_fields(lc, kind)
    for rule in lc.field_rules:
        for status in lc.order:
            base = {f: field_requirement(lc.field_rules, status, f) for f in fields}
            if base[rule.field] is None:
                continue
            flipped = not base[rule.field]
            obj = {f: (1 if v else None) for f, v in base.items()}
            obj[rule.field] = 1 if flipped else None
            if broken_rules(lc.field_rules, status, obj) == [rule.code]:
                out.append((status, rule, flipped))
    return tuple(out)


def rule_breaks(
    kind: str | None = None,
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    rules: Sequence[str] | None = None,
) -> st.SearchStrategy[RuleBreak]:
    """Objects that are valid except for exactly one field rule, labelled with it.

    A valid object of some status is drawn, then one governed field is set where
    its rule wants null (or nulled where it wants a value).  ``rules`` limits the
    choice to those rule codes.  Messages always carry their status (the rules
    apply only then).  A validator should report one finding with
    ``rule == result.code`` and ``severity == result.severity``.
    """
    prof = _resolve(version, profile)
    kinds = (kind,) if kind is not None else KINDS
    cands: list[tuple[str, str, spec.FieldRule, bool]] = []
    for k in kinds:
        lc = _lifecycle(k, version, prof, None)
        cands += [(k, s, r, f) for s, r, f in _break_candidates(lc, k) if rules is None or r.code in rules]
    if not cands:
        raise SpecError(f"no field rule can be broken alone for {', '.join(kinds)} (rules: {rules})")
    makers: dict[str, Callable[[str], st.SearchStrategy[dict[str, Any]]]] = {
        "run": lambda s: runs(s, profile=prof),
        "run_step": lambda s: run_steps(s, profile=prof),
        "message": lambda s: messages(s, with_status=True, profile=prof),
    }
    set_values: dict[str, Callable[[st.DrawFn, dict[str, Any]], Any]] = {
        "required_action": lambda d, o: shapes.required_action(_calls(d, "x")),
        "last_error": lambda d, o: {"code": d(st.sampled_from(
            spec.RUN_ERROR_CODES if o["object"] == spec.OBJECT_TYPES["run"] else spec.STEP_ERROR_CODES)),
            "message": "Something went wrong."},
        "incomplete_details": lambda d, o: {"reason": d(st.sampled_from(
            spec.RUN_INCOMPLETE_REASONS if o["object"] == spec.OBJECT_TYPES["run"]
            else spec.MESSAGE_INCOMPLETE_REASONS))},
        "usage": lambda d, o: _usage(d),
        "expires_at": lambda d, o: o["created_at"] + spec.RUN_DEADLINE_SECONDS,
    }

    @st.composite
    def build(draw: st.DrawFn) -> RuleBreak:
        k, status, rule, to_set = draw(st.sampled_from(cands))
        obj = draw(makers[k](status))
        if to_set:
            make = set_values.get(rule.field)
            obj[rule.field] = make(draw, obj) if make else obj["created_at"] + draw(st.integers(0, 60))
        else:
            obj[rule.field] = None
        return RuleBreak(obj, k, status, rule, to_set)

    return build()
