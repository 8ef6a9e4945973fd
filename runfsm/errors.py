"""runfsm's exceptions.  Every one names the object, the status and what was legal."""

from __future__ import annotations

from collections.abc import Iterable


class RunfsmError(Exception):
    """Base class of every error runfsm raises on purpose."""


class SpecError(RunfsmError):
    """A lifecycle definition is inconsistent (raised when it is built)."""


def _describe(kind: str, obj_id: str | None) -> str:
    return f"{kind} {obj_id}" if obj_id else kind


class UnknownStatus(RunfsmError, ValueError):
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


class IllegalTransition(RunfsmError, ValueError):
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


class MissingExtra(RunfsmError, ImportError):
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
