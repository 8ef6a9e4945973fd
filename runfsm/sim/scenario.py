"""Scenario files: assistants, threads, scripts, client actions and clock moves as TOML data.

The format is documented in ``docs/simulator.md``.  In short::

    name = "greeting"
    seed = 0                      # ids
    start = 1712030293            # clock start (Unix seconds)
    [config]                      # SimConfig fields (queue_latency, deadline, inferred, ...)

    [[files]]                     # name, text, purpose
    [[assistants]]                # name, model, instructions, tools, script = [ {say = "..."}, ... ]
    [[threads]]                   # name, messages = [{role, content, attach = ["file name"]}]
    [[client]]                    # do = "create_run" | "poll" | "submit_tool_outputs" | "cancel" | "advance" | ...
    [[expect]]                    # run, status, history, steps, message

:func:`load_scenario` parses and checks a file (every problem is a
:class:`ScenarioError` naming the file and the entry); :func:`run_scenario` plays it
in a fresh :class:`Simulator` and checks its expectations.
"""

from __future__ import annotations

import datetime
import difflib
import inspect
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .. import spec
from ..errors import IllegalTransition
from .backend import Simulator
from .clock import DEFAULT_START, Clock
from .config import SimConfig
from .errors import APIError, ScenarioError, SimError, describe
from .script import (
    Action,
    CallFunctions,
    Citation,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
)
from .stream import EventStream

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found]

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_POLLS", "Scenario", "ScenarioResult", "load_scenario", "parse_scenario",
           "run_scenario"]

MAX_BYTES = 1 << 20
"""A scenario file may hold at most this many bytes (1 MiB; the seed scenarios are about 1 KB)."""

MAX_DEPTH = 32
"""Tables and arrays nest at most this deep in a scenario (a tool's JSON schema needs a handful)."""

MAX_POLLS = 10_000
"""The most retrieves one ``poll`` may make, and its default (``max_polls``)."""

MAX_TOTAL_POLLS = 100_000
"""The most retrieves all the ``poll`` actions of one scenario may make together: the trace stays finite."""

Json = dict[str, Any]

_TOP = ("name", "description", "seed", "start", "version", "config", "files", "assistants", "threads", "client",
        "expect")
_ACTION_KINDS = ("say", "call", "code", "file_search", "fail", "run_out_of_tokens", "queue")
_ACTION_KEYS = {
    "say": ("say", "duration", "prompt_tokens", "completion_tokens", "cite"),
    "call": ("call", "duration", "prompt_tokens", "completion_tokens"),
    "code": ("code", "logs", "duration", "prompt_tokens", "completion_tokens"),
    "file_search": ("file_search", "duration", "prompt_tokens", "completion_tokens"),
    "fail": ("fail", "message", "duration", "during", "in_queue"),
    "run_out_of_tokens": ("run_out_of_tokens", "duration", "during"),
    "queue": ("queue",),
}
_CLIENT_KEYS = {
    "create_thread": ("thread", "messages", "metadata"),
    "create_message": ("thread", "role", "content", "attach"),
    "create_run": ("thread", "assistant", "run", "stream", "params"),
    "create_thread_and_run": ("thread", "messages", "assistant", "run", "stream", "params"),
    "poll": ("run", "every", "until", "max_polls"),
    "retrieve_run": ("run",),
    "submit_tool_outputs": ("run", "outputs", "stream"),
    "cancel": ("run",),
    "advance": ("seconds",),
    "list_messages": ("thread", "order", "limit"),
    "list_run_steps": ("run", "order", "limit"),
}
_EXPECT_KEYS = ("run", "status", "history", "steps", "message")
# Keyword arguments a create action passes itself: ``params`` may not set them too.
_OWN_ARGUMENTS = {
    do: frozenset(name for name, p in inspect.signature(getattr(Simulator, do)).parameters.items()
                  if name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD)
    for do in ("create_run", "create_thread_and_run")
}
_UNTIL = ("stop", "terminal")


def _check_values(doc: object, source: str) -> None:
    """Refuse what TOML allows but a scenario cannot use: dates and times, ``nan``/``inf``, deep nesting.

    The simulator takes JSON (and a trace must export as JSON); naming the path makes the entry easy to find.
    """
    stack: list[tuple[object, str, int]] = [(doc, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        here = where or "top level"
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{source}: {here}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
            raise ScenarioError(f"{source}: {here}: a TOML date or time ({value.isoformat()}) is not allowed here; "
                                "write it as a string")
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(f"{source}: {here}: {describe(value)} is not a usable number here")
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))


def _suggest(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


class _Reader:
    """Checks one scenario document, naming the file and entry in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {where}: {message}")

    def table(self, value: object, where: str, known: Sequence[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(where, f"expected a table, got {type(value).__name__} {describe(value)}")
        for key in value:
            if key not in known:
                raise self.error(where, f"unknown key {key!r}.{_suggest(key, known)} Known keys: {', '.join(known)}.")
        return value

    def tables(self, value: object, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(where, f"expected an array of tables, got {type(value).__name__}")
        return value

    def get(self, t: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...], default: Any = None,
            required: bool = False) -> Any:
        if key not in t:
            if required:
                raise self.error(where, f"missing required key {key!r}")
            return default
        value = t[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise self.error(where, f"{key!r} must be {names}, got {type(value).__name__} {describe(value)}")
        return value

    def action(self, t: object, where: str, files: Mapping[str, str]) -> Action:
        if not isinstance(t, Mapping):
            raise self.error(where, f"a script action is a table like {{say = \"...\"}}, got {t!r}")
        kinds = [k for k in _ACTION_KINDS if k in t]
        if len(kinds) != 1:
            hint = ""
            if not kinds:
                hint = "".join(_suggest(k, _ACTION_KINDS) for k in t)
            raise self.error(where, f"a script action has exactly one of {', '.join(_ACTION_KINDS)}; got "
                             f"{', '.join(kinds) or 'none'}.{hint}")
        kind = kinds[0]
        self.table(t, where, _ACTION_KEYS[kind])
        num = (int, float)
        common = {k: t[k] for k in ("duration", "prompt_tokens", "completion_tokens") if k in t}
        try:
            if kind == "say":
                cites = []
                for i, c in enumerate(self.tables(t.get("cite"), f"{where}.cite")):
                    c = self.table(c, f"{where}.cite[{i}]", ("marker", "file", "file_id"))
                    file_id = self.get(c, "file_id", f"{where}.cite[{i}]", str)
                    name = self.get(c, "file", f"{where}.cite[{i}]", str)
                    if name is not None:
                        if name not in files:
                            raise self.error(f"{where}.cite[{i}]", f"no [[files]] entry named {name!r}")
                        file_id = files[name]
                    cites.append(Citation(self.get(c, "marker", f"{where}.cite[{i}]", str, required=True), file_id))
                return Say(self.get(t, "say", where, str), citations=tuple(cites), **common)
            if kind == "call":
                calls = []
                for i, c in enumerate(self.tables(t["call"], f"{where}.call")):
                    c = self.table(c, f"{where}.call[{i}]", ("name", "arguments"))
                    args = self.get(c, "arguments", f"{where}.call[{i}]", (str, dict), "{}")
                    calls.append(FunctionCall(self.get(c, "name", f"{where}.call[{i}]", str, required=True), args))
                return CallFunctions(tuple(calls), **common)
            if kind == "code":
                return CodeInterpreter(self.get(t, "code", where, str), self.get(t, "logs", where, str, ""), **common)
            if kind == "file_search":
                if t["file_search"] is not True:
                    raise self.error(where, "write file_search = true")
                return FileSearch(**common)
            if kind == "fail":
                during = t.get("during")
                return Fail(
                    self.get(t, "fail", where, str),
                    self.get(t, "message", where, str),
                    self.get(t, "duration", where, num, 0),
                    cast("Say | CallFunctions | CodeInterpreter | FileSearch | None",
                         self.action(during, f"{where}.during", files) if during is not None else None),
                    self.get(t, "in_queue", where, bool, False),
                )
            if kind == "run_out_of_tokens":
                during = t.get("during")
                say = self.action(during, f"{where}.during", files) if during is not None else None
                return RunOutOfTokens(self.get(t, "run_out_of_tokens", where, str),
                                      self.get(t, "duration", where, num, 0), cast("Say | None", say))
            q = t["queue"]
            if q == "stall":
                return QueueStall()
            if isinstance(q, bool) or not isinstance(q, num):
                raise self.error(where, f"queue is a number of seconds or \"stall\", got {q!r}")
            return QueueDelay(q)
        except ScenarioError:
            raise
        except (SimError, TypeError) as exc:
            raise self.error(where, str(exc)) from None


@dataclass(frozen=True)
class Scenario:
    """A parsed, checked scenario file."""

    name: str
    description: str
    seed: int
    start: float
    version: str
    config: SimConfig
    files: tuple[Json, ...]
    assistants: tuple[Json, ...]
    threads: tuple[Json, ...]
    client: tuple[Json, ...]
    expect: tuple[Json, ...]
    source: str = "<scenario>"


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse scenario TOML text; raises :class:`ScenarioError` naming ``source`` and the entry."""
    r = _Reader(source)
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"{source}: larger than a scenario may be ({MAX_BYTES:,} bytes)")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise ScenarioError(f"{source}: nested too deeply to read (a scenario nests at most {MAX_DEPTH} levels)") from None
    _check_values(doc, source)
    r.table(doc, "top level", _TOP)
    version = r.get(doc, "version", "top level", str, spec.DEFAULT_VERSION)
    if version not in spec.VERSIONS:
        raise r.error("top level", f"version must be one of {', '.join(spec.VERSIONS)}, got {version!r}")
    config_t = r.table(doc.get("config", {}), "[config]", tuple(SimConfig.__dataclass_fields__))
    try:
        config = SimConfig(**config_t)
    except (SimError, TypeError) as exc:
        raise r.error("[config]", str(exc)) from None

    files = []
    for i, f in enumerate(r.tables(doc.get("files"), "[[files]]")):
        where = f"files[{i}]"
        f = r.table(f, where, ("name", "text", "purpose"))
        files.append({"name": r.get(f, "name", where, str, required=True), "text": r.get(f, "text", where, str, ""),
                      "purpose": r.get(f, "purpose", where, str, "assistants")})
    # Placeholder ids let scripts name files; run_scenario maps them to the uploaded ids.
    file_refs = {f["name"]: f"<file:{f['name']}>" for f in files}

    assistants = []
    for i, a in enumerate(r.tables(doc.get("assistants"), "[[assistants]]")):
        where = f"assistants[{i}]"
        a = r.table(a, where, ("name", "model", "instructions", "description", "tools", "metadata", "script"))
        script = tuple(r.action(x, f"{where}.script[{j}]", file_refs)
                       for j, x in enumerate(r.tables(a.get("script"), f"{where}.script")))
        assistants.append({
            "name": r.get(a, "name", where, str, required=True),
            "model": r.get(a, "model", where, str, "gpt-4o"),
            "instructions": r.get(a, "instructions", where, str),
            "description": r.get(a, "description", where, str),
            "tools": r.get(a, "tools", where, list, []),
            "metadata": r.get(a, "metadata", where, dict),
            "script": script,
        })
    if len({a["name"] for a in assistants}) != len(assistants):
        raise r.error("[[assistants]]", "assistant names must be unique (scripts and client actions refer to them)")

    threads = []
    for i, t in enumerate(r.tables(doc.get("threads"), "[[threads]]")):
        where = f"threads[{i}]"
        t = r.table(t, where, ("name", "messages", "metadata"))
        threads.append({"name": r.get(t, "name", where, str, required=True),
                        "messages": _messages(r, t.get("messages"), f"{where}.messages", file_refs),
                        "metadata": r.get(t, "metadata", where, dict)})

    client = []
    for i, c in enumerate(r.tables(doc.get("client"), "[[client]]")):
        where = f"client[{i}]"
        if not isinstance(c, Mapping) or "do" not in c:
            raise r.error(where, f"each [[client]] entry needs do = one of {', '.join(_CLIENT_KEYS)}")
        do = c["do"]
        if not isinstance(do, str) or do not in _CLIENT_KEYS:
            raise r.error(where, f"unknown do = {do!r}.{_suggest(str(do), tuple(_CLIENT_KEYS))} "
                          f"Known: {', '.join(_CLIENT_KEYS)}.")
        c = dict(r.table(c, f"{where} ({do})", ("do", "expect_error", *_CLIENT_KEYS[do])))
        where = f"{where} ({do})"
        r.get(c, "expect_error", where, int)
        for key, kind in (("thread", str), ("assistant", str), ("run", str), ("stream", bool), ("params", dict),
                          ("every", (int, float)), ("until", str), ("max_polls", int), ("seconds", (int, float)),
                          ("order", str), ("limit", int), ("role", str), ("content", str)):
            r.get(c, key, where, kind)
        if c.get("until", "stop") not in _UNTIL:
            raise r.error(where, f"until must be one of {', '.join(_UNTIL)}, got {c['until']!r}")
        if "every" in c and not c["every"] > 0:
            raise r.error(where, f"every must be a positive number of seconds (a poll that lets no time pass sees "
                          f"nothing new), got {c['every']!r}")
        if "max_polls" in c and not 1 <= c["max_polls"] <= MAX_POLLS:
            raise r.error(where, f"max_polls must be from 1 to {MAX_POLLS:,}, got {c['max_polls']!r}")
        clash = sorted(_OWN_ARGUMENTS.get(do, frozenset()) & set(c.get("params", {})))
        if clash:
            raise r.error(where, f"params may not set {', '.join(map(repr, clash))}: the action passes it itself "
                          "(use the action's own keys: thread, assistant, stream)")
        if do == "advance" and "seconds" not in c:
            raise r.error(where, "missing required key 'seconds'")
        if do == "submit_tool_outputs":
            outs = r.get(c, "outputs", where, list, required=True)
            if not all(isinstance(o, str) for o in outs):
                raise r.error(where, "outputs is an array of strings, one per pending call, in call order")
        if do in ("create_thread", "create_thread_and_run"):
            c["messages"] = _messages(r, c.get("messages"), f"{where}.messages", file_refs)
        if do == "create_message":
            r.get(c, "content", where, str, required=True)
            c["attach"] = [_file_ref(r, n, where, file_refs) for n in r.get(c, "attach", where, list, [])]
        client.append(c)

    expect = []
    for i, e in enumerate(r.tables(doc.get("expect"), "[[expect]]")):
        where = f"expect[{i}]"
        e = r.table(e, where, _EXPECT_KEYS)
        r.get(e, "run", where, str)
        r.get(e, "status", where, str)
        r.get(e, "message", where, str)
        for key in ("history", "steps"):
            value = r.get(e, key, where, list)
            if value is not None and not all(isinstance(x, str) for x in value):
                raise r.error(where, f"{key} is an array of strings")
        expect.append(dict(e))

    seed = r.get(doc, "seed", "top level", int, 0)
    start = r.get(doc, "start", "top level", (int, float), DEFAULT_START)
    try:
        Clock(start)
    except SimError as exc:
        raise r.error("top level", f"start: {exc}") from None
    return Scenario(
        name=r.get(doc, "name", "top level", str, Path(source).stem),
        description=r.get(doc, "description", "top level", str, ""),
        seed=seed, start=start, version=version, config=config, files=tuple(files), assistants=tuple(assistants),
        threads=tuple(threads), client=tuple(client), expect=tuple(expect), source=source,
    )


def _file_ref(r: _Reader, name: object, where: str, files: Mapping[str, str]) -> str:
    if not isinstance(name, str) or name not in files:
        raise r.error(where, f"attach names a file that no [[files]] entry declares: {name!r}")
    return files[name]


def _messages(r: _Reader, value: object, where: str, files: Mapping[str, str]) -> list[Json]:
    out = []
    for i, m in enumerate(r.tables(value, where)):
        m = r.table(m, f"{where}[{i}]", ("role", "content", "attach"))
        msg: Json = {"role": r.get(m, "role", f"{where}[{i}]", str, "user"),
                     "content": r.get(m, "content", f"{where}[{i}]", str, required=True)}
        attach = r.get(m, "attach", f"{where}[{i}]", list, [])
        if attach:
            msg["attach"] = [_file_ref(r, n, f"{where}[{i}]", files) for n in attach]
        out.append(msg)
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # bounded: /dev/zero or a huge file must not exhaust memory
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(f"{p}: larger than a scenario may be ({MAX_BYTES:,} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: not UTF-8 text: {exc}") from None
    return parse_scenario(text, source=str(p))


@dataclass
class ScenarioResult:
    """What playing a scenario produced."""

    scenario: Scenario
    sim: Simulator
    runs: dict[str, str] = field(default_factory=dict)
    """Run name -> run id (unnamed runs are called run1, run2, ...)."""
    threads: dict[str, str] = field(default_factory=dict)
    """Thread name -> thread id."""
    assistants: dict[str, str] = field(default_factory=dict)
    """Assistant name -> assistant id."""
    failures: list[str] = field(default_factory=list)
    """Expectations that did not hold (empty: all passed)."""
    checked: int = 0
    """How many expectations were checked."""

    @property
    def ok(self) -> bool:
        return not self.failures


class _Player:
    def __init__(self, scenario: Scenario, stream: bool | None, version: str | None) -> None:
        self.sc = scenario
        self.force_stream = stream
        self.sim = Simulator(clock=Clock(scenario.start), seed=scenario.seed, config=scenario.config,
                             version=version or scenario.version)
        # Scenario files name tools as in v2; map them to the simulated version's names.
        self.tool_names = self.sim.profile.tool_names
        self.result = ScenarioResult(scenario, self.sim)
        self.files: dict[str, str] = {}
        self.streams: dict[str, EventStream] = {}  # run id -> its open stream
        self.last_thread: str | None = None
        self.last_run: str | None = None
        self.polls = 0  # retrieves made by poll actions so far (bounded by MAX_TOTAL_POLLS)

    def error(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.sc.source}: {where}: {message}")

    # -- references ------------------------------------------------------------------

    def _resolve_file(self, ref: str) -> str:
        return self.files[ref[len("<file:"):-1]] if ref.startswith("<file:") else ref

    def _resolve_action(self, a: Action) -> Action:
        if isinstance(a, Say) and any(c.file_id and c.file_id.startswith("<file:") for c in a.citations):
            cites = tuple(Citation(c.marker, self._resolve_file(c.file_id) if c.file_id else None) for c in a.citations)
            return Say(a.text, a.duration, a.prompt_tokens, a.completion_tokens, cites)
        if isinstance(a, (Fail, RunOutOfTokens)) and a.during is not None:
            during = self._resolve_action(a.during)
            if during is not a.during:
                if isinstance(a, Fail):
                    return Fail(a.code, a.message, a.duration, cast("Say", during), a.in_queue)
                return RunOutOfTokens(a.reason, a.duration, cast("Say", during))
        return a

    def _tool_name(self, kind: object) -> object:
        return self.tool_names.get(kind, kind) if isinstance(kind, str) else kind

    def _wire_messages(self, messages: list[Json]) -> list[Json]:
        return [{"role": m["role"], "content": m["content"],
                 **({"attachments": [{"file_id": self._resolve_file(f), "tools": [{"type": self.sim.search_tool_type}]}
                                     for f in m["attach"]]} if m.get("attach") else {})}
                for m in messages]

    def _thread(self, c: Json, where: str) -> str:
        name = c.get("thread")
        if name is None:
            if self.last_thread is None:
                raise self.error(where, "no thread yet: create one ([[threads]] or do = \"create_thread\")")
            return self.last_thread
        if name not in self.result.threads:
            raise self.error(where, f"no thread named {name!r} (known: {', '.join(self.result.threads) or 'none'})")
        return self.result.threads[name]

    def _run(self, c: Json, where: str) -> str:
        name = c.get("run")
        if name is None:
            if self.last_run is None:
                raise self.error(where, "no run yet")
            return self.last_run
        if name not in self.result.runs:
            raise self.error(where, f"no run named {name!r} (known: {', '.join(self.result.runs) or 'none'})")
        return self.result.runs[name]

    def _assistant(self, c: Json, where: str) -> str:
        name = c.get("assistant")
        if name is None:
            if not self.result.assistants:
                raise self.error(where, "no [[assistants]] declared")
            return next(iter(self.result.assistants.values()))
        if name not in self.result.assistants:
            raise self.error(where, f"no assistant named {name!r} (known: {', '.join(self.result.assistants)})")
        return self.result.assistants[name]

    def _stream(self, c: Json) -> bool:
        return bool(c.get("stream", False)) if self.force_stream is None else self.force_stream

    # -- playing ---------------------------------------------------------------------

    def setup(self) -> None:
        sim = self.sim
        where = "setup"
        try:
            for i, f in enumerate(self.sc.files):
                where = f"files[{i}]"
                self.files[f["name"]] = sim.upload_file(filename=f["name"], content=f["text"].encode("utf-8"),
                                                        purpose=f["purpose"])["id"]
            for i, a in enumerate(self.sc.assistants):
                where = f"assistants[{i}]"
                tools = [{**t, "type": self._tool_name(t.get("type"))} if isinstance(t, dict) else t for t in a["tools"]]
                made = sim.create_assistant(model=a["model"], name=a["name"], instructions=a["instructions"],
                                            description=a["description"], tools=tools, metadata=a["metadata"])
                self.result.assistants[a["name"]] = made["id"]
                sim.set_script([self._resolve_action(x) for x in a["script"]], assistant_id=made["id"])
            for i, t in enumerate(self.sc.threads):
                where = f"threads[{i}]"
                made = sim.create_thread(messages=self._wire_messages(t["messages"]), metadata=t["metadata"])
                self.result.threads[t["name"]] = self.last_thread = made["id"]
        except APIError as exc:
            raise self.error(where, f"the API refused: {exc}") from None
        except SimError as exc:
            raise self.error(where, str(exc)) from None

    def _drain(self) -> None:
        for run_id, s in list(self.streams.items()):
            s.available()
            if s.finished:
                del self.streams[run_id]

    def _open(self, run_id: str, out: object) -> None:
        if isinstance(out, EventStream):
            self.streams[run_id] = out

    def _name_run(self, c: Json, run_id: str) -> None:
        name = c.get("run") or f"run{len(self.result.runs) + 1}"
        self.result.runs[name] = self.last_run = run_id

    def step(self, i: int, c: Json) -> None:
        where = f"client[{i}] ({c['do']})"
        expect_error = c.get("expect_error")
        try:
            self._do(c, where)
        except IllegalTransition as exc:  # e.g. cancelling a queued run without SimConfig(inferred=True)
            raise self.error(where, f"the simulator refused: {exc}") from None
        except APIError as exc:
            if expect_error is None:
                raise self.error(where, f"the API refused: {exc}") from None
            if exc.status != expect_error:
                raise self.error(where, f"expected HTTP {expect_error}, got {exc}") from None
        except ScenarioError:
            raise
        except SimError as exc:  # a clock move it cannot make, a script error: name the entry
            raise self.error(where, str(exc)) from None
        else:
            if expect_error is not None:
                raise self.error(where, f"expected HTTP {expect_error}, but the request succeeded")
        self._drain()

    def _do(self, c: Json, where: str) -> None:
        sim = self.sim
        do = c["do"]
        if do == "create_thread":
            made = sim.create_thread(messages=self._wire_messages(c["messages"]), metadata=c.get("metadata"))
            self.result.threads[c.get("thread") or f"thread{len(self.result.threads) + 1}"] = made["id"]
            self.last_thread = made["id"]
        elif do == "create_message":
            atts = [{"file_id": self._resolve_file(f), "tools": [{"type": sim.search_tool_type}]}
                    for f in c.get("attach", [])]
            sim.create_message(self._thread(c, where), role=c.get("role", "user"), content=c["content"],
                               attachments=atts or None)
        elif do == "create_run":
            thread_id = self._thread(c, where)
            out = sim.create_run(thread_id, assistant_id=self._assistant(c, where), stream=self._stream(c),
                                 **c.get("params", {}))
            run_id = out.run_id if isinstance(out, EventStream) else out["id"]
            self._name_run(c, run_id)
            self._open(run_id, out)
        elif do == "create_thread_and_run":
            out = sim.create_thread_and_run(assistant_id=self._assistant(c, where),
                                            thread={"messages": self._wire_messages(c["messages"])},
                                            stream=self._stream(c), **c.get("params", {}))
            run_id = out.run_id if isinstance(out, EventStream) else out["id"]
            thread_id = sim.peek_run(run_id)["thread_id"]
            self.result.threads[c.get("thread") or f"thread{len(self.result.threads) + 1}"] = thread_id
            self.last_thread = thread_id
            self._name_run(c, run_id)
            self._open(run_id, out)
        elif do in ("poll", "retrieve_run", "cancel", "submit_tool_outputs", "list_run_steps"):
            run_id = self._run(c, where)
            thread_id = sim.peek_run(run_id)["thread_id"]
            if do == "poll":
                self._poll(c, where, thread_id, run_id)
            elif do == "retrieve_run":
                sim.retrieve_run(thread_id, run_id)
            elif do == "cancel":
                sim.cancel_run(thread_id, run_id)
            elif do == "list_run_steps":
                sim.list_run_steps(thread_id, run_id, order=c.get("order", "desc"), limit=c.get("limit", 20))
            else:
                self._submit(c, where, thread_id, run_id)
        elif do == "advance":
            sim.advance(c["seconds"])
        elif do == "list_messages":
            sim.list_messages(self._thread(c, where), order=c.get("order", "desc"), limit=c.get("limit", 20))

    def _submit(self, c: Json, where: str, thread_id: str, run_id: str) -> None:
        sim = self.sim
        snapshot = sim.peek_run(run_id)  # what the client read last (not traced again)
        required = snapshot.get("required_action") or {}
        calls = required.get(spec.REQUIRED_ACTION_TYPE, {}).get("tool_calls", [])
        outputs = c["outputs"]
        if len(outputs) > len(calls) and calls:
            raise self.error(where, f"{len(outputs)} outputs for {len(calls)} pending calls")
        payload = [{"tool_call_id": call["id"], "output": out} for call, out in zip(calls, outputs, strict=False)]
        out = sim.submit_tool_outputs(thread_id, run_id, tool_outputs=payload, stream=self._stream(c))
        self._open(run_id, out)

    def _poll(self, c: Json, where: str, thread_id: str, run_id: str) -> None:
        sim = self.sim
        lc = sim.profile.run
        stop = lc.terminal if c.get("until", "stop") == "terminal" else lc.terminal | lc.paused
        open_stream = self.streams.get(run_id)
        if open_stream is not None:  # a streaming client reads its stream to the end instead of polling
            for _ in open_stream:
                pass
            del self.streams[run_id]
            if sim.peek_run(run_id)["status"] in stop:
                return
        every = c.get("every", 1)
        max_polls = c.get("max_polls", MAX_POLLS)
        for _ in range(max_polls):
            if self.polls >= MAX_TOTAL_POLLS:
                raise self.error(where, f"the scenario's polls made {MAX_TOTAL_POLLS:,} retrieves: the most it may make")
            self.polls += 1
            if sim.retrieve_run(thread_id, run_id)["status"] in stop:
                return
            sim.advance(every)
        raise self.error(where, f"run {run_id} did not stop after {max_polls:,} polls")

    def finish(self) -> None:
        for s in self.streams.values():  # read what is there; the runs go on without a client
            s.available()
        for i, e in enumerate(self.sc.expect):
            self._check(i, e)

    def _check(self, i: int, e: Json) -> None:
        where = f"expect[{i}]"
        run_id = self._run(e, where)
        sim = self.sim
        res = self.result
        name = e.get("run") or next((n for n, rid in res.runs.items() if rid == run_id), run_id)
        history = [s for _, s in sim.timeline(run_id)]
        if "status" in e:
            res.checked += 1
            if history[-1] != e["status"]:
                res.failures.append(f"{where}: run {name} ended {history[-1]!r}, expected {e['status']!r}")
        if "history" in e:
            res.checked += 1
            if history != e["history"]:
                res.failures.append(f"{where}: run {name} went {' -> '.join(history)}, "
                                    f"expected {' -> '.join(e['history'])}")
        if "steps" in e:
            res.checked += 1
            steps = [s["type"] for s in sim.peek_steps(run_id)]
            if steps != e["steps"]:
                res.failures.append(f"{where}: run {name} made steps {steps}, expected {e['steps']}")
        if "message" in e:
            res.checked += 1
            texts = ["".join(p["text"]["value"] for p in m["content"] if p["type"] == "text")
                     for m in sim.run_messages(run_id)]
            last = texts[-1] if texts else None
            if last != e["message"]:
                res.failures.append(f"{where}: run {name} wrote {last!r}, expected {e['message']!r}")


def run_scenario(scenario: Scenario, *, stream: bool | None = None, version: str | None = None) -> ScenarioResult:
    """Play ``scenario`` in a fresh simulator; ``stream`` forces streaming on (True) or off (False).

    ``version`` overrides the scenario's API version.

    API refusals the scenario did not announce (``expect_error``) raise
    :class:`ScenarioError`; failed expectations are listed in ``result.failures``.
    """
    player = _Player(scenario, stream, version)
    player.setup()
    for i, c in enumerate(scenario.client):
        player.step(i, c)
    player.finish()
    return player.result
