"""The simulator's errors: API refusals (with HTTP status) and misuse of the clock, scripts or scenarios."""

from __future__ import annotations

from ..errors import APIError, ClockError, ConfigError, ScenarioError, ScriptError, SimError

__all__ = ["APIError", "ClockError", "ConfigError", "ScenarioError", "ScriptError", "SimError", "describe"]


def describe(value: object, limit: int = 80) -> str:
    """``repr(value)`` for an error message, kept short and never failing.

    Huge ints are summarised (their ``repr`` may be refused outright, past 4,300 digits)
    and long or broken reprs are cut, so an error about bad input cannot itself fail.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits (about 10**{int(value.bit_length() * 0.30103)})"
    try:
        text = repr(value)
    except Exception:  # a user object whose __repr__ fails
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


