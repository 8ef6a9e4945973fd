"""The simulator's errors: API refusals (with HTTP status) and misuse of the clock, scripts or scenarios."""

from __future__ import annotations

from typing import Any

from ..errors import RunfsmError

__all__ = ["APIError", "ClockError", "ConfigError", "ScenarioError", "ScriptError", "SimError"]


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
    """The clock was asked to go backwards (or to schedule into the past)."""


class ConfigError(SimError, ValueError):
    """A :class:`~runfsm.sim.SimConfig` value, or a request that needs a setting it does not have."""


class ScriptError(SimError, ValueError):
    """A scripted model action is malformed or cannot happen in the run it was given to."""


class ScenarioError(SimError, ValueError):
    """A scenario file is malformed, or one of its expectations failed."""
