"""The simulator's errors: API refusals (with HTTP status) and misuse of the clock, scripts or scenarios."""

from __future__ import annotations

from typing import Any

from ..errors import RunfsmError

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


class SimError(RunfsmError):
    """Base class of the simulator's errors."""


class APIError(SimError):
    """What the real API answers with an HTTP error: status, message and the error body's fields.

    ``status`` is 400 for refusals (thread locked, tool outputs in the wrong status or
    incomplete, cancel of a finished run, bad parameters) and 404 for unknown ids.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON body the API sends with this error."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class ClockError(SimError):
    """The clock was asked to go backwards, to schedule into the past, or to a time it cannot hold."""


class ConfigError(SimError, ValueError):
    """A :class:`~runfsm.sim.SimConfig` value, or a request that needs a setting it does not have."""


class ScriptError(SimError, ValueError):
    """A scripted model action is malformed or cannot happen in the run it was given to.

    Raised during a run (a callable script that raised or returned a non-action, a tool the
    run lacks, a runaway script), the run has already failed with ``server_error``; ``run_id``
    and ``action`` (the index of the action being taken) say where, ``None`` when not known.
    """

    def __init__(self, message: str, *, run_id: str | None = None, action: int | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.action = action


class ScenarioError(SimError, ValueError):
    """A scenario file is malformed, or one of its expectations failed."""
