"""The live-client guard of the ``azure-ai-agents`` SDK: azure-core transports that check what an ``AgentsClient`` receives.

Build the client on one (the supported way)::

    AgentsClient(endpoint, credential, transport=runfsm.azure.guard_transport())

or guard a built client with :func:`runfsm.guard` (or :func:`guard`).  Every answer
under ``/threads`` goes to a tracker: JSON bodies whole, streams event by event as
the SDK reads them, HTTP 400 lifecycle refusals as ``client.*`` findings, whether
the request was streamed or not.  Imports ``azure.core`` only, never ``openai``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import ResponseNotReadError
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

from . import spec
from ._guard_core import GUARDS, Guard, Hooks, Policy, guarded_path, new_guard
from .validate._answers import answer_kind
from .validate._tracker import Tracker

__all__ = ["TRACKER", "AsyncGuardTransport", "GuardTransport", "async_guard_transport", "attach", "find_guard",
           "guard", "guard_transport"]

TRACKER = Tracker
"""The tracker of a guard made here (Azure serves the Assistants protocol only)."""


class _Watch:
    """Feeds what one response carries to the guard's tracker: a body read in full at once, else as it is read."""

    guard: Guard

    def _check(self, request: Any, response: Any, mark: int) -> None:
        kind = answer_kind(response.status_code, response.headers.get("Content-Type") or "")
        if kind is None:
            return
        path = urlsplit(str(request.url)).path
        label = f"{request.method} {path}"
        try:
            body = response.content  # read in full by the transport (a request sent without stream=True)
        except ResponseNotReadError:  # streamed: checked as the SDK reads it, refusals and JSON bodies too
            self._tee(response, self.guard.hooks(kind, path, label, mark))
            return
        self.guard.answer(kind, body, path, label, mark)

    def _tee(self, response: Any, hooks: Hooks) -> None:
        raise NotImplementedError


class GuardTransport(_Watch, HttpTransport[Any, Any]):
    """An azure-core transport that hands everything to ``inner`` and checks the answers under ``/threads``."""

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard

    def send(self, request: Any, **kwargs: Any) -> Any:
        if not guarded_path(urlsplit(str(request.url)).path):
            return self.inner.send(request, **kwargs)
        mark = self.guard.mark()
        response = self.inner.send(request, **kwargs)
        self._check(request, response, mark)
        return response

    def _tee(self, response: Any, hooks: Hooks) -> None:
        on_bytes, on_end = hooks
        # azure-core reads every body of a streamed response through this generator (iter_bytes, read)
        download = response._stream_download_generator

        def teed(*args: Any, **kwargs: Any) -> Iterator[bytes]:
            complete = False
            try:
                for chunk in download(*args, **kwargs):
                    on_bytes(chunk)
                    yield chunk
                complete = True
            finally:
                on_end(complete)

        response._stream_download_generator = teed

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> GuardTransport:
        self.inner.__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        self.inner.__exit__(*args)


class AsyncGuardTransport(_Watch, AsyncHttpTransport[Any, Any]):
    """:class:`GuardTransport` for async clients."""

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard

    async def send(self, request: Any, **kwargs: Any) -> Any:
        if not guarded_path(urlsplit(str(request.url)).path):
            return await self.inner.send(request, **kwargs)
        mark = self.guard.mark()
        response = await self.inner.send(request, **kwargs)
        self._check(request, response, mark)
        return response

    def _tee(self, response: Any, hooks: Hooks) -> None:
        on_bytes, on_end = hooks
        download = response._stream_download_generator  # as for GuardTransport

        async def teed(*args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
            complete = False
            try:
                async for chunk in download(*args, **kwargs):
                    on_bytes(chunk)
                    yield chunk
                complete = True
            finally:
                on_end(complete)

        response._stream_download_generator = teed

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def __aenter__(self) -> AsyncGuardTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.inner.__aexit__(*args)


def guard_transport(inner: Any = None, *, policy: Policy = "raise", strict: bool = False,
                    version: str = spec.DEFAULT_VERSION, tracker: Tracker | None = None,
                    keep_finished: int | None = 1024) -> GuardTransport:
    """An azure-core transport that checks what an ``AgentsClient`` built on it receives.

    ``AgentsClient(endpoint, credential, transport=runfsm.azure.guard_transport())``; ``inner``
    sends the requests (default: azure-core's ``RequestsTransport()``, or ``runfsm.azure.transport(sim)``
    for a simulator); the options are those of :func:`runfsm.guard`.
    """
    if inner is None:
        from azure.core.pipeline.transport import RequestsTransport

        inner = RequestsTransport()
    made = GuardTransport(inner, new_guard(TRACKER, policy, strict, version, tracker, keep_finished))
    GUARDS[made] = made.guard
    return made


def async_guard_transport(inner: Any = None, *, policy: Policy = "raise", strict: bool = False,
                          version: str = spec.DEFAULT_VERSION, tracker: Tracker | None = None,
                          keep_finished: int | None = 1024) -> AsyncGuardTransport:
    """:func:`guard_transport` for ``azure.ai.agents.aio.AgentsClient`` (default ``inner``: ``AioHttpTransport()``)."""
    if inner is None:
        from azure.core.pipeline.transport import AioHttpTransport

        inner = AioHttpTransport()
    made = AsyncGuardTransport(inner, new_guard(TRACKER, policy, strict, version, tracker, keep_finished))
    GUARDS[made] = made.guard
    return made


def _transport(agents: Any, replace: Callable[[Any], Any] | None = None) -> Any:
    """The transport of a built ``AgentsClient``, replaced by ``replace(transport)`` when given.

    azure-core has no public way to reach the transport of a built client: this is the
    one place the guard reads (and, to guard it, sets) the pipeline's ``_transport``
    and the ``_sender`` of its last step (azure-core's ``_TransportRunner``).
    """
    pipeline = getattr(getattr(agents, "_client", None), "_pipeline", None)
    policies = getattr(pipeline, "_impl_policies", None)
    if pipeline is None or not policies:
        raise TypeError(f"runfsm.guard needs an azure.ai.agents AgentsClient, not {type(agents).__name__}")
    step = policies[-1]
    while getattr(step, "next", None) is not None:
        step = step.next
    if not hasattr(step, "_sender"):
        raise TypeError(f"cannot find the transport of this {type(agents).__name__}")
    if replace is not None:
        step._sender = pipeline._transport = replace(step._sender)
    return step._sender


def attach(agents: Any, g: Guard) -> Any:
    """Guard a built ``AgentsClient`` (sync or async) in place by ``g``; returns it."""
    from azure.ai.agents.aio import AgentsClient as AsyncAgentsClient

    wrap: Any = AsyncGuardTransport if isinstance(agents, AsyncAgentsClient) else GuardTransport
    _transport(agents, lambda t: wrap(t.inner if isinstance(t, wrap) else t, g))
    GUARDS[agents] = g
    return agents


def find_guard(agents: Any) -> Guard | None:
    """The guard of an ``AgentsClient`` built on a guarding transport, if any."""
    try:
        found = _transport(agents)
    except TypeError:
        return None
    return found.guard if isinstance(found, (GuardTransport, AsyncGuardTransport)) else None


def guard(agents: Any, *, policy: Policy = "raise", strict: bool = False, version: str = spec.DEFAULT_VERSION,
          tracker: Tracker | None = None, keep_finished: int | None = 1024) -> Any:
    """:func:`runfsm.guard` for an ``AgentsClient`` (sync or async): guards it in place and returns it."""
    return attach(agents, new_guard(TRACKER, policy, strict, version, tracker, keep_finished))
