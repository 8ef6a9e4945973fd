"""Value domains: the values drawn to fill generated objects (token counts, function calls, tool
definitions), built into wire fragments by :mod:`runfsm._wire_shapes`, the simulator's builders.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from .. import _wire_shapes as shapes
from .. import spec
from ..errors import SpecError

# --- value domains -------------------------------------------------------------------------


def _usage(draw: st.DrawFn) -> dict[str, Any]:
    return shapes.usage(draw(st.integers(0, 5000)), draw(st.integers(0, 2000)))


_FUNCTION_NAMES = ("get_weather", "lookup_order", "add_numbers")


def _tool_call(kind: str, call_id: str, *, name: str = "", arguments: str = "{}", output: str | None = None) -> dict[str, Any]:
    """One entry of a ``tool_calls`` step, shaped as on the wire for each tool type."""
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        return shapes.function_call(call_id, name, arguments, output)
    if kind == "code_interpreter":
        return shapes.interpreter_call(call_id, kind, "print(1 + 1)", [])
    if kind in ("file_search", "retrieval"):  # v1's retrieval calls showed no details
        details = shapes.search_details(shapes.DEFAULT_RANKER, 0.0, []) if kind == "file_search" else {}
        return shapes.search_call(call_id, kind, details)
    raise SpecError(f"no wire shape known for tool call type {kind!r} ")


def _tool_definition(kind: str, name: str = _FUNCTION_NAMES[0]) -> dict[str, Any]:
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        return {"type": kind, "function": {
            "name": name, "description": f"{name} (test tool)",
            "parameters": {"type": "object", "properties": {"x": {"type": "string"}}, "required": []},
        }}
    return {"type": kind}


def _calls(draw: st.DrawFn, prefix: str) -> list[tuple[str, str, str]]:
    """(call id, function name, arguments) for one to three parallel function calls."""
    n = draw(st.integers(1, 3))
    out = []
    for i in range(n):
        name = draw(st.sampled_from(_FUNCTION_NAMES))
        arg = draw(st.sampled_from(("Paris", "42", "")))
        out.append((f"call_{prefix}{i}", name, json.dumps({"x": arg})))
    return out


def _text_content(text: str) -> list[dict[str, Any]]:
    return shapes.text_content(text, []) if text else []
