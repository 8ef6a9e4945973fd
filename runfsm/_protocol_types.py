"""Type checks of a protocol's values, read from the row types' own annotations, before any is used."""

from __future__ import annotations

from collections.abc import Callable

from . import spec
from ._dates import _DAY, _valid_day

__all__ = ["type_problems"]


# What each row field must hold, read from the row types' own annotations (the single declaration).
_FIELD_CHECKS: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "tuple[str, ...]": lambda v: isinstance(v, tuple) and all(isinstance(x, str) for x in v),
}


def _row_problems(row: object, cls: type, where: str) -> list[str]:
    if not isinstance(row, cls):
        return [f"{where} is a {type(row).__name__}, not a {cls.__name__}"]
    out = []
    for name, declared in cls.__annotations__.items():
        annotation = str(getattr(declared, "__forward_arg__", declared))  # NamedTuple keeps them as ForwardRef
        check = _FIELD_CHECKS.get(annotation)
        if check is not None and not check(getattr(row, name)):
            out.append(f"{where}: {name} must be {annotation}, not {getattr(row, name)!r}"[:200])
    return out


def type_problems(protocol: spec.Protocol) -> list[str]:
    """Every value of a protocol of the wrong type, said before any of them is used."""
    p = protocol
    out = _row_problems(p, spec.Protocol, "the protocol")
    if not isinstance(p.versions, tuple) or not p.versions or not all(isinstance(v, str) for v in p.versions):
        out.append(f"versions must be a non-empty tuple of names, not {p.versions!r}")
        return out
    if not isinstance(p.objects, tuple) or not p.objects:
        out.append("it declares no objects")
        return out
    for item in p.first_day if isinstance(p.first_day, tuple) else (p.first_day,):
        if not (isinstance(item, tuple) and len(item) == 2 and item[0] in p.versions and isinstance(item[1], str)
                and _DAY.fullmatch(item[1]) and _valid_day(item[1])):
            out.append(f"first_day holds (version, YYYY-MM-DD) pairs of known versions, not {item!r}")
    kinds = [getattr(o, "kind", None) for o in p.objects]
    out += [f"object kind {k!r} is declared twice" for k in sorted({k for k in kinds if kinds.count(k) > 1}, key=str)]
    for i, o in enumerate(p.objects):
        out += _row_problems(o, spec.ObjectSpec, f"object {i}")
        if not isinstance(o, spec.ObjectSpec):
            continue
        for table, cls in ((o.statuses, spec.StatusRow), (o.transitions, spec.TransitionRow),
                           (o.field_rules, spec.FieldRule)):
            if not isinstance(table, tuple):
                out.append(f"{o.kind}: a table must be a tuple of {cls.__name__}, not {type(table).__name__}")
                continue
            for j, row in enumerate(table):
                out += _row_problems(row, cls, f"{o.kind} {cls.__name__} {j}")
    for extra, row_cls in ((p.refusals, spec.RefusalRow), (p.event_aliases, spec.EventAlias)):
        for j, row in enumerate(extra if isinstance(extra, tuple) else (extra,)):
            out += _row_problems(row, row_cls, f"{row_cls.__name__} {j}")
    for pair in p.tool_call_types if isinstance(p.tool_call_types, tuple) else (p.tool_call_types,):
        if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] in p.versions
                and _FIELD_CHECKS["tuple[str, ...]"](pair[1])):
            out.append(f"tool_call_types holds (version, tuple of names) pairs, not {pair!r}")
    return out
