"""The in-memory Assistants backend: the API's operations, its refusals and its wire shapes.

:class:`Simulator` answers like the API: wire-shaped dicts, or :class:`APIError`
with the real HTTP status and message (refusals from ``runfsm.spec.REFUSAL_ROWS``;
404 for unknown ids; 400 for bad parameters).  Runs progress only when the clock
moves (``sim.advance(seconds)``) or while a stream is read.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from .. import spec
from ..errors import ClientStuck
from ..lifecycle import profile as get_profile
from ._clock import Clock
from ._config import SimConfig
from ._engine import Engine
from ._errors import APIError, ScriptError, SimError, describe
from ._ids import IdMaker
from ._liveness import Liveness, Watch
from ._params import check_attachment_tools, check_include, check_json, check_number, check_run_option
from ._records import Assistant, File, Message, Run, Thread, VectorStore
from ._script import (
    Action,
    CallFunctions,
    Script,
    check_script,
    pauses,
    step_action,
)
from ._stream import EventStream, Sink, StreamEvent
from ._wire import RUN_OPTION_DEFAULTS, Wire, list_page

__all__ = ["Simulator"]

Json = dict[str, Any]
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_ROLES = ("user", "assistant")
_ORDERS = ("asc", "desc")
_RANKING_ORDER = ("ranker", "score_threshold")
_FILES_PAGE = 10_000  # the files list's default and largest page (API reference)
_METADATA_MAX = (16, 64, 512)  # keys, key length, value length


def _bad(param: str, message: str) -> APIError:
    return APIError(400, message, param=param)


def _not_found(kind: str, obj_id: object) -> APIError:
    return APIError(404, f"No {kind} found with id '{obj_id}'.")


def _locked(method: F) -> F:
    """Hold the clock's lock for the whole call: to other threads each call happens at once or not yet."""

    @functools.wraps(method)
    def call(self: Simulator, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return cast(F, call)


def _check_metadata(metadata: object, param: str = "metadata") -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise _bad(param, f"Invalid type for '{param}': expected an object, got {type(metadata).__name__}.")
    n_keys, key_len, value_len = _METADATA_MAX
    if len(metadata) > n_keys:
        raise _bad(param, f"Invalid '{param}': at most {n_keys} keys, got {len(metadata)}.")
    out: dict[str, str] = {}
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise _bad(param, f"Invalid '{param}': keys and values must be strings, got {describe(k)}: {describe(v)}.")
        if len(k) > key_len or len(v) > value_len:
            raise _bad(param, f"Invalid '{param}': keys up to {key_len} and values up to {value_len} characters.")
        out[k] = v
    return out


class Simulator:
    """An in-memory Assistants backend whose runs move only along the spec.

    >>> from runfsm.sim import Simulator, Clock, Say
    >>> sim = Simulator(clock=Clock(start=1_700_000_000), seed=0, script=[Say("Hello!")])
    >>> asst = sim.create_assistant(model="gpt-4o")
    >>> thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    >>> run = sim.create_run(thread["id"], assistant_id=asst["id"])
    >>> run["status"], sim.advance(5) > 0, sim.retrieve_run(thread["id"], run["id"])["status"]
    ('queued', True, 'completed')
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        config: SimConfig | None = None,
        script: Script | None = None,
        version: str = spec.DEFAULT_VERSION,
        liveness: Liveness | None = None,
    ) -> None:
        self.clock = clock if clock is not None else Clock()
        if not isinstance(self.clock, Clock):
            raise TypeError(f"clock must be a runfsm.sim.Clock, got {type(self.clock).__name__}")
        self._lock = self.clock.lock  # one lock per clock: its scheduled actions touch every simulator on it
        self.config = config if config is not None else SimConfig()
        if not isinstance(self.config, SimConfig):
            raise TypeError(f"config must be a SimConfig, got {type(self.config).__name__}")
        self.version = version
        self.profile = get_profile(version)
        self._file_tools = tuple(k for k in self.profile.tool_call_types if k != spec.PAUSING_TOOL_CALL_TYPE)
        self._ids = IdMaker(random.Random(seed))
        self._wire = Wire(self.profile, keep_deadline_when_ended=self.config.keep_deadline_when_ended)
        self._assistants: dict[str, Assistant] = {}
        self._files: dict[str, File] = {}
        self._vector_stores: dict[str, VectorStore] = {}
        self._threads: dict[str, Thread] = {}
        self._runs: dict[str, Run] = {}
        self._messages: dict[str, Message] = {}
        self._engine = Engine(self.clock, self.config, self.profile, self._ids, self._wire, self._messages,
                              self._files)
        if liveness is not None and not isinstance(liveness, Liveness):
            raise TypeError(f"liveness must be a runfsm.sim.Liveness, got {type(liveness).__name__}")
        self._watch = Watch(liveness if liveness is not None else Liveness(), self._engine)
        self._streams = 0
        self.trace: list[Any] = []
        """Every run, step and message (and list page) returned, and every stream event yielded, in order."""
        self._default_script: Script | None = check_script(script) if script is not None else None
        self._scripts_by_id: dict[str, Script] = {}
        self._scripts_by_name: dict[str, Script] = {}

    # -- configuration -------------------------------------------------------------

    @_locked
    def set_script(self, script: Script, *, assistant_id: str | None = None, assistant_name: str | None = None) -> None:
        """Choose what the model does in runs of one assistant (by id or name), or by default.

        A run uses the script set for its assistant's id, else for its assistant's
        name, else the default (the ``script`` given to the constructor or set here
        with neither keyword).
        """
        checked = check_script(script)
        if assistant_id is not None and assistant_name is not None:
            raise ScriptError("set_script: give assistant_id or assistant_name, not both")
        if assistant_id is not None:
            self._scripts_by_id[assistant_id] = checked
        elif assistant_name is not None:
            self._scripts_by_name[assistant_name] = checked
        else:
            self._default_script = checked

    @property
    def stuck(self) -> ClientStuck | None:
        """The :class:`~runfsm.errors.ClientStuck` raised to a client that would never stop, if any.

        Once set, every read raises it again (see :class:`~runfsm.sim.Liveness`).
        """
        return self._watch.stuck

    @_locked
    def advance(self, seconds: float) -> int:
        """Move the clock forward, running what falls due (same as ``sim.clock.advance``)."""
        return self.clock.advance(seconds)

    def _out(self, obj: T) -> T:
        if self.config.trace:
            self.trace.append(obj)
        return obj

    @_locked
    def export_jsonl(self, target: str | Path | IO[str]) -> int:
        """Write the trace as JSON Lines (UTF-8) to a path or text file; returns the number of lines."""
        lines = []
        for i, r in enumerate(self.trace):
            try:  # allow_nan=False: a bare NaN is not JSON
                lines.append(json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")
            except (TypeError, ValueError, RecursionError) as exc:
                raise SimError(f"export_jsonl: trace record {i} is not JSON: {describe(str(exc), 200)}") from None
        if isinstance(target, (str, Path)):
            with open(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.writelines(lines)
        elif callable(getattr(target, "writelines", None)):
            target.writelines(lines)
        else:
            raise TypeError(f"export_jsonl: expected a path or a text file, got {type(target).__name__}")
        return len(lines)

    @_locked
    def timeline(self, run_id: str) -> list[tuple[float, str]]:
        """Every status the run has been in, with the simulated time it entered it."""
        run = self._any_run(run_id)
        h = run.history
        return [(h[i], h[i + 1]) for i in range(0, len(h), 2)]

    # -- lookups -----------------------------------------------------------------------

    def _refuse(self, operation: str, **facts: Any) -> None:
        """Raise the API's refusal of ``operation`` when the spec's refusal rows say it applies."""
        hit = self.profile.refusal(operation, **facts)
        if hit is not None:
            raise APIError(400, hit[1])

    def _thread(self, thread_id: object) -> Thread:
        t = self._threads.get(thread_id) if isinstance(thread_id, str) else None
        if t is None:
            raise _not_found("thread", thread_id)
        return t

    def _run(self, thread_id: object, run_id: object) -> Run:
        t = self._thread(thread_id)
        r = self._runs.get(run_id) if isinstance(run_id, str) else None
        if r is None or r.thread is not t:
            raise _not_found("run", run_id)
        return r

    def _any_run(self, run_id: object) -> Run:
        r = self._runs.get(run_id) if isinstance(run_id, str) else None
        if r is None:
            raise _not_found("run", run_id)
        return r

    def _assistant(self, assistant_id: object) -> Assistant:
        a = self._assistants.get(assistant_id) if isinstance(assistant_id, str) else None
        if a is None:
            raise _not_found("assistant", assistant_id)
        return a

    # -- assistants and files -------------------------------------------------------------

    def _check_tools(self, tools: object, param: str = "tools") -> list[Json]:
        if tools is None:
            return []
        if not isinstance(tools, list):
            raise _bad(param, f"Invalid type for '{param}': expected an array, got {type(tools).__name__}.")
        kinds = self.profile.tool_call_types
        for i, t in enumerate(tools):
            kind = t.get("type") if isinstance(t, dict) else None
            if kind not in kinds:
                raise _bad(f"{param}[{i}].type",
                           f"Invalid value for '{param}[{i}].type': {describe(kind)}; expected one of {', '.join(kinds)}.")
            if kind == spec.PAUSING_TOOL_CALL_TYPE:
                fn = t.get("function")
                if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
                    raise _bad(f"{param}[{i}].function.name", f"Missing required parameter: '{param}[{i}].function.name'.")
        check_json(tools, param)
        return [self._normal_tool(t) for t in tools]

    def _normal_tool(self, tool: Json) -> Json:
        """A tool definition as the API echoes it back (wire): a function gets ``strict: false`` when not
        given, a file_search tool's ``ranking_options`` get ``hybrid_search: null``."""
        kind = tool["type"]
        found = tool.get(kind)
        body: Json = found if isinstance(found, dict) else {}
        if kind == spec.PAUSING_TOOL_CALL_TYPE:
            return {**tool, kind: {**body, "strict": body.get("strict", False)}}
        if kind == self._wire.tool_type["file_search"] and isinstance(body.get("ranking_options"), dict):
            given = body["ranking_options"]
            options = {k: given[k] for k in _RANKING_ORDER if k in given}  # the order recorded answers have
            options.update({k: v for k, v in given.items() if k not in options})
            options["hybrid_search"] = given.get("hybrid_search")
            return {**tool, kind: {**body, "ranking_options": options}}
        return dict(tool)

    def _tool_resources(self, tools: Sequence[Json], resources: Json) -> Json:
        """``tool_resources`` (already checked) as the API echoes it back (wire): one entry per tool that
        takes files, empty when none was given (``code_interpreter: {file_ids: []}``); ``{}`` when no tool
        takes files."""
        out = dict(resources)
        code = self._wire.tool_type["code_interpreter"]
        if any(t.get("type") == code for t in tools):
            entry: Json = out[code] if isinstance(out.get(code), dict) else {}
            out[code] = {**entry, "file_ids": list(entry.get("file_ids") or [])}
        return out

    def _search_resources(self, given: object, param: str) -> Json:
        """Given ``tool_resources`` checked (an object, plain JSON), with the file_search ``vector_stores``
        helper replaced by the ``vector_store_ids`` of the stores it creates (wire); everything else kept as
        given (inferred).  Checked before anything is created, so a refused request creates nothing."""
        if given is None:
            return {}
        if not isinstance(given, dict):
            raise _bad(param, f"Invalid type for '{param}': expected an object.")
        check_json(given, param)
        out: Json = dict(given)
        kind = self._wire.tool_type["file_search"]
        entry = out.get(kind)
        if entry is None:
            return out
        p = f"{param}.{kind}"
        if not isinstance(entry, dict):
            raise _bad(p, f"Invalid type for '{p}': expected an object.")
        ids, helpers = entry.get("vector_store_ids") or [], entry.get("vector_stores") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise _bad(f"{p}.vector_store_ids", f"Invalid type for '{p}.vector_store_ids': expected an array of strings.")
        for i in ids:
            self._vector_store(i)
        if not isinstance(helpers, list) or not all(isinstance(h, dict) for h in helpers):
            raise _bad(f"{p}.vector_stores", f"Invalid type for '{p}.vector_stores': expected an array of objects.")
        specs = [self._vector_store_spec(h.get("file_ids"), None, h.get("metadata"), f"{p}.vector_stores[{n}]")
                 for n, h in enumerate(helpers)]
        made = [self._new_vector_store(*s).id for s in specs]
        out[kind] = {**{k: v for k, v in entry.items() if k != "vector_stores"}, "vector_store_ids": [*ids, *made]}
        return out

    # -- vector stores ------------------------------------------------------------------------

    def _vector_store(self, store_id: object) -> VectorStore:
        v = self._vector_stores.get(store_id) if isinstance(store_id, str) else None
        if v is None:
            raise _not_found("vector store", store_id)
        return v

    def _vector_store_spec(self, file_ids: object, name: object, metadata: object,
                           param: str = "") -> tuple[tuple[str, ...], str | None, dict[str, str]]:
        p = f"{param}." if param else ""
        if file_ids is not None and (not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids)):
            raise _bad(f"{p}file_ids", f"Invalid type for '{p}file_ids': expected an array of strings.")
        for f in file_ids or ():
            self._file(f)
        if name is not None and not isinstance(name, str):
            raise _bad(f"{p}name", f"Invalid type for '{p}name': expected a string, got {type(name).__name__}.")
        return tuple(file_ids or ()), name, _check_metadata(metadata, f"{p}metadata")

    def _new_vector_store(self, file_ids: tuple[str, ...], name: str | None, metadata: dict[str, str]) -> VectorStore:
        v = VectorStore(self._ids("vector_store"), self.clock.timestamp, name, file_ids, metadata)
        self._vector_stores[v.id] = v
        return v

    @_locked
    def create_vector_store(self, *, file_ids: list[str] | None = None, name: str | None = None,
                            metadata: Mapping[str, str] | None = None, **extra: Any) -> Json:
        """Create a vector store of uploaded files (indexed at once: status ``completed``)."""
        v = self._new_vector_store(*self._vector_store_spec(file_ids, name, metadata))
        return self._wire.vector_store(v, self._files)

    @_locked
    def retrieve_vector_store(self, vector_store_id: str) -> Json:
        self._watch.read()
        return self._wire.vector_store(self._vector_store(vector_store_id), self._files)

    @_locked
    def list_vector_stores(self, *, order: str = "desc", limit: int = 20, after: str | None = None,
                           before: str | None = None) -> Json:
        self._watch.read()
        return self._page(list(self._vector_stores.values()), lambda v: self._wire.vector_store(v, self._files),
                          lambda v: v.id, order, limit, after, before)

    @_locked
    def delete_vector_store(self, vector_store_id: str) -> Json:
        """Delete a vector store (assistants and threads that name it keep the id: inferred)."""
        v = self._vector_store(vector_store_id)
        del self._vector_stores[v.id]
        return {"id": v.id, "object": "vector_store.deleted", "deleted": True}

    @_locked
    def create_assistant(
        self,
        *,
        model: str,
        name: str | None = None,
        instructions: str | None = None,
        tools: list[Json] | None = None,
        metadata: Mapping[str, str] | None = None,
        description: str | None = None,
        tool_resources: Json | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        response_format: object = None,
        reasoning_effort: str | None = None,
        **extra: Any,
    ) -> Json:
        """Create an assistant (``extra`` body fields are ignored, like unknown JSON keys)."""
        if not isinstance(model, str) or not model:
            raise _bad("model", "Missing required parameter: 'model'.")
        fields = {"name": name, "instructions": instructions, "description": description, "tools": tools,
                  "tool_resources": tool_resources, "metadata": metadata, "temperature": temperature,
                  "top_p": top_p, "response_format": response_format, "reasoning_effort": reasoning_effort}
        a = Assistant("", self.clock.timestamp, model)
        self._apply_assistant(a, fields)
        a.id = self._ids("assistant")  # drawn last: a refused request uses no id
        self._assistants[a.id] = a
        return self._wire.assistant(a)

    def _apply_assistant(self, a: Assistant, fields: Mapping[str, Any]) -> None:
        """Check every given field (``None``: leave as it is), then set them all: all or nothing."""
        changes: dict[str, Any] = {}
        if fields.get("model") is not None:
            if not isinstance(fields["model"], str) or not fields["model"]:
                raise _bad("model", f"Invalid value for 'model': {describe(fields['model'])}.")
            changes["model"] = fields["model"]
        for param in ("name", "instructions", "description"):
            value = fields.get(param)
            if value is not None and not isinstance(value, str):
                raise _bad(param, f"Invalid type for '{param}': expected a string, got {type(value).__name__}.")
            if value is not None:
                changes[param] = value
        for param in ("temperature", "top_p"):
            if fields.get(param) is not None:
                changes[param] = check_number(param, fields[param])
        for param in ("response_format", "reasoning_effort"):
            if fields.get(param) is not None:
                changes[param] = check_run_option(param, fields[param], self.profile.tool_call_types)
        if fields.get("metadata") is not None:
            changes["metadata"] = _check_metadata(fields["metadata"])
        tools = self._check_tools(fields["tools"]) if fields.get("tools") is not None else a.tools
        given = fields.get("tool_resources")
        # Checked (and stores made) last: nothing after it can refuse the request.
        resources = self._search_resources(given, "tool_resources") if given is not None else a.tool_resources
        changes["tools"] = tools
        changes["tool_resources"] = self._tool_resources(tools, resources)
        for key, value in changes.items():
            setattr(a, key, value)

    @_locked
    def modify_assistant(self, assistant_id: str, **fields: Any) -> Json:
        """Change an assistant's model, name, instructions, tools, tool_resources, metadata, ... (fields not given stay)."""
        a = self._assistant(assistant_id)
        self._apply_assistant(a, fields)
        return self._wire.assistant(a)

    @_locked
    def list_assistants(self, *, order: str = "desc", limit: int = 20, after: str | None = None,
                        before: str | None = None) -> Json:
        """List the assistants (newest first by default), 20 a page."""
        self._watch.read()
        return self._page(list(self._assistants.values()), self._wire.assistant, lambda a: a.id,
                          order, limit, after, before)

    @_locked
    def delete_assistant(self, assistant_id: str) -> Json:
        """Delete an assistant.  Runs it already started go on (they carry their own model, instructions and
        tools); new runs naming it answer 404.  Nothing documents a delete while a run is active: inferred."""
        a = self._assistant(assistant_id)
        del self._assistants[a.id]
        self._scripts_by_id.pop(a.id, None)
        return {"id": a.id, "object": "assistant.deleted", "deleted": True}

    @_locked
    def retrieve_assistant(self, assistant_id: str) -> Json:
        self._watch.read()
        return self._wire.assistant(self._assistant(assistant_id))

    @_locked
    def upload_file(self, *, filename: str, content: bytes, purpose: str) -> Json:
        """Keep a file in memory (for message attachments and citations)."""
        if not isinstance(filename, str) or not filename:
            raise _bad("file", "Missing required parameter: 'file' (a file name).")
        if not isinstance(content, (bytes, bytearray)):
            raise _bad("file", f"Invalid type for 'file': expected bytes, got {type(content).__name__}.")
        if not isinstance(purpose, str) or not purpose:
            raise _bad("purpose", "Missing required parameter: 'purpose'.")
        f = File(self._ids("file"), self.clock.timestamp, filename, purpose, bytes(content))
        self._files[f.id] = f
        return self._wire.file(f)

    def _file(self, file_id: object) -> File:
        f = self._files.get(file_id) if isinstance(file_id, str) else None
        if f is None:
            raise _not_found("file", file_id)
        return f

    @_locked
    def retrieve_file(self, file_id: str) -> Json:
        self._watch.read()
        return self._wire.file(self._file(file_id))

    @_locked
    def list_files(self, *, purpose: str | None = None, order: str = "desc", limit: int = _FILES_PAGE,
                   after: str | None = None) -> Json:
        """List the uploaded files (newest first by default; up to 10,000 a page, as the API)."""
        self._watch.read()
        files: Sequence[File] = list(self._files.values())
        if purpose is not None:
            files = [f for f in files if f.purpose == purpose]
        return self._page(files, self._wire.file, lambda f: f.id, order, limit, after, None, max_limit=_FILES_PAGE)

    @_locked
    def delete_file(self, file_id: str) -> Json:
        """Delete an uploaded file (messages that cite or attach it keep its id)."""
        f = self._file(file_id)
        del self._files[f.id]
        return {"id": f.id, "object": "file", "deleted": True}

    @_locked
    def file_content(self, file_id: str) -> bytes:
        """The bytes of an uploaded file."""
        self._watch.read()
        return self._file(file_id).content

    # -- threads and messages ---------------------------------------------------------------

    def _new_thread(self, messages: object, metadata: object, tool_resources: object) -> Thread:
        if messages is not None and not isinstance(messages, list):
            raise _bad("messages", f"Invalid type for 'messages': expected an array, got {type(messages).__name__}.")
        meta = _check_metadata(metadata)
        specs = [self._message_spec(m, f"messages[{i}]") for i, m in enumerate(messages or [])]
        resources = self._search_resources(tool_resources, "tool_resources")
        t = Thread(self._ids("thread"), self.clock.timestamp, meta, resources)
        self._threads[t.id] = t
        for role, parts, attachments, meta_m in specs:
            self._add_message(t, role, parts, attachments, meta_m)
        return t

    @_locked
    def create_thread(self, *, messages: list[Json] | None = None, metadata: Mapping[str, str] | None = None,
                      tool_resources: Json | None = None, **extra: Any) -> Json:
        """Create a thread, optionally with initial messages (``{"role", "content", ...}``)."""
        return self._wire.thread(self._new_thread(messages, metadata, tool_resources))

    @_locked
    def retrieve_thread(self, thread_id: str) -> Json:
        self._watch.read()
        return self._wire.thread(self._thread(thread_id))

    @_locked
    def modify_thread(self, thread_id: str, *, metadata: Mapping[str, str] | None = None,
                      tool_resources: Json | None = None, **extra: Any) -> Json:
        """Replace a thread's metadata and/or tool_resources (``None`` leaves it as it is)."""
        t = self._thread(thread_id)
        meta = _check_metadata(metadata) if metadata is not None else t.metadata
        if tool_resources is not None:
            t.tool_resources = self._search_resources(tool_resources, "tool_resources")
        t.metadata = meta
        return self._wire.thread(t)

    @_locked
    def delete_thread(self, thread_id: str) -> Json:
        """Delete a thread, its messages and runs (an active run stops where it is)."""
        t = self._thread(thread_id)
        del self._threads[t.id]
        for m in t.messages:
            self._messages.pop(m.id, None)
        for r in t.runs:
            r.epoch += 1
            r.sink = None
            self._runs.pop(r.id, None)
        if t.active_run is not None:
            self._engine.ended(t.active_run)
        t.active_run = None
        return {"id": t.id, "object": "thread.deleted", "deleted": True}

    def _message_spec(self, m: object, param: str) -> tuple[str, list[Json], list[Json], dict[str, str]]:
        if not isinstance(m, Mapping):
            raise _bad(param, f"Invalid type for '{param}': expected an object.")
        return self._message_parts(m.get("role"), m.get("content"), m.get("attachments"), m.get("metadata"), param)

    def _message_parts(self, role: object, content: object, attachments: object, metadata: object,
                       param: str = "") -> tuple[str, list[Json], list[Json], dict[str, str]]:
        p = f"{param}." if param else ""
        if role not in _ROLES:
            raise _bad(f"{p}role", f"Invalid value for '{p}role': {describe(role)}; expected one of {', '.join(_ROLES)}.")
        parts: list[Json] = []
        if isinstance(content, str):
            parts.append({"type": "text", "text": {"value": content, "annotations": []}})
        elif isinstance(content, list) and content:
            for i, part in enumerate(content):
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text" and isinstance(part.get("text"), str):
                    parts.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
                elif kind in ("image_file", "image_url") and isinstance(part.get(kind), dict):
                    check_json(part[kind], f"{p}content[{i}].{kind}")
                    parts.append({"type": kind, kind: dict(part[kind])})
                else:
                    raise _bad(f"{p}content[{i}]", f"Invalid content part '{p}content[{i}]': {describe(part)}.")
        else:
            raise _bad(f"{p}content", f"Invalid '{p}content': expected a string or a non-empty array of content parts.")
        atts: list[Json] = []
        if attachments is not None:
            if not isinstance(attachments, list):
                raise _bad(f"{p}attachments", f"Invalid type for '{p}attachments': expected an array.")
            for i, att in enumerate(attachments):
                fid = att.get("file_id") if isinstance(att, dict) else None
                if not isinstance(fid, str):
                    raise _bad(f"{p}attachments[{i}].file_id", f"Missing required parameter: '{p}attachments[{i}].file_id'.")
                if fid not in self._files:
                    raise _not_found("file", fid)
                tools = check_attachment_tools(att.get("tools"), f"{p}attachments[{i}].tools", self._file_tools)
                atts.append({"file_id": fid, "tools": tools})
        return role, parts, atts, _check_metadata(metadata, f"{p}metadata")

    def _add_message(self, t: Thread, role: str, parts: list[Json], attachments: list[Json],
                     metadata: dict[str, str]) -> Message:
        m = Message(self._ids("message"), t, role, self.clock.timestamp, self.profile.message.initial)
        if len(parts) == 1 and parts[0]["type"] == "text":
            m.text = parts[0]["text"]["value"]  # rendered like an assistant message, fully written
        else:
            m.parts = parts
        if attachments:
            m.attachments = attachments
        m.metadata = metadata
        self._engine.complete_client_message(m)
        t.messages.append(m)
        self._messages[m.id] = m
        return m

    @_locked
    def create_message(self, thread_id: str, *, role: str, content: str | list[Json],
                       attachments: list[Json] | None = None, metadata: Mapping[str, str] | None = None,
                       **extra: Any) -> Json:
        """Add a message; refused (400) while the thread has an active run."""
        t = self._thread(thread_id)
        self._refuse("add_message", thread_id=t.id, active_run_id=t.active_run.id if t.active_run else None)
        role_, parts, atts, meta = self._message_parts(role, content, attachments, metadata)
        m = self._add_message(t, role_, parts, atts, meta)
        return self._out(self._wire.message(m, self.clock.now))

    def _message(self, thread_id: object, message_id: object) -> Message:
        t = self._thread(thread_id)
        m = self._messages.get(message_id) if isinstance(message_id, str) else None
        if m is None or m.thread is not t:
            raise _not_found("message", message_id)
        return m

    @_locked
    def retrieve_message(self, thread_id: str, message_id: str) -> Json:
        self._watch.read()
        return self._out(self._wire.message(self._message(thread_id, message_id), self.clock.now))

    @_locked
    def modify_message(self, thread_id: str, message_id: str, *, metadata: Mapping[str, str] | None = None,
                       **extra: Any) -> Json:
        """Replace a message's metadata (``None`` leaves it as it is)."""
        m = self._message(thread_id, message_id)
        if metadata is not None:
            m.metadata = _check_metadata(metadata)
        return self._out(self._wire.message(m, self.clock.now))

    def _page(self, items: Sequence[T], render: Callable[[T], Json], key: Callable[[T], str], order: object,
              limit: object, after: object, before: object, *, max_limit: int = 100) -> Json:
        if order not in _ORDERS:
            raise _bad("order", f"Invalid value for 'order': {describe(order)}; expected 'asc' or 'desc'.")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
            raise _bad("limit", f"Invalid value for 'limit': {describe(limit)}; expected an integer from 1 to "
                                f"{max_limit:,}.")
        seq = list(items) if order == "asc" else list(reversed(items))
        ids = [key(x) for x in seq]
        lo, hi = 0, len(seq)
        for param, cursor in (("after", after), ("before", before)):
            if cursor is None:
                continue
            if cursor not in ids:
                raise _bad(param, f"Invalid value for '{param}': {describe(cursor)} is not an id in this list.")
            if param == "after":
                lo = max(lo, ids.index(cursor) + 1)
            else:
                hi = min(hi, ids.index(cursor))
        if before is not None and after is None:
            start = max(lo, hi - limit)  # the page just before the cursor
            page, more = seq[start:hi], start > lo
        else:
            page, more = seq[lo:min(hi, lo + limit)], lo + limit < hi
        return list_page([render(x) for x in page], more)

    @_locked
    def list_messages(self, thread_id: str, *, order: str = "desc", limit: int = 20, after: str | None = None,
                      before: str | None = None, run_id: str | None = None) -> Json:
        """List a thread's messages (newest first by default), 20 a page."""
        self._watch.read()
        t = self._thread(thread_id)
        items: Sequence[Message] = t.messages
        if run_id is not None:
            if not isinstance(run_id, str):
                raise _bad("run_id", f"Invalid type for 'run_id': expected a string, got {type(run_id).__name__}.")
            items = [m for m in t.messages if m.run is not None and m.run.id == run_id]
        now = self.clock.now
        return self._out(self._page(items, lambda m: self._wire.message(m, now), lambda m: m.id,
                                    order, limit, after, before))

    # -- runs -------------------------------------------------------------------------------------

    def _script_for(self, a: Assistant) -> Script:
        script = self._scripts_by_id.get(a.id)
        if script is None and a.name is not None:
            script = self._scripts_by_name.get(a.name)
        if script is None:
            script = self._default_script
        if script is None:
            raise ScriptError(
                f"no script for assistant {a.id} ({a.name!r}): call sim.set_script(script, assistant_id=...), "
                "set_script(script, assistant_name=...), or give Simulator(script=...)"
            )
        return script

    def _check_script_tools(self, run: Run) -> None:
        """Catch a sequence script that uses a tool the run does not have, or an end it has no edge for, before the run exists."""
        if not isinstance(run.script, tuple):
            return
        tools = [t for t in run.tools if isinstance(t, dict)]
        kinds = {t.get("type") for t in tools}
        names = {t["function"].get("name") for t in tools
                 if t.get("type") == spec.PAUSING_TOOL_CALL_TYPE and isinstance(t.get("function"), dict)}
        tool_type = self._wire.tool_type
        for i, action in enumerate(cast("tuple[Action, ...]", run.script)):
            ending = self._engine.end_problem(action)
            if ending:
                raise ScriptError(f"script action {i}: {ending}")
            a = step_action(action)
            problem = None
            if pauses(a):  # functions are checked by name
                missing = [c.name for c in cast("CallFunctions", a).calls if c.name not in names]
                if missing:
                    problem = f"calls function {missing[0]!r}, which is not among the run's tools"
            elif a.TOOL and tool_type[a.TOOL] not in kinds:
                problem = f"uses {tool_type[a.TOOL]}, which is not among the run's tools"
            if problem:
                known = ", ".join(sorted(str(k) for k in kinds | names)) or "none"
                raise ScriptError(f"script action {i} ({type(a).__name__}) {problem} (tools: {known})")

    def _run_options(self, a: Assistant, params: Mapping[str, Any]) -> Json | None:
        given = {k: params[k] for k in RUN_OPTION_DEFAULTS if params.get(k) is not None}
        for k, v in given.items():
            check_run_option(k, v, self.profile.tool_call_types)
        inherited = {"temperature": a.temperature, "top_p": a.top_p, "response_format": a.response_format,
                     "reasoning_effort": a.reasoning_effort}
        opts = {**RUN_OPTION_DEFAULTS, **inherited, **given}
        return None if opts == RUN_OPTION_DEFAULTS else opts

    @contextmanager
    def _refusable(self) -> Iterator[None]:
        """A request that may still be refused after drawing ids or a stream number, or creating vector stores
        (a thread's ``vector_stores`` helper): a refusal gives them back."""
        streams = self._streams
        stores = len(self._vector_stores)
        with self._ids.undoable():
            try:
                yield
            except BaseException:
                self._streams = streams
                for store_id in list(self._vector_stores)[stores:]:  # (dicts keep insertion order)
                    del self._vector_stores[store_id]
                raise

    def _sink(self, stream: bool) -> Sink | None:
        if not stream:
            return None
        self._streams += 1
        return Sink(self._streams, self.trace if self.config.trace else None)

    def _create_run(self, t: Thread, assistant_id: object, params: Mapping[str, Any],
                    sink: Sink | None, prelude: tuple[StreamEvent, ...] = ()) -> Run:
        a = self._assistant(assistant_id)
        self._refuse("create_run", thread_id=t.id, active_run_id=t.active_run.id if t.active_run else None)
        include_text = check_include(params.get("include"))
        model = params.get("model")
        if model is None:
            model = a.model
        elif not isinstance(model, str) or not model:  # an empty model is refused, not replaced
            raise _bad("model", f"Invalid value for 'model': {describe(model)}; expected a model name.")
        instructions = params.get("instructions")
        if instructions is None:
            instructions = a.instructions
        extra_instructions = params.get("additional_instructions")
        for param, value in (("model", model), ("instructions", instructions), ("additional_instructions", extra_instructions)):
            if value is not None and not isinstance(value, str):
                raise _bad(param, f"Invalid type for '{param}': expected a string, got {type(value).__name__}.")
        if extra_instructions:
            instructions = f"{instructions}\n{extra_instructions}" if instructions else extra_instructions
        tools = self._check_tools(params["tools"]) if params.get("tools") is not None else a.tools
        metadata = _check_metadata(params.get("metadata"))
        options = self._run_options(a, params)
        extra_messages = params.get("additional_messages")
        if extra_messages is not None and not isinstance(extra_messages, list):
            raise _bad("additional_messages", "Invalid type for 'additional_messages': expected an array.")
        specs = [self._message_spec(m, f"additional_messages[{i}]") for i, m in enumerate(extra_messages or [])]
        run = self._engine.new_run(t, a.id, self._script_for(a))
        run.model = model
        run.instructions = instructions
        run.tools = tools
        run.tool_resources = a.tool_resources
        run.include_content = include_text
        run.metadata = metadata
        run.options = options
        self._check_script_tools(run)
        added = [self._add_message(t, *s) for s in specs]
        try:
            self._engine.check_queue_fault(run, self._engine.peek(run))
        except Exception as exc:
            for m in added:  # the run is refused: leave the thread as it was
                t.messages.remove(m)
                del self._messages[m.id]
            if isinstance(exc, ScriptError):
                raise ScriptError(f"{exc} (the run was not created)", action=exc.action) from exc.__cause__
            raise
        self._runs[run.id] = run
        if sink is not None:
            for event in prelude:  # e.g. thread.created, once nothing can refuse the run any more
                sink.append(event)
        self._engine.start_run(run, sink)
        return run

    def _result(self, run: Run, sink: Sink | None) -> Json | EventStream:
        if sink is not None:
            return EventStream(self.clock, run, sink)
        return self._out(self._wire.run(run))

    @_locked
    def create_run(self, thread_id: str, *, assistant_id: str, stream: bool = False,
                   **params: Any) -> Json | EventStream:
        """Create a run (``queued``); with ``stream=True``, an iterator of ``(event, data)`` pairs."""
        t = self._thread(thread_id)
        self._assistant(assistant_id)
        with self._refusable():
            sink = self._sink(stream)
            return self._result(self._create_run(t, assistant_id, params, sink), sink)

    @_locked
    def create_thread_and_run(self, *, assistant_id: str, thread: Mapping[str, Any] | None = None,
                              stream: bool = False, **params: Any) -> Json | EventStream:
        """Create a thread (``thread={"messages": [...], ...}``) and a run on it."""
        self._assistant(assistant_id)
        if thread is not None and not isinstance(thread, Mapping):
            raise _bad("thread", "Invalid type for 'thread': expected an object.")
        body = thread or {}
        with self._refusable():
            t = self._new_thread(body.get("messages"), body.get("metadata"), body.get("tool_resources"))
            sink = self._sink(stream)
            prelude = ((self._engine.names.thread_created, self._wire.thread(t)),) if stream else ()
            try:
                run = self._create_run(t, assistant_id, params, sink, prelude)
            except Exception:
                self.delete_thread(t.id)
                raise
            return self._result(run, sink)

    @_locked
    def retrieve_run(self, thread_id: str, run_id: str) -> Json:
        run = self._run(thread_id, run_id)
        self._watch.retrieved(run)
        return self._out(self._wire.run(run))

    @_locked
    def list_runs(self, thread_id: str, *, order: str = "desc", limit: int = 20, after: str | None = None,
                  before: str | None = None) -> Json:
        self._watch.read()
        t = self._thread(thread_id)
        return self._out(self._page(t.runs, self._wire.run, lambda r: r.id, order, limit, after, before))

    @_locked
    def modify_run(self, thread_id: str, run_id: str, *, metadata: Mapping[str, str] | None = None) -> Json:
        """Replace the run's metadata (``None`` leaves it as it is)."""
        run = self._run(thread_id, run_id)
        if metadata is not None:
            run.metadata = _check_metadata(metadata)
        return self._out(self._wire.run(run))

    @_locked
    def cancel_run(self, thread_id: str, run_id: str) -> Json:
        """Ask to cancel: the run shows ``cancelling``, then ``cancelled`` after ``cancel_delay``.

        Cancelling a run that is already ``cancelling`` changes nothing; a finished run
        answers 400.  A ``queued`` or ``requires_action`` run can be cancelled only with
        ``SimConfig(inferred=True)`` (otherwise :class:`~runfsm.IllegalTransition`).
        """
        run = self._run(thread_id, run_id)
        self._refuse("cancel_run", status=run.status)
        if run.status != self._engine.cancelling:
            self._engine.cancel(run)
        return self._out(self._wire.run(run))

    @_locked
    def submit_tool_outputs(self, thread_id: str, run_id: str, *, tool_outputs: list[Json],
                            stream: bool = False) -> Json | EventStream:
        """Submit the outputs of every pending function call, in one request."""
        run = self._run(thread_id, run_id)
        self._refuse("submit_tool_outputs", status=run.status)
        step = run.step
        if step is None:  # a paused run always has its step: a broken invariant, not a refusal
            raise SimError(f"run {run.id} is {run.status!r} without a step waiting for outputs")
        if not isinstance(tool_outputs, list):
            raise _bad("tool_outputs", "Invalid type for 'tool_outputs': expected an array.")
        got: list[str] = []
        outputs: dict[str, str] = {}
        for i, o in enumerate(tool_outputs):
            cid = o.get("tool_call_id") if isinstance(o, Mapping) else None
            out = o.get("output") if isinstance(o, Mapping) else None
            if not isinstance(cid, str):
                raise _bad(f"tool_outputs[{i}].tool_call_id", f"Missing required parameter: 'tool_outputs[{i}].tool_call_id'.")
            if out is None:  # not "": a client that forgot the output has a bug to hear about
                raise _bad(f"tool_outputs[{i}].output", f"Missing required parameter: 'tool_outputs[{i}].output'.")
            if not isinstance(out, str):
                raise _bad(f"tool_outputs[{i}].output", f"Invalid type for 'tool_outputs[{i}].output': expected a string.")
            got.append(cid)
            outputs[cid] = out
        self._refuse("submit_tool_outputs", expected=list(step.call_ids), got=got)
        sink = self._sink(stream)
        try:
            self._engine.submit(run, outputs, sink)
        except ScriptError:
            raise  # not a refusal: the outputs were taken, then the run failed
        except BaseException:
            if sink is not None:  # refused before any change: the stream number was never used
                self._streams -= 1
            raise
        return self._result(run, sink)

    # -- run steps ----------------------------------------------------------------------------------

    @_locked
    def list_run_steps(self, thread_id: str, run_id: str, *, order: str = "desc", limit: int = 20,
                       after: str | None = None, before: str | None = None, include: object = None,
                       **extra: Any) -> Json:
        """List a run's steps; ``include`` (``include[]``) may ask for file search results' text."""
        self._watch.read()
        run = self._run(thread_id, run_id)
        text = check_include(include)
        return self._out(self._page(run.steps, lambda s: self._wire.step(s, include=text), lambda s: s.id,
                                    order, limit, after, before))

    @_locked
    def retrieve_run_step(self, thread_id: str, run_id: str, step_id: str, *, include: object = None,
                          **extra: Any) -> Json:
        self._watch.read()
        run = self._run(thread_id, run_id)
        text = check_include(include)
        for s in run.steps:
            if s.id == step_id:
                return self._out(self._wire.step(s, include=text))
        raise _not_found("run step", step_id)

    # -- introspection (not part of the API) ----------------------------------------------------------

    @_locked
    def peek_steps(self, run_id: str) -> list[Json]:
        """The run's steps as the API would return them now, oldest first, without tracing them."""
        run = self._any_run(run_id)
        return [self._wire.step(s) for s in run.steps]

    @_locked
    def peek_run(self, run_id: str) -> Json:
        """The run as the API would return it now, without recording it in the trace."""
        run = self._any_run(run_id)
        return self._wire.run(run)

    @property
    def search_tool_type(self) -> str:
        """The file search tool's type in this API version (``file_search``; ``retrieval`` in v1)."""
        return self._wire.tool_type["file_search"]

    @_locked
    def run_messages(self, run_id: str) -> list[Json]:
        """The messages the run wrote, oldest first, with their status keys (not traced)."""
        run = self._any_run(run_id)
        now = self.clock.now
        return [self._wire.message(s.message, now, streamed=True) for s in run.steps if s.message is not None]

    def iter_runs(self) -> Iterator[tuple[str, str]]:
        """``(run id, status)`` of every run, in creation order (as they were when called)."""
        with self._lock:
            return iter([(r.id, r.status) for r in self._runs.values()])
