"""Value domains: the wire fragments that fill generated objects (usage, tool calls and tool
definitions, required actions, text content).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .. import spec
from ..errors import SpecError

# --- value domains -------------------------------------------------------------------------


def _usage(draw: st.DrawFn) -> dict[str, Any]:
    prompt = draw(st.integers(0, 5000))
    completion = draw(st.integers(0, 2000))
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if draw(st.booleans()):  # recorded traffic carries detail keys too
        usage["prompt_token_details"] = {"cached_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0}
    return usage


_FUNCTION_NAMES = ("get_weather", "lookup_order", "add_numbers")


def _function_call(call_id: str, name: str, arguments: str, output: str | None, with_output: bool) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": name, "arguments": arguments}
    if with_output:
        fn["output"] = output
    return {"id": call_id, "type": spec.PAUSING_TOOL_CALL_TYPE, "function": fn}


def _tool_call(kind: str, call_id: str, *, name: str = "", arguments: str = "{}", output: str | None = None) -> dict[str, Any]:
    """One entry of a ``tool_calls`` step, shaped as on the wire for each tool type."""
    if kind == spec.PAUSING_TOOL_CALL_TYPE:
        return _function_call(call_id, name, arguments, output, with_output=True)
    body: dict[str, Any] = {"input": "print(1 + 1)", "outputs": []} if kind == "code_interpreter" else {}
    if kind not in ("code_interpreter", "file_search", "retrieval"):
        raise SpecError(f"no wire shape known for tool call type {kind!r}")
    return {"id": call_id, "type": kind, kind: body}


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


def _required_action(calls: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "type": spec.REQUIRED_ACTION_TYPE,
        spec.REQUIRED_ACTION_TYPE: {
            "tool_calls": [_function_call(c, n, a, None, with_output=False) for c, n, a in calls]
        },
    }


def _text_content(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"value": text, "annotations": []}}] if text else []
