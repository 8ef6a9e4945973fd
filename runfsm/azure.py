"""Run the ``azure-ai-agents`` SDK (classic threads and runs) against a :class:`runfsm.sim.Simulator`, in process.

azure-core lets a client take its own HTTP transport: :func:`transport` and
:func:`async_transport` return ones that answer every request from a simulator,
through the same router as :mod:`runfsm.openai`, so the Azure SDK meets the same
lifecycle, the same objects and the same event streams:

>>> from azure.ai.agents import AgentsClient                          # doctest: +SKIP
>>> agents = AgentsClient(endpoint, credential, transport=runfsm.azure.transport(sim))  # doctest: +SKIP

or simply ``runfsm.azure.client(sim)``.  Before routing, the transport checks
what Azure checks: the path must be under a project endpoint
(``/api/projects/<project>``) and ``?api-version=`` must be one the service
accepts; otherwise it answers as Azure does (:mod:`runfsm.azure_profile`).

Time is the simulator's: each run retrieve advances its clock by
``poll_interval`` seconds.  The SDK's ``create_and_process`` calls
``time.sleep`` itself: wrap the call in ``runfsm.testing.simulated_sleep(sim.advance)``
(``check_client`` does it for you).

:func:`guard_transport` checks what an ``AgentsClient`` built on it (one talking to
Azure, or to a simulator) receives, like :func:`runfsm.guard_transport` does for an
openai client; :func:`guard` (or :func:`runfsm.guard`) guards a client already built.

Importing this module imports ``azure.core`` and ``azure.ai.agents``; ``import runfsm`` never does.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

try:
    from azure.ai.agents import AgentsClient
    from azure.ai.agents.aio import AgentsClient as AsyncAgentsClient
    from azure.core.credentials import AccessToken
    from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
    from azure.core.rest._http_response_impl import HttpResponseImpl
    from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
except ModuleNotFoundError as exc:  # say which extra installs it, not a bare ModuleNotFoundError
    from .errors import MissingExtra

    raise MissingExtra("azure", exc.name or "azure-ai-agents", "runfsm.azure") from None

from . import azure_profile as profile
from ._azure_guard import AsyncGuardTransport, GuardTransport, async_guard_transport, guard, guard_transport
from ._router import AdapterError, Answer, SimRouter, _sse_bytes

if TYPE_CHECKING:
    from .sim import Simulator

__all__ = [
    "ENDPOINT",
    "AdapterError",
    "AsyncGuardTransport",
    "AsyncSimTransport",
    "GuardTransport",
    "SimTransport",
    "async_client",
    "async_guard_transport",
    "async_transport",
    "client",
    "guard",
    "guard_transport",
    "profile",
    "router_of",
    "transport",
]

ENDPOINT = "https://runfsm-simulator.invalid/api/projects/runfsm"
"""The project endpoint of the clients built here (``.invalid`` never resolves; https because the SDK's
bearer-token policy refuses anything else)."""

_TOKEN_EXPIRES = 32_503_680_000  # year 3000: the dummy token never needs refreshing


class _Credential:
    """A token credential the simulator never checks."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("runfsm-simulator", _TOKEN_EXPIRES)


class _AsyncCredential:
    """:class:`_Credential` for async clients."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("runfsm-simulator", _TOKEN_EXPIRES)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _AsyncCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        return None


# --- requests and answers ------------------------------------------------------------------


def _body(request: Any) -> bytes:
    content = request.content
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    raise AdapterError(f"runfsm.azure cannot send a {type(content).__name__} body (file uploads are not served)")


class _Chunks:
    """The body of one answer: a JSON document at once, or server-sent events as they are read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()  # the simulator stops feeding this stream; the run itself goes on


class _AsyncChunks(_Chunks):
    async def close(self) -> None:  # type: ignore[override]  # azure-core awaits it for async responses
        super().close()


def _sync_download(response: Any, pipeline: Any = None, **kwargs: Any) -> Iterator[bytes]:
    yield from response._internal_response.chunks


async def _async_download(response: Any, pipeline: Any = None, **kwargs: Any) -> AsyncIterator[bytes]:
    for chunk in response._internal_response.chunks:
        yield chunk


class _Route:
    """What the sync and async transports share: Azure's own checks, then the router."""

    router: SimRouter
    api_versions: tuple[str, ...]

    def _answer(self, request: Any) -> Answer:
        url = urlsplit(str(request.url))
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        split = profile.split_path(url.path)
        if split is None:
            status, body = profile.outside_prefix_error()
            return Answer(status, body)
        refusal = profile.api_version_error(query.pop("api-version", None), self.api_versions)
        if refusal is not None:
            return Answer(*refusal)
        return self.router.handle(request.method, split[1], query, request.headers.get("Content-Type", ""),
                                  _body(request))

    def _parts(self, answer: Answer) -> tuple[dict[str, str], Iterator[bytes]]:
        headers = {"Content-Type": "text/event-stream; charset=utf-8" if answer.events is not None
                   else "application/json", **answer.headers}
        if answer.events is not None:
            return headers, _sse_bytes(answer.events, self.router._api_error)
        data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body, ensure_ascii=False).encode()
        headers["Content-Length"] = str(len(data))
        return headers, iter((data,))


def _response_kwargs(request: Any, answer: Answer, headers: dict[str, str], chunks: _Chunks,
                     download: Callable[..., Any]) -> dict[str, Any]:
    from azure.core.utils import case_insensitive_dict

    return {"request": request, "internal_response": chunks, "status_code": answer.status, "reason": "",
            "content_type": headers["Content-Type"], "headers": case_insensitive_dict(headers),
            "stream_download_generator": download}


class SimTransport(_Route, HttpTransport[Any, Any]):
    """An azure-core ``HttpTransport`` answering from a simulator (see :func:`transport`)."""

    def __init__(self, sim: Simulator, *, poll_interval: float = 1.0,
                 api_versions: tuple[str, ...] = profile.API_VERSIONS) -> None:
        self.router = SimRouter(sim, poll_interval=poll_interval, prefix="")
        self.api_versions = tuple(api_versions)

    def send(self, request: Any, **kwargs: Any) -> Any:
        answer = self._answer(request)
        headers, chunks = self._parts(answer)
        response = HttpResponseImpl(**_response_kwargs(request, answer, headers, _Chunks(chunks), _sync_download))
        if not kwargs.get("stream"):
            response.read()
        return response

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> SimTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        return None


class AsyncSimTransport(_Route, AsyncHttpTransport[Any, Any]):
    """An azure-core ``AsyncHttpTransport`` answering from a simulator (see :func:`async_transport`)."""

    def __init__(self, sim: Simulator, *, poll_interval: float = 1.0,
                 api_versions: tuple[str, ...] = profile.API_VERSIONS) -> None:
        self.router = SimRouter(sim, poll_interval=poll_interval, prefix="")
        self.api_versions = tuple(api_versions)

    async def send(self, request: Any, **kwargs: Any) -> Any:
        answer = self._answer(request)
        headers, chunks = self._parts(answer)
        response = AsyncHttpResponseImpl(**_response_kwargs(request, answer, headers, _AsyncChunks(chunks),
                                                            _async_download))
        if not kwargs.get("stream"):
            await response.read()
        return response

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncSimTransport:
        return self

    async def __aexit__(self, *args: Any) -> None:
        return None


def transport(sim: Simulator, *, poll_interval: float = 1.0,
              api_versions: tuple[str, ...] = profile.API_VERSIONS) -> SimTransport:
    """An azure-core transport whose requests ``sim`` answers: ``AgentsClient(..., transport=transport(sim))``.

    ``poll_interval``: simulated seconds the clock advances before each run
    retrieve (``0``: time moves only with ``sim.advance``).  ``api_versions``: the
    ``?api-version=`` values accepted; any other is answered with Azure's 400.
    """
    return SimTransport(sim, poll_interval=poll_interval, api_versions=api_versions)


def async_transport(sim: Simulator, *, poll_interval: float = 1.0,
                    api_versions: tuple[str, ...] = profile.API_VERSIONS) -> AsyncSimTransport:
    """:func:`transport` for ``azure.ai.agents.aio.AgentsClient``."""
    return AsyncSimTransport(sim, poll_interval=poll_interval, api_versions=api_versions)


# --- the factories ----------------------------------------------------------------------------

_ROUTERS: weakref.WeakKeyDictionary[Any, SimRouter] = weakref.WeakKeyDictionary()


def _client_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "transport" in kwargs:
        raise AdapterError("client() and async_client() build the transport themselves (it carries the simulator); "
                           "to use your own, build AgentsClient(..., transport=runfsm.azure.transport(sim))")
    kwargs.setdefault("endpoint", ENDPOINT)
    kwargs.setdefault("retry_total", 0)  # a retry would sleep in wall time; the simulator never needs one
    return kwargs


def client(sim: Simulator, *, poll_interval: float = 1.0, **kwargs: Any) -> AgentsClient:
    """An ``azure.ai.agents.AgentsClient`` whose requests ``sim`` answers in process.

    It has a dummy credential and the endpoint :data:`ENDPOINT`; other keyword
    arguments (``api_version``, ...) go to ``AgentsClient``.
    """
    options = _client_kwargs(kwargs)
    sim_transport = transport(sim, poll_interval=poll_interval)
    agents = AgentsClient(credential=_Credential(), transport=sim_transport, **options)
    _ROUTERS[agents] = sim_transport.router
    return agents


def async_client(sim: Simulator, *, poll_interval: float = 1.0, **kwargs: Any) -> AsyncAgentsClient:
    """An ``azure.ai.agents.aio.AgentsClient`` whose requests ``sim`` answers in process."""
    options = _client_kwargs(kwargs)
    sim_transport = async_transport(sim, poll_interval=poll_interval)
    agents = AsyncAgentsClient(credential=_AsyncCredential(), transport=sim_transport, **options)
    _ROUTERS[agents] = sim_transport.router
    return agents


def router_of(agents: Any) -> SimRouter:
    """The router behind a client built by :func:`client` or :func:`async_client` (``.sim``, ``.calls``)."""
    try:
        return _ROUTERS[agents]
    except (KeyError, TypeError):
        raise AdapterError(f"{type(agents).__name__} object was not built by runfsm.azure.client() or "
                           "async_client()") from None
