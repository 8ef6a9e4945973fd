"""The routing behind the SDK adapters: REST requests of the Assistants API answered by a simulator.

:class:`SimRouter` maps a request (method, path, query, content type, body) onto
the simulator's methods and returns an :class:`Answer`: a status with a JSON
body, or the simulator's events for a streamed request.  It imports no SDK and
no HTTP library, so every adapter (``runfsm.openai``, ``runfsm.azure``) shares
it; each adapter only turns its HTTP library's requests and responses into
these calls and answers.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import AdapterError, ClientStuck

if TYPE_CHECKING:
    from .sim import Simulator

__all__ = ["POLL_AFTER_MS", "AdapterError", "Answer", "Call", "SimRouter"]

POLL_AFTER_MS = 0
"""Value of the ``openai-poll-after-ms`` header on every answer: the SDK's poll helpers wait 0 ms."""

_JSON_BODY_ERROR = (
    "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, "
    "but what was sent was not valid JSON."
)


# --- the answers ----------------------------------------------------------------------------


class _Refusal(Exception):
    """An HTTP error answer, raised inside the router and turned into a response."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        }


class Call(NamedTuple):
    """One request a :class:`SimRouter` answered (recorded when ``router.calls`` is a list).

    ``status`` is the HTTP status (0: the client was told it is stuck); ``note`` the run
    status answered, a list's length, ``stream`` or the refusal's message.
    """

    method: str
    path: str
    status: int
    note: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status or 'stuck'} {self.note}".rstrip()


def _summary(answer: Answer) -> str:
    if answer.events is not None:
        return "stream"
    body = answer.body
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message", ""))
    if body.get("object") == "list":
        return f"{len(body.get('data') or ())} items"
    status = body.get("status")
    return str(status) if isinstance(status, str) else ""


@dataclass
class Answer:
    """What :meth:`SimRouter.handle` answers: an HTTP status with a JSON body, or a stream.

    ``events`` (for ``stream=True`` requests) yields the simulator's ``(event, data)``
    pairs; the transports encode them as server-sent events as they are read.
    """

    status: int
    body: Any = None
    events: Iterator[tuple[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _sse_chunk(event: str, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {payload}\n\n".encode()


def _sse_bytes(events: Iterator[tuple[str, Any]], api_error: type[BaseException]) -> Iterator[bytes]:
    """Encode the simulator's events as SSE, lazily; an API error mid-stream becomes an ``error`` event."""
    try:
        for event, data in events:
            yield _sse_chunk(event, data)
    except api_error as exc:
        yield _sse_chunk("error", _error_body(exc))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # the simulator stops feeding this stream; the run itself goes on


def _error_body(exc: BaseException) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    value = body() if callable(body) else body
    if isinstance(value, dict):
        return value
    return {"error": {"message": str(exc), "type": "invalid_request_error", "param": None, "code": None}}


# --- the router -------------------------------------------------------------------------------

_ID = r"([^/]+)"
_INCLUDE = "include[]"  # the query key the SDK sends include= under
_Handler = Callable[["SimRouter", "_Request", tuple[str, ...]], Answer]


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # without the /v1 prefix
    query: dict[str, str]
    content_type: str
    body: bytes


def _route(method: str, pattern: str) -> Callable[[_Handler], _Handler]:
    def register(handler: _Handler) -> _Handler:
        _ROUTES.append((method, re.compile(pattern.replace("{id}", _ID) + r"/?\Z"), handler))
        return handler

    return register


_ROUTES: list[tuple[str, re.Pattern[str], _Handler]] = []


class SimRouter:
    """Maps the Assistants REST endpoints onto the simulator's methods.

    Shared by :class:`SimTransport` and :class:`AsyncSimTransport`; usable on
    its own with :meth:`handle` (method, URL path, query, content type, body).
    """

    def __init__(self, sim: Simulator, *, poll_interval: float = 1.0, prefix: str = "/v1",
                 poll_after_ms: int = POLL_AFTER_MS) -> None:
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) or not poll_interval >= 0:
            raise AdapterError(f"poll_interval must be a number of seconds >= 0, got {poll_interval!r}")
        if isinstance(poll_after_ms, bool) or not isinstance(poll_after_ms, int) or poll_after_ms < 0:
            raise AdapterError(f"poll_after_ms must be a whole number of milliseconds >= 0, got {poll_after_ms!r}")
        self.sim = sim
        self.poll_interval = poll_interval
        self.poll_after_ms = poll_after_ms
        """The ``openai-poll-after-ms`` header of every answer: how long the SDK's poll helpers sleep."""
        self.calls: list[Call] | None = None
        """Set it to a list to record every request answered, as :class:`Call` values (off by default)."""
        self.prefix = prefix.rstrip("/")
        """The base URL's path (``/v1``): stripped from request paths before routing."""
        self.requests = 0
        """How many requests were answered (also numbers the ``x-request-id`` headers)."""
        self._numbering = threading.Lock()  # clients used from several threads share one router
        self.uploads: list[dict[str, Any]] = []
        """The file objects uploaded through this router, in order (the simulator keeps the content)."""
        self._api_error: type[BaseException] = _sim_api_error()

    # -- entry point --

    def handle(self, method: str, path: str, query: Mapping[str, str], content_type: str, body: bytes) -> Answer:
        """Answer one request (``path``: the URL path, base URL path included)."""
        with self._numbering:
            self.requests += 1
            number = self.requests
        rel = path[len(self.prefix):] if self.prefix and path.startswith(self.prefix + "/") else path
        request = _Request(method.upper(), rel, dict(query), content_type, body)
        answer = self._answer(request, path)
        answer.headers.setdefault("x-request-id", f"req_runfsm{number:08d}")
        if self.calls is not None:
            self.calls.append(Call(request.method, rel, answer.status, _summary(answer)))
        return answer

    def _answer(self, request: _Request, path: str) -> Answer:
        stuck = self.sim.stuck
        try:
            if stuck is not None:  # a client that was told it is stuck gets nothing more
                raise stuck
            for route_method, pattern, handler in _ROUTES:
                match = pattern.match(request.path)
                if match and route_method == request.method:
                    return handler(self, request, match.groups())
            raise _Refusal(404, f"Invalid URL ({request.method} {path}): the runfsm simulator does not serve this endpoint.")
        except _Refusal as refusal:
            return Answer(refusal.status, refusal.body)
        except self._api_error as exc:
            return Answer(int(getattr(exc, "status", 400)), _error_body(exc))
        except ClientStuck as exc:
            if self.calls is not None:
                self.calls.append(Call(request.method, request.path, 0, f"ClientStuck: {exc.reason}"))
            raise

    # -- helpers --

    def _json(self, request: _Request) -> dict[str, Any]:
        if not request.body.strip():
            return {}
        try:
            value = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep to parse
            raise _Refusal(400, _JSON_BODY_ERROR) from None
        if not isinstance(value, dict):
            raise _Refusal(400, _JSON_BODY_ERROR)
        return value

    def _call(self, method: Callable[..., Any], args: tuple[Any, ...], body: dict[str, Any]) -> Any:
        """Call a simulator method with the body's fields as keyword arguments.

        Required keyword-only parameters missing from the body answer 400 like
        the API (``Missing required parameter: 'model'.``); fields the method
        does not take are dropped (the API ignores unknown JSON keys) unless it
        takes ``**extra``; a field named like a path parameter never overrides it.
        """
        required, keywords, positional, takes_extra = _signature(getattr(method, "__func__", method))
        for name in required:
            if name not in body:
                raise _Refusal(400, f"Missing required parameter: '{name}'.", param=name)
        kwargs = {
            key: value
            for key, value in body.items()
            if key in keywords or (takes_extra and key not in positional)
        }
        return method(*args, **kwargs)

    def _list_query(self, request: _Request, *extra: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("order", "after", "before", *extra):
            if key in request.query:
                out[key] = request.query[key]
        if "limit" in request.query:
            raw = request.query["limit"]
            try:
                out["limit"] = int(raw)
            except ValueError:
                raise _Refusal(
                    400, f"Invalid 'limit': expected an integer, but got '{raw}' instead.", param="limit"
                ) from None
        return out

    def _maybe_stream(self, result: Any, stream: bool) -> Answer:
        if stream and not isinstance(result, dict):
            return Answer(200, events=iter(result))
        return Answer(200, result)

    def _multipart(self, request: _Request) -> dict[str, tuple[str | None, bytes]]:
        """The fields of a ``multipart/form-data`` body: name -> (filename, content)."""
        fields = _parse_multipart(request.content_type, request.body)
        if fields is None:
            raise _Refusal(400, "Expected a multipart/form-data request body with the fields 'file' and 'purpose'.")
        return fields

    # -- assistants --

    @_route("POST", r"/assistants")
    def _create_assistant(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.create_assistant, (), self._json(request)))

    @_route("GET", r"/assistants")
    def _list_assistants(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.list_assistants(**self._list_query(request)))

    @_route("GET", r"/assistants/{id}")
    def _retrieve_assistant(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_assistant(ids[0]))

    @_route("POST", r"/assistants/{id}")
    def _modify_assistant(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.modify_assistant, ids, self._json(request)))

    @_route("DELETE", r"/assistants/{id}")
    def _delete_assistant(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.delete_assistant(ids[0]))

    # -- files --

    @_route("POST", r"/files")
    def _upload_file(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        fields = self._multipart(request)
        if "file" not in fields:
            raise _Refusal(400, "Missing required parameter: 'file'.", param="file")
        if "purpose" not in fields:
            raise _Refusal(400, "Missing required parameter: 'purpose'.", param="purpose")
        filename, content = fields["file"]
        purpose = fields["purpose"][1].decode("utf-8", "replace")
        uploaded = self.sim.upload_file(filename=filename or "upload", content=content, purpose=purpose)
        self.uploads.append(uploaded)
        return Answer(200, uploaded)

    @_route("GET", r"/files")
    def _list_files(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        query = self._list_query(request, "purpose")
        query.pop("before", None)  # the files list pages forward only
        return Answer(200, self.sim.list_files(**query))

    @_route("GET", r"/files/{id}")
    def _retrieve_file(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_file(ids[0]))

    @_route("DELETE", r"/files/{id}")
    def _delete_file(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.delete_file(ids[0]))

    @_route("GET", r"/files/{id}/content")
    def _file_content(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.file_content(ids[0]), headers={"content-type": "application/octet-stream"})

    # -- vector stores --

    @_route("POST", r"/vector_stores")
    def _create_vector_store(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.create_vector_store, (), self._json(request)))

    @_route("GET", r"/vector_stores")
    def _list_vector_stores(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.list_vector_stores(**self._list_query(request)))

    @_route("GET", r"/vector_stores/{id}")
    def _retrieve_vector_store(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_vector_store(ids[0]))

    @_route("DELETE", r"/vector_stores/{id}")
    def _delete_vector_store(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.delete_vector_store(ids[0]))

    # -- threads --

    @_route("POST", r"/threads")
    def _create_thread(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.create_thread, (), self._json(request)))

    @_route("POST", r"/threads/runs")
    def _create_thread_and_run(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        body = self._json(request)
        body["stream"] = bool(body.get("stream"))
        return self._maybe_stream(self._call(self.sim.create_thread_and_run, (), body), body["stream"])

    @_route("GET", r"/threads/{id}")
    def _retrieve_thread(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_thread(ids[0]))

    @_route("POST", r"/threads/{id}")  # after /threads/runs, which this pattern would also match
    def _modify_thread(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.modify_thread, ids, self._json(request)))

    @_route("DELETE", r"/threads/{id}")
    def _delete_thread(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.delete_thread(ids[0]))

    # -- messages --

    @_route("POST", r"/threads/{id}/messages")
    def _create_message(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.create_message, ids, self._json(request)))

    @_route("GET", r"/threads/{id}/messages")
    def _list_messages(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.list_messages(ids[0], **self._list_query(request, "run_id")))

    @_route("GET", r"/threads/{id}/messages/{id}")
    def _retrieve_message(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_message(*ids))

    @_route("POST", r"/threads/{id}/messages/{id}")
    def _modify_message(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self._call(self.sim.modify_message, ids, self._json(request)))

    # -- runs --

    @_route("POST", r"/threads/{id}/runs")
    def _create_run(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        body = self._json(request)
        body["stream"] = bool(body.get("stream"))
        if _INCLUDE in request.query:  # the SDK sends include[] in the query, not the body
            body["include"] = [request.query[_INCLUDE]]
        return self._maybe_stream(self._call(self.sim.create_run, ids, body), body["stream"])

    @_route("GET", r"/threads/{id}/runs")
    def _list_runs(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.list_runs(ids[0], **self._list_query(request)))

    @_route("GET", r"/threads/{id}/runs/{id}")
    def _retrieve_run(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        if self.poll_interval:
            self.sim.advance(self.poll_interval)
        return Answer(200, self.sim.retrieve_run(*ids))

    @_route("POST", r"/threads/{id}/runs/{id}")
    def _modify_run(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        body = self._json(request)
        return Answer(200, self.sim.modify_run(*ids, metadata=body.get("metadata")))

    @_route("POST", r"/threads/{id}/runs/{id}/cancel")
    def _cancel_run(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.cancel_run(*ids))

    @_route("POST", r"/threads/{id}/runs/{id}/submit_tool_outputs")
    def _submit_tool_outputs(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        body = self._json(request)
        body["stream"] = bool(body.get("stream"))
        return self._maybe_stream(self._call(self.sim.submit_tool_outputs, ids, body), body["stream"])

    # -- run steps --

    @_route("GET", r"/threads/{id}/runs/{id}/steps")
    def _list_run_steps(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        include = request.query.get(_INCLUDE)
        return Answer(200, self.sim.list_run_steps(*ids, include=include, **self._list_query(request)))

    @_route("GET", r"/threads/{id}/runs/{id}/steps/{id}")
    def _retrieve_run_step(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        return Answer(200, self.sim.retrieve_run_step(*ids, include=request.query.get(_INCLUDE)))

    # -- responses (background mode): runfsm.sim._responses, on the same clock --
    # Each handler holds the simulator's lock, as every Simulator method does: threads
    # sharing one client see each request happen at once; a stream takes it per event.

    @_route("POST", r"/responses")
    def _create_response(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        body = self._json(request)
        with self.sim.clock.lock:
            return _response_answer(self._call(_responses_of(self.sim).create, (), body))

    @_route("GET", r"/responses/{id}")
    def _retrieve_response(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        with self.sim.clock.lock:
            backend = _responses_of(self.sim)
            if request.query.get("stream", "").lower() == "true":
                raw = request.query.get("starting_after")
                try:
                    after = None if raw is None else int(raw)
                except ValueError:
                    raise _Refusal(400, f"Invalid 'starting_after': expected an integer, but got '{raw}' instead.",
                                   param="starting_after") from None
                return _response_answer(backend.resume(ids[0], after))
            if self.poll_interval:
                self.sim.advance(self.poll_interval)
            return Answer(200, backend.retrieve(ids[0]))

    @_route("POST", r"/responses/{id}/cancel")
    def _cancel_response(self, request: _Request, ids: tuple[str, ...]) -> Answer:
        with self.sim.clock.lock:
            return Answer(200, _responses_of(self.sim).cancel(ids[0]))


def _responses_of(sim: Any) -> Any:
    from .sim._responses import responses_of  # loaded only when a client calls the Responses API

    return responses_of(sim)


def _response_answer(result: Any) -> Answer:
    if isinstance(result, dict):
        return Answer(200, result)
    return Answer(200, events=((event["type"], event) for event in result))


_DISPOSITION_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)="((?:[^"\\]|\\.)*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")  # a backslash-escaped character in a quoted string (no percent decoding, like most servers)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]] | None:
    """Split a ``multipart/form-data`` body exactly (binary content is kept byte for byte).

    Returns ``None`` when the body is not multipart or has no boundary.
    """
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    match = re.search(r'boundary="?([^";]+)"?', params)
    if match is None:
        return None
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        params_found = {key.lower(): _QUOTED_PAIR.sub(r"\1", value) for key, value in _DISPOSITION_PARAM.findall(disposition)}
        if "name" in params_found:
            fields[params_found["name"]] = (params_found.get("filename"), content)
    return fields


@functools.lru_cache(maxsize=64)
def _signature(function: Callable[..., Any]) -> tuple[tuple[str, ...], frozenset[str], frozenset[str], bool]:
    """(required keyword-only names, keyword-only names, other names, takes ``**extra``) of a function."""
    params = inspect.signature(function).parameters.values()
    keyword = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return (
        tuple(p.name for p in keyword if p.default is inspect.Parameter.empty),
        frozenset(p.name for p in keyword),
        frozenset(p.name for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY),
        any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params),
    )


def _sim_api_error() -> type[BaseException]:
    from .sim import APIError

    return APIError
