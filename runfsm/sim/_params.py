"""The API's rules for the body fields it checks beyond the lifecycle: ranges and shapes, declared once.

Every check returns the value it was given, or raises :class:`~runfsm.sim.APIError`
400 (``invalid_request_error``) naming the offending parameter, with the API's wording
where it is known.  Ranges are the API reference's (temperature 0..2, top_p 0..1, token
budgets at least 256); shapes are those of ``tool_choice``, ``response_format``,
``truncation_strategy`` and attachment ``tools``.  Values that are not JSON (a date, a
set, ``NaN``) or are nested deeper than :data:`MAX_DEPTH` are refused too: the API only
ever receives JSON, and a trace must export as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import spec
from ._errors import APIError, describe

__all__ = [
    "MAX_DEPTH",
    "NUMBER_RANGES",
    "TOKEN_MINIMUM",
    "check_attachment_tools",
    "check_include",
    "check_json",
    "check_number",
    "check_run_option",
]

NUMBER_RANGES = {"temperature": (0, 2), "top_p": (0, 1)}
"""Sampling parameters and their inclusive ranges (API reference: "between 0 and 2", top_p a probability mass)."""

TOKEN_MINIMUM = 256
"""``max_prompt_tokens`` and ``max_completion_tokens`` are integers of at least this (API reference: minimum 256)."""

TOOL_CHOICE_MODES = ("none", "auto", "required")
RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema")
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
STEP_INCLUDES = ("step_details.tool_calls[*].file_search.results[*].content",)
"""What ``include[]`` may ask of runs create and the steps endpoints: file search results' text."""
"""``reasoning_effort`` values (API reference, 2025: "Currently supported values are minimal, low, medium, and high")."""
TRUNCATION_TYPES = ("auto", "last_messages")

MAX_DEPTH = 64
"""How deep a JSON value given to the simulator may nest (the simulator's own bound; the API's is unpublished)."""


def _bad(param: str, message: str) -> APIError:
    return APIError(400, message, param=param)


def _kind(value: object) -> str:
    """The JSON name of a value's type, as the API's messages say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def check_json(value: object, param: str) -> object:
    """``value`` if it is plain JSON (finite numbers, string keys) nested at most :data:`MAX_DEPTH` deep."""
    stack: list[tuple[object, str, int]] = [(value, param, 0)]
    while stack:  # iterative: a hostile depth cannot exhaust the Python stack
        v, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _bad(param, f"Invalid '{param}': nested more than {MAX_DEPTH} levels deep.")
        if v is None or isinstance(v, (str, bool, int)):
            continue
        if isinstance(v, float):
            if not math.isfinite(v):
                raise _bad(where, f"Invalid '{where}': expected a finite number, but got {describe(v)} instead.")
            continue
        if isinstance(v, (list, tuple)):
            stack.extend((x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v))
            continue
        if isinstance(v, Mapping):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise _bad(where, f"Invalid '{where}': object keys must be strings, got {describe(k)}.")
                stack.append((x, f"{where}.{k}", depth + 1))
            continue
        raise _bad(where, f"Invalid type for '{where}': expected a JSON value, but got {type(v).__name__} instead.")
    return value


def check_number(param: str, value: object) -> object:
    """A sampling parameter (``temperature``, ``top_p``): a finite number in its range, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(param, f"Invalid type for '{param}': expected a decimal, but got {_kind(value)} instead.")
    low, high = NUMBER_RANGES[param]
    if not low <= value <= high:  # also refuses NaN
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(param, f"Invalid '{param}': expected a finite number, but got {describe(value)} instead.")
        side = f"above maximum value. Expected a value <= {high}" if value > high else \
            f"below minimum value. Expected a value >= {low}"
        raise _bad(param, f"Invalid '{param}': decimal {side}, but got {describe(value)} instead.")
    return value


def _check_tokens(param: str, value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(param, f"Invalid type for '{param}': expected an integer, but got {_kind(value)} instead.")
    if value < TOKEN_MINIMUM:
        raise _bad(param, f"Invalid '{param}': integer below minimum value. Expected a value >= {TOKEN_MINIMUM}, "
                          f"but got {describe(value)} instead.")
    return value


def _one_of(param: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _bad(param, f"Invalid value for '{param}': {describe(value)}; expected one of "
                          f"{', '.join(repr(a) for a in allowed)}.")
    return value


def _object(param: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(param, f"Invalid type for '{param}': expected an object, but got {_kind(value)} instead.")
    check_json(value, param)
    return value


def _check_tool_choice(value: object, tool_types: tuple[str, ...]) -> object:
    if isinstance(value, str):
        return _one_of("tool_choice", value, TOOL_CHOICE_MODES)
    choice = _object("tool_choice", value)
    kind = _one_of("tool_choice.type", choice.get("type"), tool_types)
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        fn = choice.get("function")
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise _bad("tool_choice.function.name", "Missing required parameter: 'tool_choice.function.name'.")
    return value


def _check_response_format(value: object) -> object:
    if value == "auto":
        return value
    if isinstance(value, str):
        raise _bad("response_format", f"Invalid value for 'response_format': {describe(value)}; expected 'auto' "
                                      "or an object with a 'type'.")
    fmt = _object("response_format", value)
    kind = _one_of("response_format.type", fmt.get("type"), RESPONSE_FORMAT_TYPES)
    if kind == "json_schema":
        schema = fmt.get("json_schema")
        if not isinstance(schema, Mapping) or not isinstance(schema.get("name"), str) or not schema["name"]:
            raise _bad("response_format.json_schema.name",
                       "Missing required parameter: 'response_format.json_schema.name'.")
    return value


def _check_truncation(value: object) -> object:
    strategy = _object("truncation_strategy", value)
    kind = _one_of("truncation_strategy.type", strategy.get("type"), TRUNCATION_TYPES)
    last = strategy.get("last_messages")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 1):
        raise _bad("truncation_strategy.last_messages",
                   f"Invalid 'truncation_strategy.last_messages': expected an integer >= 1 or null, "
                   f"but got {describe(last)} instead.")
    if kind == "last_messages" and last is None:
        raise _bad("truncation_strategy.last_messages",
                   "Missing required parameter: 'truncation_strategy.last_messages'.")
    return value


def check_run_option(param: str, value: object, tool_types: tuple[str, ...]) -> object:
    """One of the run body fields the simulator echoes (``RUN_OPTION_DEFAULTS``'s keys), checked."""
    if param in NUMBER_RANGES:
        return check_number(param, value)
    if param in ("max_prompt_tokens", "max_completion_tokens"):
        return _check_tokens(param, value)
    if param == "parallel_tool_calls":
        if not isinstance(value, bool):
            raise _bad(param, f"Invalid type for '{param}': expected a boolean, but got {_kind(value)} instead.")
        return value
    if param == "tool_choice":
        return _check_tool_choice(value, tool_types)
    if param == "response_format":
        return _check_response_format(value)
    if param == "truncation_strategy":
        return _check_truncation(value)
    if param == "reasoning_effort":
        return _one_of(param, value, REASONING_EFFORTS)
    raise KeyError(param)  # pragma: no cover - a run option without a rule


def check_include(value: object) -> bool:
    """An ``include[]`` query: True when it asks for file search results' text."""
    if value is None:
        return False
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise _bad("include", f"Invalid type for 'include': expected an array of strings, but got {_kind(value)} instead.")
    for item in items:
        _one_of("include", item, STEP_INCLUDES)
    return bool(items)


def check_attachment_tools(value: object, param: str, tool_types: tuple[str, ...]) -> list[dict[str, Any]]:
    """An attachment's ``tools``: a list of ``{"type": ...}`` objects naming a file tool."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(param, f"Invalid type for '{param}': expected an array, but got {_kind(value)} instead.")
    out = []
    for i, tool in enumerate(value):
        where = f"{param}[{i}]"
        if not isinstance(tool, Mapping):
            raise _bad(where, f"Invalid type for '{where}': expected an object, but got {_kind(tool)} instead.")
        _one_of(f"{where}.type", tool.get("type"), tool_types)
        check_json(tool, where)
        out.append(dict(tool))
    return out
