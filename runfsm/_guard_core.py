"""What every live-client guard shares, whatever its HTTP library: the policy, the tracker, the errors.

The transports that read answers live with their HTTP library (``runfsm._guard``
for the openai SDK's ``httpx2``, ``runfsm.azure`` for azure-core); both feed a
:class:`Guard`.  This module imports no HTTP library.
"""

from __future__ import annotations

import itertools
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from .errors import GuardError, GuardWarning
from .validate._findings import ERROR, WARNING, Finding, InputError
from .validate._reader import loads
from .validate._refusals import refusal_finding
from .validate._tracker import Tracker

__all__ = ["GUARDED_PATHS", "GUARDS", "POLICIES", "REFUSAL_STATUS", "Guard", "GuardError", "GuardWarning", "Policy"]

POLICIES = ("raise", "warn", "collect")
"""The built-in policies: raise on errors, warn on errors and warnings, or only collect."""

GUARDED_PATHS: tuple[str, ...] = ("/threads", "/responses")
"""Requests whose URL path contains one of these are checked; everything else passes untouched."""

REFUSAL_STATUS = 400
"""The HTTP status of the API's lifecycle refusals (LIFECYCLE.md section 5)."""

Policy = str | Callable[[list[Finding]], object]


class Guard:
    """What the transports of one guarded client share: the tracker, its lock and the policy."""

    def __init__(self, tracker: Tracker, policy: Policy = "raise") -> None:
        if not callable(policy) and policy not in POLICIES:
            raise ValueError(f"unknown guard policy {policy!r}; known: {', '.join(POLICIES)} or a callable")
        self.tracker = tracker
        self.policy = policy
        self.lock = threading.RLock()
        self._ids = itertools.count()

    @property
    def findings(self) -> list[Finding]:
        """Every finding so far."""
        return self.tracker.findings

    def mark(self) -> int:
        """What has been received so far (taken when a request is sent)."""
        with self.lock:
            return self.tracker.mark()

    def safely(self, work: Callable[[], list[Finding]]) -> list[Finding]:
        """Run tracker work under the lock; a failure inside runfsm becomes a finding, never the SDK's problem."""
        with self.lock:
            try:
                return work()
            except Exception as exc:
                finding = Finding("internal.error", ERROR, f"the guard failed on an answer ({type(exc).__name__}: "
                                  f"{exc}); please report it", None, None, None, None, self.tracker.mark())
                self.tracker.findings.append(finding)
                return [finding]

    def refusal(self, body: bytes, path: str, label: str) -> list[Finding]:
        """Record a lifecycle refusal (HTTP 400) as a ``client.*`` finding (call under the lock)."""
        try:
            data = loads(body)
        except InputError:
            return []
        finding = refusal_finding(data, path, source=label, index=self.tracker.mark())
        if finding is None:
            return []
        self.tracker.findings.append(finding)
        return [finding]

    def stream_key(self) -> tuple[str, int]:
        """A key for one streamed response."""
        return ("guard", next(self._ids))

    def apply(self, findings: list[Finding], *, may_raise: bool = True) -> None:
        """Apply the policy to new findings (``may_raise=False`` while a response is being torn down)."""
        if not findings:
            return
        policy = self.policy
        if callable(policy):
            policy(findings)
        elif policy == "raise" and may_raise:
            errors = [f for f in findings if f.severity == ERROR and f.code != "internal.error"]
            if errors:
                raise GuardError(errors)
        elif policy == "warn":
            for f in findings:
                if f.severity in (ERROR, WARNING):
                    warnings.warn(GuardWarning(str(f)), stacklevel=4)


GUARDS: weakref.WeakKeyDictionary[Any, Guard] = weakref.WeakKeyDictionary()
"""The guard of every guarded client (and of its HTTP client), whichever library it uses."""
