"""Every exception runfsm raises on purpose, in one place.

::

    RunfsmError
    ├── UsageError            runfsm was used wrongly: fix the call, the declaration, the script or the file
    │   ├── SpecError             a lifecycle declaration is inconsistent (raised when it is compiled)
    │   ├── UnknownStatus         a status the lifecycle does not know (also a ValueError)
    │   ├── IllegalTransition     a move the lifecycle does not allow (also a ValueError)
    │   ├── MissingExtra          an optional dependency is not installed (also an ImportError)
    │   ├── SimError              the simulator: ClockError, ConfigError, ScriptError, ScenarioError
    │   ├── CheckError            check_client / runfsm check: TargetError
    │   ├── AdapterError          an SDK adapter cannot be set up
    │   └── DiagramError, RenderError, TraceError
    ├── InputError            data runfsm was given cannot be read (becomes an ``input.*`` finding)
    ├── APIError              the simulated API refused a request: what a client under test should see
    └── GuardError            a guarded client received what the lifecycle does not allow
    ClientStuck (BaseException)   the client under test will never stop; WallClockStuck
    GuardWarning (UserWarning)

Each message names the object, the status and what would have been legal.  The
modules that raise them re-export them where they always were
(``runfsm.sim.APIError``, ``runfsm.validate.InputError``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .validate._findings import Finding

__all__ = [
    "APIError", "AdapterError", "CheckError", "ClientStuck", "ClockError", "ConfigError", "DiagramError",
    "GuardError", "GuardWarning", "IllegalTransition", "InputError", "MissingExtra", "RenderError", "RunfsmError",
    "ScenarioError", "ScriptError", "SimError", "SpecError", "TargetError", "TraceError", "UnknownStatus",
    "UsageError", "WallClockStuck",
]


class RunfsmError(Exception):
    """Base class of every error runfsm raises on purpose."""


class UsageError(RunfsmError):
    """runfsm was used wrongly: an argument, a declaration, a script, a scenario or a setting."""


class SpecError(UsageError):
    """A lifecycle definition is inconsistent (raised when it is built)."""


def _describe(kind: str, obj_id: str | None) -> str:
    return f"{kind} {obj_id}" if obj_id else kind


class UnknownStatus(UsageError, ValueError):
    """A status the lifecycle does not know, with a suggestion for near misses."""

    def __init__(self, kind: str, status: object, known: Iterable[str], obj_id: str | None = None) -> None:
        self.kind = kind
        self.status = status
        self.obj_id = obj_id
        self.known = tuple(known)
        self.suggestion: str | None = None
        if isinstance(status, str):
            import difflib  # only when reporting, to keep import runfsm light

            close = difflib.get_close_matches(status, self.known, n=1, cutoff=0.6)
            self.suggestion = close[0] if close else None
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(
            f"{_describe(kind, obj_id)}: unknown status {status!r}.{hint} "
            f"Known statuses: {', '.join(self.known)}."
        )


class IllegalTransition(UsageError, ValueError):
    """A status change (or trigger) the lifecycle does not allow."""

    def __init__(
        self,
        kind: str,
        source: str,
        dest: str | None,
        legal: Iterable[str],
        obj_id: str | None = None,
        *,
        trigger: str | None = None,
        strict: bool = False,
        note: str = "",
    ) -> None:
        self.kind = kind
        self.source = source
        self.dest = dest
        self.obj_id = obj_id
        self.trigger = trigger
        self.strict = strict
        self.legal = tuple(legal)
        mode = "strict" if strict else "tolerant"
        what = f"trigger {trigger!r} from {source!r}" if trigger else f"{source!r} -> {dest!r}"
        allowed = ", ".join(self.legal) if self.legal else f"nothing ({source!r} is terminal)"
        super().__init__(
            f"{_describe(kind, obj_id)}: illegal {what} ({mode} mode).{note} "
            f"Legal from {source!r}: {allowed}."
        )


class MissingExtra(UsageError, ImportError):
    """An optional dependency of a runfsm feature is not installed; the message names the extra to install.

    ``extra`` is the name in ``pip install 'runfsm[extra]'``, ``name`` (as for any
    ``ImportError``) the missing module, ``feature`` what needed it.
    """

    def __init__(self, extra: str, module: str, feature: str) -> None:
        self.extra = extra
        self.feature = feature
        super().__init__(
            f"{feature} needs the {module!r} package, which is not installed. "
            f"Install it with: pip install 'runfsm[{extra}]'",
            name=module,
        )


class ClientStuck(BaseException):
    """The client under test will never stop: raised inside its own API call (or its spin loop).

    Deliberately a ``BaseException``, like pytest's own test outcomes: the loops it
    interrupts often swallow ``Exception`` and retry, which would turn the report into
    the very hang it exists to prevent.  ``reason`` is ``"polled_after_end"`` (a finished
    run retrieved again and again), ``"idle"`` (calls long after every run ended) or
    ``"wall_clock"`` (no API call at all for too long).
    """

    def __init__(self, message: str, *, reason: str, run_id: str | None = None, status: str | None = None,
                 since: float | None = None, polls: int = 0) -> None:
        super().__init__(message)
        self.reason = reason
        self.run_id = run_id
        self.status = status
        self.since = since
        self.polls = polls

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class WallClockStuck(ClientStuck):
    """Raised by the watchdog into the client's thread (the interpreter builds it without arguments)."""

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(message or "the client made no API call and did not sleep for too long (wall clock)",
                         reason="wall_clock", **kwargs)


# --- the simulator ------------------------------------------------------------------------


class SimError(UsageError):
    """Base class of the simulator's misuse errors (its API refusals are :class:`APIError`)."""


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


class APIError(RunfsmError):
    """What the real API answers with an HTTP error: status, message and the error body's fields.

    ``status`` is 400 for refusals (thread locked, tool outputs in the wrong status or
    incomplete, cancel of a finished run, bad parameters) and 404 for unknown ids.  Not a
    :class:`UsageError`: a client under test is expected to meet these and handle them.
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


# --- validation and the guard -----------------------------------------------------------------


class InputError(RunfsmError, ValueError):
    """Input that cannot be read: not JSON, not UTF-8, not an object, wrong types, missing keys.

    It names the file (``source``) and the 1-based ``line`` when they are
    known.  The readers in :mod:`runfsm.validate._reader` raise it; a
    :class:`~runfsm.validate.Tracker` turns it into a finding with kind
    ``"input"`` (see :meth:`finding`), so one bad record never stops the rest.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        code: str = "input.json",
        object_id: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.code = code
        self.object_id = object_id
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)

    def finding(self, index: int | None = None) -> Finding:
        """This error as an ``error`` finding of kind ``"input"``."""
        from .validate._findings import ERROR, Finding  # the findings module imports this one

        return Finding(
            self.code, ERROR, self.reason, self.object_id, "input", self.source, self.line, index, None
        )


class GuardError(RunfsmError):
    """A guarded client received something the lifecycle does not allow (policy ``"raise"``)."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        first = self.findings[0] if self.findings else None
        more = f" (and {len(self.findings) - 1} more)" if len(self.findings) > 1 else ""
        text = f"{first.code}: {first.message}{more} [{first.where}]" if first else "lifecycle violation"
        super().__init__(text)


class GuardWarning(UserWarning):
    """A guarded client received something the lifecycle does not allow (policy ``"warn"``)."""


# --- client checks, adapters, diagrams ----------------------------------------------------------


class CheckError(UsageError, ValueError):
    """``check_client`` (or ``runfsm check``) was called in a way it cannot honour."""


class TargetError(CheckError):
    """The target cannot be imported or is not a function."""


class AdapterError(UsageError):
    """An SDK adapter cannot be set up (unsupported SDK, conflicting arguments)."""


class DiagramError(UsageError):
    """A diagram request runfsm cannot honour (unknown kind or format)."""


class RenderError(UsageError):
    """No renderer, or the renderer failed."""


class TraceError(UsageError):
    """A trace that cannot be drawn (unreadable, or without any run in it)."""
