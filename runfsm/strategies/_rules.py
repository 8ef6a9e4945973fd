"""Field rules: what the spec's rules demand of each field in each status, which rules an object
breaks, and setting an object's governed fields accordingly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from .. import spec
from ..errors import SpecError
from ..lifecycle import Lifecycle, held_in

_SPEC_RULES: Mapping[str, Sequence[spec.FieldRule]] = {
    "run": spec.RUN_FIELD_RULES,
    "run_step": spec.STEP_FIELD_RULES,
    "message": spec.MESSAGE_FIELD_RULES,
}


# --- field rules ---------------------------------------------------------------------------


def field_requirement(rules: Sequence[spec.FieldRule], status: str, field: str) -> bool | None:
    """What ``rules`` say about ``field`` in ``status``: True (must be set), False (must be null), None (free)."""
    must_set = must_null = False
    for r in rules:
        if r.field != field:
            continue
        inside = status in r.statuses
        if r.kind == "exactly":
            must_set |= inside
            must_null |= not inside
        elif r.kind == "set":
            must_set |= inside
        elif r.kind == "null_outside":
            must_null |= not inside
        elif r.kind == "null":
            must_null |= inside
    if must_set and must_null:
        codes = ", ".join(r.code for r in rules if r.field == field)
        raise SpecError(f"field rules {codes} want {field!r} both set and null in status {status!r}")
    return True if must_set else (False if must_null else None)


def broken_rules(rules: Sequence[spec.FieldRule], status: str, obj: Mapping[str, Any]) -> list[str]:
    """The codes of the rules that ``obj`` (in ``status``) breaks: a missing key counts as null."""
    out = []
    for r in rules:
        inside = status in r.statuses
        is_set = obj.get(r.field) is not None
        bad = {
            "exactly": is_set != inside,
            "set": inside and not is_set,
            "null_outside": not inside and is_set,
            "null": inside and is_set,
        }.get(r.kind, False)
        if bad:
            out.append(r.code)
    return out


def _governed_fields(lc: Lifecycle, kind: str) -> dict[str, bool]:
    """Fields with a rule, in spec order -> False when the version has none of their statuses (always null)."""
    out: dict[str, bool] = {}
    for r in (*_SPEC_RULES.get(kind, ()), *lc.field_rules):
        out.setdefault(r.field, False)
    for r in lc.field_rules:
        out[r.field] = True
    for r in _SPEC_RULES.get(kind, ()):  # the spec's rules in force for this version and period
        if set(r.statuses) & lc.statuses and held_in(r, lc):
            out[r.field] = True
    return out


def _apply_rules(
    lc: Lifecycle,
    kind: str,
    status: str,
    obj: dict[str, Any],
    values: Mapping[str, Any],
    free: Callable[[str], bool],
) -> None:
    """Set or null every governed field of ``obj`` as the rules demand; ``free(field)`` decides the rest."""
    for field, applies in _governed_fields(lc, kind).items():
        req = field_requirement(lc.field_rules, status, field) if applies else False
        want = free(field) if req is None else req
        if not want:
            obj[field] = None
            continue
        value = values.get(field)
        if value is None:
            if req is None:
                obj[field] = None
                continue
            raise SpecError(f"{kind}: no value known for field {field!r}, which status {status!r} requires")
        obj[field] = value


def _free_flags(draw: st.DrawFn, lc: Lifecycle, kind: str) -> dict[str, bool]:
    """One boolean per governed field, drawn whatever the status (so every status costs the
    same number of choices and shrinking prefers the first status, not the least constrained)."""
    return {f: draw(st.booleans()) for f in _governed_fields(lc, kind)}
