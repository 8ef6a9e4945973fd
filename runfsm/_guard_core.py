"""What every live-client guard shares, whatever its HTTP library: the policy, the tracker, which adapter guards a client.

The transports that read answers live with their HTTP library (``runfsm._guard``
for the openai SDK's ``httpx2``, ``runfsm._azure_guard`` for azure-core); both
feed a :class:`Guard`.  :func:`guard` and :func:`tracker_of` are here, so that
guarding an Azure client loads azure-core only, and an openai client the openai
SDK only.  This module imports no HTTP library.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from . import spec
from .errors import GuardError, GuardWarning
from .validate._answers import Kind, StreamCheck, check_answer
from .validate._findings import ERROR, WARNING, Finding
from .validate._tracker import Tracker

__all__ = ["GUARDED_PATHS", "GUARDS", "POLICIES", "Guard", "GuardError", "GuardWarning", "Hooks", "Policy", "guard",
           "guard_of", "guarded_path", "new_guard", "tracker_of"]

POLICIES = ("raise", "warn", "collect")
"""The built-in policies: raise on errors, warn on errors and warnings, or only collect."""

GUARDED_PATHS: tuple[str, ...] = ("/threads", "/responses")
"""Requests whose URL path contains one of these are checked; everything else passes untouched."""

Policy = str | Callable[[list[Finding]], object]
Hooks = tuple[Callable[[bytes], None], Callable[[bool], None]]


def guarded_path(path: str) -> bool:
    """True when the answers to a request on ``path`` are checked."""
    return any(p in path for p in GUARDED_PATHS)


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

    def stream_key(self) -> tuple[str, int]:
        """A key for one streamed response."""
        return ("guard", next(self._ids))

    def answer(self, kind: Kind, body: bytes, path: str, label: str, mark: int) -> None:
        """Check a whole answer of ``kind`` and apply the policy."""
        key = self.stream_key() if kind == "stream" else None
        found = self.safely(lambda: check_answer(self.tracker, kind, body, path, label, key=key, after=mark))
        # the SDK raises its own error for a refusal: record it, never raise instead
        self.apply(found, may_raise=kind != "refusal")

    def hooks(self, kind: Kind, path: str, label: str, mark: int) -> Hooks:
        """``(on_bytes, on_end)`` for an answer read as the SDK reads it; ``on_end(complete)`` acts once.

        A stream is checked event by event; any other answer once it is whole (a body
        the SDK stopped reading has nothing whole to check).
        """
        ended: list[bool] = []
        if kind != "stream":
            parts: list[bytes] = []

            def on_body_end(complete: bool) -> None:
                if not ended and complete:
                    ended.append(complete)
                    self.answer(kind, b"".join(parts), path, label, mark)

            return parts.append, on_body_end
        checks: list[StreamCheck] = []

        def begin() -> list[Finding]:
            checks.append(StreamCheck(self.tracker, self.stream_key(), label, after=mark))
            return []

        self.safely(begin)
        if not checks:  # the tracker refused the stream (an internal.error): leave this answer alone
            return _ignore, _ignore
        check = checks[0]

        def on_bytes(chunk: bytes) -> None:
            self.apply(self.safely(lambda: check.feed(chunk)))

        def on_end(complete: bool) -> None:
            # a stream torn down early is closed quietly: raising there would mask why it was torn down
            self.apply(self.safely(lambda: check.end(complete)), may_raise=complete)

        return on_bytes, on_end

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


def _ignore(_: object) -> None:
    return None


def new_guard(tracker_type: type[Tracker], policy: Policy, strict: bool, version: str, tracker: Tracker | None,
              keep_finished: int | None) -> Guard:
    """A guard on ``tracker``, or on a new ``tracker_type`` forgetting all but ``keep_finished`` finished runs."""
    return Guard(tracker if tracker is not None else tracker_type(strict, version, keep_finished=keep_finished),
                 policy)


GUARDS: weakref.WeakKeyDictionary[Any, Guard] = weakref.WeakKeyDictionary()
"""The guard of every guarded client and guarding transport, whichever library it uses."""


def _adapter(client: Any) -> Any:
    """The module that guards ``client``: each loads its own SDK only."""
    if type(client).__module__.startswith("azure."):
        return importlib.import_module("runfsm._azure_guard")
    return importlib.import_module("runfsm._guard")


def guard(
    client: Any,
    *,
    policy: Policy = "raise",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    tracker: Tracker | None = None,
    keep_finished: int | None = 1024,
) -> Any:
    """Check everything an already built ``client`` receives from the lifecycle; returns ``client`` itself, guarded.

    ``client`` is an ``openai.OpenAI`` or ``AsyncOpenAI`` client or its HTTP client, or an
    ``azure.ai.agents`` ``AgentsClient`` (sync or async).  Its transport is wrapped in place,
    so every copy sharing its HTTP client is guarded too; to build a client guarded from the
    start, pass :func:`runfsm.guard_transport` (or :func:`runfsm.azure.guard_transport`) to it.
    ``policy`` is ``"raise"``, ``"warn"``, ``"collect"`` or a callable taking a list of
    findings.  Pass your own ``tracker`` to share one between clients (then ``strict``,
    ``version`` and ``keep_finished`` are its own); otherwise one is made that forgets all
    but the ``keep_finished`` most recent finished runs.  Guarding a client twice replaces
    the policy and tracker.
    """
    adapter = _adapter(client)
    g = new_guard(adapter.TRACKER, policy, strict, version, tracker, keep_finished)
    return adapter.attach(client, g)


def guard_of(client: Any) -> Guard:
    """The :class:`Guard` of a guarded client, of its HTTP client, or of a guarding transport."""
    try:
        g = GUARDS.get(client)
    except TypeError:  # not weak-referenceable: found through its transport, if at all
        g = None
    if g is None:
        g = _adapter(client).find_guard(client)
    if g is None:
        raise LookupError(f"this {type(client).__name__} is not guarded; call runfsm.guard(client), or build it "
                          "with runfsm.guard_transport()")
    return g


def tracker_of(client: Any) -> Tracker:
    """The :class:`~runfsm.validate.Tracker` a guarded client (or a guarding transport) feeds."""
    return guard_of(client).tracker
