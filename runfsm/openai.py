"""Run the official ``openai`` SDK against a :class:`runfsm.sim.Simulator`, in process.

:func:`client` and :func:`async_client` return real ``openai.OpenAI`` /
``openai.AsyncOpenAI`` objects whose HTTP requests never leave the process:
the HTTP library's transport hook (``httpx2`` for openai 3.x, ``httpx`` for
older releases) hands every request to a router that calls the simulator and
answers with the real API's JSON bodies, status codes and server-sent events.

>>> from runfsm.sim import Simulator                     # doctest: +SKIP
>>> from runfsm.openai import client                      # doctest: +SKIP
>>> oai = client(Simulator())                             # doctest: +SKIP
>>> run = oai.beta.threads.create_and_run_poll(assistant_id=..., thread={...})  # doctest: +SKIP

Time: each run retrieve first advances the simulated clock by
``poll_interval`` seconds (a client that polls forever eventually sees its run
expire), and every response carries ``openai-poll-after-ms: 0`` so the SDK's
poll helpers never sleep in wall time.

Refusals come back as HTTP 400 / 404 with the API's ``{"error": {...}}`` body,
so the SDK raises its own ``BadRequestError`` / ``NotFoundError``.  A request
for an endpoint the simulator does not serve gets the API's 404 ``Invalid URL``
answer.  Streaming requests (``stream=True``) are answered as
``text/event-stream`` whose events are produced lazily, as the SDK reads them,
so the simulation advances only as far as the client has read.

Importing this module imports ``openai`` (and its HTTP library); ``import
runfsm`` never does.
"""

from __future__ import annotations

import importlib
import json
import weakref
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

try:
    import openai
except ModuleNotFoundError as exc:  # say which extra installs it, not a bare ModuleNotFoundError
    from .errors import MissingExtra

    raise MissingExtra("openai", exc.name or "openai", "runfsm.openai") from None

from ._router import POLL_AFTER_MS, AdapterError, Answer, Call, SimRouter, _sse_bytes

if TYPE_CHECKING:
    from .sim import Simulator

__all__ = [
    "BASE_URL",
    "DUMMY_API_KEY",
    "POLL_AFTER_MS",
    "AdapterError",
    "Answer",
    "AsyncSimTransport",
    "Call",
    "SimRouter",
    "SimTransport",
    "async_client",
    "client",
    "http_library",
    "router_of",
]

BASE_URL = "http://runfsm-simulator.invalid/v1"
"""Base URL of the clients built here (``.invalid`` never resolves, so nothing can leak to a network)."""

DUMMY_API_KEY = "sk-runfsm-simulator"
"""API key given to the SDK (it insists on one); the simulator never checks it."""


def http_library() -> ModuleType:
    """Return the HTTP library module the installed ``openai`` SDK is built on.

    openai 3.x uses ``httpx2``; 1.x and 2.x use ``httpx``.  Detected from the
    SDK's default HTTP client class, so a stray install of the other library
    does not confuse it.
    """
    default = getattr(openai, "DefaultHttpxClient", None)
    if isinstance(default, type):
        for base in default.__mro__:
            root = base.__module__.split(".")[0]
            if root in ("httpx2", "httpx") and base.__name__ == "Client":
                return importlib.import_module(root)
    raise AdapterError(  # pragma: no cover
        f"cannot tell which HTTP library openai {openai.__version__} uses; expected httpx2 (openai 3.x) or httpx"
    )


_HX: Any = http_library()



# --- the transports ---------------------------------------------------------------------------


def _headers(router: SimRouter, answer: Answer) -> dict[str, str]:
    headers = {
        "openai-poll-after-ms": str(router.poll_after_ms),
        "content-type": "text/event-stream; charset=utf-8" if answer.events is not None else "application/json",
    }
    headers.update(answer.headers)
    return headers


def _split(request: Any) -> tuple[str, str, dict[str, str], str, bytes]:
    url = request.url
    query = dict(parse_qsl(url.query.decode() if isinstance(url.query, bytes) else str(url.query)))
    return request.method, url.path, query, request.headers.get("content-type", ""), bytes(request.content)


class _SyncEvents(_HX.SyncByteStream):  # type: ignore[misc]
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class _AsyncEvents(_HX.AsyncByteStream):  # type: ignore[misc]
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def _response(router: SimRouter, answer: Answer, request: Any, *, asynchronous: bool) -> Any:
    headers = _headers(router, answer)
    if isinstance(answer.body, bytes):  # a file's content, as uploaded
        return _HX.Response(answer.status, headers=headers, content=answer.body, request=request)
    if answer.events is None:
        content = json.dumps(answer.body, ensure_ascii=False).encode()
        return _HX.Response(answer.status, headers=headers, content=content, request=request)
    chunks = _sse_bytes(answer.events, router._api_error)
    stream = _AsyncEvents(chunks) if asynchronous else _SyncEvents(chunks)
    return _HX.Response(answer.status, headers=headers, stream=stream, request=request)


class SimTransport(_HX.BaseTransport):  # type: ignore[misc]
    """A synchronous transport (``httpx2.BaseTransport``) answering from a simulator.

    ``prefix``: the path of the base URL the client uses (``/v1``).
    """

    def __init__(self, sim: Simulator, *, poll_interval: float = 1.0, prefix: str = "/v1",
                 poll_after_ms: int = POLL_AFTER_MS) -> None:
        self.router = SimRouter(sim, poll_interval=poll_interval, prefix=prefix, poll_after_ms=poll_after_ms)

    def handle_request(self, request: Any) -> Any:
        request.read()
        answer = self.router.handle(*_split(request))
        return _response(self.router, answer, request, asynchronous=False)


class AsyncSimTransport(_HX.AsyncBaseTransport):  # type: ignore[misc]
    """An asynchronous transport (``httpx2.AsyncBaseTransport``) answering from a simulator.

    The simulator is synchronous: each request is answered without awaiting anything.
    """

    def __init__(self, sim: Simulator, *, poll_interval: float = 1.0, prefix: str = "/v1",
                 poll_after_ms: int = POLL_AFTER_MS) -> None:
        self.router = SimRouter(sim, poll_interval=poll_interval, prefix=prefix, poll_after_ms=poll_after_ms)

    async def handle_async_request(self, request: Any) -> Any:
        await request.aread()
        answer = self.router.handle(*_split(request))
        return _response(self.router, answer, request, asynchronous=True)


# --- the factories ----------------------------------------------------------------------------

_ROUTERS: weakref.WeakKeyDictionary[Any, SimRouter] = weakref.WeakKeyDictionary()


def _client_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], str]:
    if "http_client" in kwargs:
        raise AdapterError(
            "client() and async_client() build the http_client themselves (it carries the simulator "
            "transport); pass the other openai.OpenAI arguments, or build your own HTTP client around "
            "SimTransport / AsyncSimTransport"
        )
    kwargs.setdefault("api_key", DUMMY_API_KEY)
    kwargs.setdefault("base_url", BASE_URL)
    kwargs.setdefault("max_retries", 0)  # a retry would sleep in wall time; the simulator never needs one
    prefix = urlsplit(str(kwargs["base_url"])).path
    return kwargs, prefix


def client(sim: Simulator, *, poll_interval: float = 1.0, poll_after_ms: int = POLL_AFTER_MS,
           **kwargs: Any) -> openai.OpenAI:
    """Return an ``openai.OpenAI`` whose requests the simulator ``sim`` answers in process.

    ``poll_interval``: simulated seconds the clock advances before each run
    retrieve (``GET /threads/{thread_id}/runs/{run_id}``), like the time a
    real poll takes; ``0`` leaves all time to the caller (``sim.advance``).
    ``poll_after_ms``: the ``openai-poll-after-ms`` header of every answer (how long
    the SDK's poll helpers sleep between polls; ``0`` by default, so they never wait).
    Other keyword arguments go to ``openai.OpenAI`` (defaults: a dummy
    ``api_key``, ``base_url`` :data:`BASE_URL`, ``max_retries=0``);
    ``http_client`` is built here and cannot be given.
    """
    options, prefix = _client_kwargs(kwargs)
    transport = SimTransport(sim, poll_interval=poll_interval, prefix=prefix, poll_after_ms=poll_after_ms)
    oai = openai.OpenAI(http_client=_HX.Client(transport=transport), **options)
    _ROUTERS[oai] = transport.router
    return oai


def async_client(sim: Simulator, *, poll_interval: float = 1.0, poll_after_ms: int = POLL_AFTER_MS,
                 **kwargs: Any) -> openai.AsyncOpenAI:
    """Return an ``openai.AsyncOpenAI`` whose requests the simulator ``sim`` answers in process.

    Same arguments as :func:`client`.
    """
    options, prefix = _client_kwargs(kwargs)
    transport = AsyncSimTransport(sim, poll_interval=poll_interval, prefix=prefix, poll_after_ms=poll_after_ms)
    oai = openai.AsyncOpenAI(http_client=_HX.AsyncClient(transport=transport), **options)
    _ROUTERS[oai] = transport.router
    return oai


def router_of(oai: openai.OpenAI | openai.AsyncOpenAI) -> SimRouter:
    """The :class:`SimRouter` behind a client built by :func:`client` or :func:`async_client`.

    It holds the simulator (``.sim``), the request count and the uploaded files.
    """
    try:
        return _ROUTERS[oai]
    except (KeyError, TypeError):
        raise AdapterError(
            f"{type(oai).__name__} object was not built by runfsm.openai.client() or async_client()"
        ) from None
