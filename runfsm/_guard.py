"""Guard a live ``openai.OpenAI`` client: every run, step, message and stream event it receives is checked.

>>> import openai, runfsm                                           # doctest: +SKIP
>>> transport = runfsm.guard_transport(policy="warn")              # doctest: +SKIP
>>> client = openai.OpenAI(http_client=openai.DefaultHttpxClient(transport=transport))  # doctest: +SKIP
>>> run = client.beta.threads.runs.create_and_poll(...)            # doctest: +SKIP
>>> runfsm.tracker_of(client).findings                             # doctest: +SKIP

How it works: the guard is an HTTP transport of the client's ``httpx2``
client (openai 3.x; the same code wraps an ``httpx`` client of older SDKs),
passed when the client is built, or put in place of the transport of a built
client by :func:`runfsm.guard`.
Each answer to a request under ``/threads`` is read alongside the SDK, byte
for byte as the SDK reads it, and fed to a :class:`~runfsm.validate.Tracker`:
JSON bodies when they are complete, server-sent events one by one as they
arrive (so a violation in a stream is caught before the SDK hands that event
to your code).  The bytes, headers and status the SDK sees are untouched, so
the client returns exactly what it would return unguarded.

Refusals: an HTTP 400 whose message is one of the API's lifecycle refusals
(a message or run on a locked thread, tool outputs to a run not waiting for
them or missing calls, cancelling a finished run) is recorded as a
``client.*`` finding naming the run: the client broke the lifecycle.  The
SDK's own ``BadRequestError`` is what the caller gets, under every policy.

Policies: ``"raise"`` (the default) raises :class:`GuardError` with the error
findings (from inside the SDK call, or from the loop over a stream);
``"warn"`` emits a :class:`GuardWarning` per error or warning finding;
``"collect"`` only records them in the tracker.  A callable policy receives
each non-empty list of new findings.  All findings, whatever the policy, are
in ``tracker_of(client).findings``.

Concurrency: the tracker is shared by every request of the client and
protected by a lock; each request tells the tracker what had been received
when it was sent, so answers that cross on the wire are not mistaken for a
run going backwards.  Async clients (``openai.AsyncOpenAI``, an
``AsyncClient``) are guarded the same way, by an async transport.

Compressed bodies (gzip, deflate) are decompressed with :mod:`zlib` for the
check, alongside the SDK's own decoding; a body in another encoding (br,
zstd) is passed through unchecked.

This module imports ``openai`` and ``httpx2``; ``import runfsm`` never does.
"""

from __future__ import annotations

import contextlib
import importlib
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from . import spec
from ._guard_core import GUARDS, Guard, Policy, guarded_path, new_guard
from .errors import MissingExtra
from .validate._answers import answer_kind
from .validate._mixed import MixedTracker
from .validate._tracker import Tracker

__all__ = ["TRACKER", "AsyncGuardTransport", "GuardTransport", "async_guard_transport", "attach", "find_guard",
           "guard_transport"]


def _http_library() -> Any:
    """The HTTP library of the installed openai SDK (httpx2 for 3.x, httpx before)."""
    try:
        from .openai import http_library
    except MissingExtra:  # no SDK: the guard can still wrap an httpx2 client directly
        try:
            return importlib.import_module("httpx2")
        except ModuleNotFoundError:
            raise MissingExtra("openai", "openai", "runfsm.guard") from None
    return http_library()


_HX: Any = _http_library()


class _Inflate:
    """Decompress one ``Content-Encoding`` layer (gzip or deflate) as chunks arrive."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        # gzip: a gzip header; deflate: a zlib header, or (as some servers send it) none
        self._z = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16)
        self._first = True

    def decode(self, data: bytes) -> bytes:
        if self._deflate and self._first and data:
            self._first = False
            try:
                return self._z.decompress(data)
            except zlib.error:  # a raw deflate stream, without the zlib header
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._z.decompress(data)

    def flush(self) -> bytes:
        return self._z.flush()


class _Layers:
    """Every encoding layer of a body, the last applied undone first."""

    def __init__(self, layers: list[_Inflate]) -> None:
        self._layers = layers

    def decode(self, data: bytes) -> bytes:
        for layer in self._layers:
            data = layer.decode(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for layer in self._layers:
            data = layer.decode(data) + layer.flush()
        return data


_UNREADABLE = object()
"""A body in an encoding the guard cannot undo: passed through, not checked."""


def _content_decoder(response: Any) -> Any:
    """A decoder for the response's Content-Encoding (None: identity; ``_UNREADABLE``: br, zstd, unknown)."""
    values = response.headers.get_list("content-encoding", split_commas=True)
    encodings = [v.strip().lower() for v in values if v.strip().lower() not in ("", "identity")]
    if not encodings:
        return None
    if any(e not in ("gzip", "deflate") for e in encodings):
        return _UNREADABLE
    return _Layers([_Inflate("deflate" if e == "deflate" else "gzip") for e in reversed(encodings)])


class _Copy:
    """The checking half of a tee: decodes a copy of each chunk and hands it on."""

    def __init__(self, on_bytes: Callable[[bytes], None], on_end: Callable[[bool], None], decoder: Any) -> None:
        self._on_bytes = on_bytes
        self._on_end = on_end
        self._decoder = decoder
        self._ended = decoder is _UNREADABLE

    def take(self, chunk: bytes) -> None:
        if self._ended or not chunk:
            return
        if self._decoder is not None:
            try:
                chunk = self._decoder.decode(chunk)
            except Exception:  # undecodable: stop checking this body, leave the SDK alone
                self._decoder = None
                self._ended = True
                return
        if chunk:
            self._on_bytes(chunk)

    def finish(self, complete: bool) -> None:
        if self._ended:
            return
        if self._decoder is not None and complete:
            try:
                tail = self._decoder.flush()
            except Exception:
                tail = b""
            if tail:
                self._on_bytes(tail)
        self._ended = True
        self._on_end(complete)


class _Tee(_HX.SyncByteStream):  # type: ignore[misc]
    """The response body, passed through unchanged while a copy is checked."""

    def __init__(self, inner: Any, copy: _Copy) -> None:
        self._inner = inner
        self._copy = copy

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._copy.take(chunk)
            yield chunk
        self._copy.finish(True)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._copy.finish(False)


class _AsyncTee(_HX.AsyncByteStream):  # type: ignore[misc]
    """:class:`_Tee` for async clients."""

    def __init__(self, inner: Any, copy: _Copy) -> None:
        self._inner = inner
        self._copy = copy

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._copy.take(chunk)
            yield chunk
        self._copy.finish(True)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._copy.finish(False)


class _Watch:
    """What the sync and async transports share: which answers to check, and how."""

    guard: Guard
    _tee: Callable[[Any, _Copy], Any]

    def _watch(self, request: Any, response: Any, mark: int) -> None:
        kind = answer_kind(response.status_code, response.headers.get("content-type", ""))
        if kind is None:
            return
        path = request.url.path
        label = f"{request.method} {path}"
        if hasattr(response, "_content"):  # already read (an in-memory response)
            self.guard.answer(kind, response.content, path, label, mark)
            return
        on_bytes, on_end = self.guard.hooks(kind, path, label, mark)
        response.stream = self._tee(response.stream, _Copy(on_bytes, on_end, _content_decoder(response)))


class GuardTransport(_Watch, _HX.BaseTransport):  # type: ignore[misc]
    """An HTTP transport that hands everything to ``inner`` and checks the answers under ``/threads``."""

    _tee = _Tee

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard

    def handle_request(self, request: Any) -> Any:
        if not guarded_path(request.url.path):
            return self.inner.handle_request(request)
        mark = self.guard.mark()
        response = self.inner.handle_request(request)
        self._watch(request, response, mark)
        return response

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> GuardTransport:
        self.inner.__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        self.inner.__exit__(*args)


class AsyncGuardTransport(_Watch, _HX.AsyncBaseTransport):  # type: ignore[misc]
    """:class:`GuardTransport` for async clients."""

    _tee = _AsyncTee

    def __init__(self, inner: Any, guard: Guard) -> None:
        self.inner = inner
        self.guard = guard

    async def handle_async_request(self, request: Any) -> Any:
        if not guarded_path(request.url.path):
            return await self.inner.handle_async_request(request)
        mark = self.guard.mark()
        response = await self.inner.handle_async_request(request)
        self._watch(request, response, mark)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> AsyncGuardTransport:
        await self.inner.__aenter__()
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.inner.__aexit__(*args)


TRACKER = MixedTracker
"""The tracker of a guard made here: one for both protocols, Responses answers to its Responses tracker."""


def guard_transport(inner: Any = None, *, policy: Policy = "raise", strict: bool = False,
                    version: str = spec.DEFAULT_VERSION, tracker: Tracker | None = None,
                    keep_finished: int | None = 1024) -> GuardTransport:
    """An HTTP transport that checks what a client built on it receives: pass it when building the client.

    >>> client = openai.OpenAI(http_client=openai.DefaultHttpxClient(transport=runfsm.guard_transport()))  # doctest: +SKIP

    ``inner`` is the transport that sends the requests (default: a new
    ``HTTPTransport()`` of the SDK's HTTP library); the options are those of
    :func:`runfsm.guard`.  ``runfsm.tracker_of(client)`` (or of the transport) is its tracker.
    """
    made = GuardTransport(_HX.HTTPTransport() if inner is None else inner,
                          new_guard(TRACKER, policy, strict, version, tracker, keep_finished))
    GUARDS[made] = made.guard
    return made


def async_guard_transport(inner: Any = None, *, policy: Policy = "raise", strict: bool = False,
                          version: str = spec.DEFAULT_VERSION, tracker: Tracker | None = None,
                          keep_finished: int | None = 1024) -> AsyncGuardTransport:
    """:func:`guard_transport` for ``openai.AsyncOpenAI`` (default ``inner``: a new ``AsyncHTTPTransport()``)."""
    made = AsyncGuardTransport(_HX.AsyncHTTPTransport() if inner is None else inner,
                               new_guard(TRACKER, policy, strict, version, tracker, keep_finished))
    GUARDS[made] = made.guard
    return made


def _transports(client: Any, replace: Callable[[Any], Any] | None = None) -> tuple[Any, list[Any]]:
    """The HTTP client of ``client`` and its transports, each replaced by ``replace(t)`` when given.

    Neither the openai SDK nor httpx has a public way to reach the transport of a
    built client: this is the one place the guard reads (and, to guard it, sets)
    ``client._client``, ``_transport`` and ``_mounts``.
    """
    kinds = (_HX.Client, _HX.AsyncClient)
    http = client if isinstance(client, kinds) else getattr(client, "_client", None)
    if not isinstance(http, kinds):
        raise TypeError(f"runfsm.guard needs an openai.OpenAI or openai.AsyncOpenAI client, or an "
                        f"{_HX.__name__}.Client or AsyncClient, not {type(client).__name__}")
    if replace is not None:
        http._transport = replace(http._transport)
    found = [http._transport]
    mounts = getattr(http, "_mounts", None)
    if isinstance(mounts, dict):
        for pattern, mounted in list(mounts.items()):
            if mounted is not None:
                if replace is not None:
                    mounts[pattern] = mounted = replace(mounted)
                found.append(mounted)
    return http, found


def attach(client: Any, g: Guard) -> Any:
    """Guard an already built openai client (or HTTP client) in place by ``g``; returns it."""
    is_async = isinstance(client, _HX.AsyncClient) or isinstance(getattr(client, "_client", None), _HX.AsyncClient)
    wrap: Any = AsyncGuardTransport if is_async else GuardTransport
    http, _ = _transports(client, lambda t: wrap(t.inner if isinstance(t, wrap) else t, g))
    GUARDS[http] = g
    if http is not client:
        with contextlib.suppress(TypeError):  # not weak-referenceable: found through its HTTP client
            GUARDS[client] = g
    return client


def find_guard(client: Any) -> Guard | None:
    """The guard of a client built on a guarding transport, if any."""
    try:
        _, found = _transports(client)
    except TypeError:
        return None
    guards = [t.guard for t in found if isinstance(t, (GuardTransport, AsyncGuardTransport))]
    return guards[0] if guards else None
