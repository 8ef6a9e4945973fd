"""The scenario file format: TOML text read into a checked :class:`Scenario`, and written back.

:func:`parse_scenario` and :func:`load_scenario` read (every problem is a
:class:`ScenarioError` naming the file and the entry); :func:`format_scenario` writes
a scenario as text they read back to an equal :class:`Scenario`.  Both sides live here,
so a key the reader learns is a key the writer must write.  The format is documented in
``docs/simulator.md``; :mod:`runfsm.sim._scenario` is the public face.
"""

from __future__ import annotations

import datetime
import difflib
import inspect
import json
import math
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, cast

from .. import spec
from .._wire_shapes import DEFAULT_RANKER
from ._backend import Simulator
from ._clock import DEFAULT_START, Clock
from ._config import SimConfig
from ._errors import ScenarioError, SimError, describe
from ._script import (
    ACTION_TYPES,
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

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found]

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_POLLS", "Scenario", "action_table", "format_scenario",
           "load_scenario", "parse_scenario", "toml_key", "toml_value"]

MAX_BYTES = 1 << 20
"""A scenario file may hold at most this many bytes (1 MiB; the seed scenarios are about 1 KB)."""

MAX_DEPTH = 32
"""Tables and arrays nest at most this deep in a scenario (a tool's JSON schema needs a handful)."""

MAX_POLLS = 10_000
"""The most retrieves one ``poll`` may make, and its default (``max_polls``)."""

Json = dict[str, Any]

_TOP = ("name", "description", "seed", "start", "version", "config", "files", "assistants", "threads", "client",
        "expect")
_ACTION_KINDS = tuple(dict.fromkeys(k.KEY for k in ACTION_TYPES if k.KEY))  # each kind's key, declared on its class
_ACTION_KEYS = {
    Say.KEY: (Say.KEY, "duration", "prompt_tokens", "completion_tokens", "cite"),
    CallFunctions.KEY: (CallFunctions.KEY, "duration", "prompt_tokens", "completion_tokens"),
    CodeInterpreter.KEY: (CodeInterpreter.KEY, "logs", "duration", "prompt_tokens", "completion_tokens"),
    FileSearch.KEY: (FileSearch.KEY, "duration", "prompt_tokens", "completion_tokens"),
    Fail.KEY: (Fail.KEY, "message", "duration", "during", "in_queue"),
    RunOutOfTokens.KEY: (RunOutOfTokens.KEY, "duration", "during"),
    QueueDelay.KEY: (QueueDelay.KEY,),
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



# --- writing: the reader's inverse -------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what TOML text (a comment too) may not hold raw


def _string(s: str) -> str:
    # JSON's escapes are TOML's; TOML also wants DEL escaped, which JSON leaves raw.
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(k: str) -> str:
    """``k`` as a TOML key: bare where it may be, quoted otherwise."""
    return k if _BARE_KEY.match(k) else _string(k)


def toml_value(v: object) -> str:
    """``v`` as a one-line TOML value; :class:`ScenarioError` for what TOML cannot hold (None, nan, bytes...)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float) and math.isfinite(v):
        return repr(float(v))
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping) and all(isinstance(k, str) for k in v):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise ScenarioError(f"a scenario cannot hold {type(v).__name__} {describe(v)}: TOML has no such value")


def _file_name(ref: str | None, files: Collection[str]) -> str | None:
    """The [[files]] name a placeholder id stands for (None: not a declared file's)."""
    name = ref[len("<file:"):-1] if ref and ref.startswith("<file:") and ref.endswith(">") else None
    return name if name in files else None


def _citation(c: Citation, files: Collection[str]) -> Json:
    name = _file_name(c.file_id, files)
    return {"marker": c.marker, **({"file": name} if name is not None else
                                   {"file_id": c.file_id} if c.file_id is not None else {})}


def action_table(a: Action, files: Collection[str] = ()) -> Json:
    """``a`` as the script table :func:`parse_scenario` reads back to an equal action.

    ``files``: the scenario's [[files]] names, which citations give instead of placeholder ids.  What the
    format has no syntax for (images, search results, rankers) is a :class:`ScenarioError`, not left out.
    """
    tokens = {k: getattr(a, k) for k in ("prompt_tokens", "completion_tokens") if getattr(a, k, None) is not None}
    if isinstance(a, Say):
        return {"say": a.text, "duration": a.duration, **tokens,
                **({"cite": [_citation(c, files) for c in a.citations]} if a.citations else {})}
    if isinstance(a, CallFunctions):
        return {"call": [{"name": c.name, "arguments": c.arguments} for c in a.calls], "duration": a.duration,
                **tokens}
    if isinstance(a, CodeInterpreter):
        if a.images:
            raise ScenarioError("a scenario's code action cannot hold images (no syntax for bytes)")
        return {"code": a.input, "logs": a.logs, "duration": a.duration, **tokens}
    if isinstance(a, FileSearch):
        if a.results or a.ranker != DEFAULT_RANKER or a.score_threshold:
            raise ScenarioError("a scenario's file_search action cannot hold results, ranker or score_threshold")
        return {"file_search": True, "duration": a.duration, **tokens}
    inner = a.during if isinstance(a, (Fail, RunOutOfTokens)) else None
    during = {"during": action_table(inner, files)} if inner is not None else {}
    if isinstance(a, Fail):
        return {"fail": a.code, **({"message": a.message} if a.message is not None else {}), "duration": a.duration,
                **during, **({"in_queue": True} if a.in_queue else {})}
    if isinstance(a, RunOutOfTokens):
        return {"run_out_of_tokens": a.reason, "duration": a.duration, **during}
    if isinstance(a, QueueStall):
        return {"queue": "stall"}
    if isinstance(a, QueueDelay):
        return {"queue": a.seconds}
    raise ScenarioError(f"no scenario syntax for script action {describe(a)}")


def _names(refs: Sequence[str], files: Collection[str], where: str) -> list[str]:
    names = [_file_name(ref, files) for ref in refs]
    if None in names:
        raise ScenarioError(f"{where}: attach names a file that no [[files]] entry declares: {list(refs)!r}")
    return cast("list[str]", names)


def _wire_messages(messages: Sequence[Json], files: Collection[str], where: str) -> list[Json]:
    return [{**m, "attach": _names(m["attach"], files, where)} if m.get("attach") else dict(m) for m in messages]


def _entry(table: str, pairs: Mapping[str, Any]) -> list[str]:
    """A table, one key a line; None is the reader's absent key (TOML has no null)."""
    return [table, *(f"{toml_key(k)} = {toml_value(v)}" for k, v in pairs.items() if v is not None), ""]


def format_scenario(scenario: Scenario, *, comments: Sequence[str] = ()) -> str:
    """``scenario`` as TOML text that :func:`parse_scenario` reads back to an equal :class:`Scenario`.

    ``comments`` open the file, a ``#`` line each.  Scripts are inline arrays of :func:`action_table`
    tables; optional keys at their default are left out.
    """
    sc = scenario
    files = [f["name"] for f in sc.files]
    lines = [f"# {line}" for c in comments for line in (c.splitlines() or [""])]
    if any(_CONTROL.search(line) for line in lines):
        raise ScenarioError(f"a comment cannot hold control characters: {comments!r}")
    lines += [f"name = {toml_value(sc.name)}",
              *([f"description = {toml_value(sc.description)}"] if sc.description else []),
              f"version = {toml_value(sc.version)}", f"seed = {toml_value(sc.seed)}", f"start = {toml_value(sc.start)}",
              ""]
    default = SimConfig()
    changed = {f.name: getattr(sc.config, f.name) for f in fields(SimConfig)
               if getattr(sc.config, f.name) != getattr(default, f.name)}
    lines += _entry("[config]", changed) if changed else []
    for f in sc.files:
        lines += _entry("[[files]]", {**f, "purpose": f["purpose"] if f["purpose"] != "assistants" else None})
    for a in sc.assistants:
        lines += _entry("[[assistants]]", {**{k: a.get(k) for k in ("name", "model", "instructions", "description")},
                                           "tools": a.get("tools", []), "metadata": a.get("metadata"),
                                           "script": [action_table(x, files) for x in a["script"]]})
    for i, t in enumerate(sc.threads):
        lines += _entry("[[threads]]", {**t, "messages": _wire_messages(t["messages"], files, f"threads[{i}]")})
    for i, c in enumerate(sc.client):
        c = {**c, "attach": _names(c["attach"], files, f"client[{i}]") or None} if "attach" in c else c
        c = {**c, "messages": _wire_messages(c["messages"], files, f"client[{i}]")} if "messages" in c else c
        lines += _entry("[[client]]", c)
    for e in sc.expect:
        lines += _entry("[[expect]]", e)
    return "\n".join(lines)
