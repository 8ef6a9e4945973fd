"""The scenario file format: TOML text read into a checked :class:`Scenario`, and written back.

:func:`parse_scenario` and :func:`load_scenario` read (every problem is a
:class:`ScenarioError` naming the file and the entry); :func:`format_scenario` writes
a scenario as text they read back to an equal :class:`Scenario`.  Both sides live here,
so a key the reader learns is a key the writer must write.  The format is documented in
``docs/simulator.md``; :mod:`runfsm.sim` is the public face.

A script action is read and written from its class's declarations (``KEY``, ``KEY_FIELD``,
``KEY_VALUE``: see :class:`~runfsm.sim._script.ScriptAction`) and its fields, their values by the
types the fields declare (actions, records such as :class:`~runfsm.sim._script.Citation`, TOML
values): a new kind of action needs nothing here, only ``actions=`` when a file is read.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import inspect
import json
import math
import re
import sys
import types
import typing
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

from .. import spec
from ._backend import Simulator
from ._clock import DEFAULT_START, Clock
from ._config import SimConfig
from ._errors import ScenarioError, ScriptError, SimError, describe
from ._script import ACTION_TYPES, SCENARIO_KEY, Action, ScriptAction

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found]

__all__ = [
    "FILE_ID",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_POLLS",
    "Scenario",
    "action_kinds",
    "action_table",
    "file_name",
    "file_ref",
    "format_scenario",
    "load_scenario",
    "parse_scenario",
    "toml_key",
    "toml_value",
]

MAX_BYTES = 1 << 20
"""A scenario file may hold at most this many bytes (1 MiB; the seed scenarios are about 1 KB)."""

MAX_DEPTH = 32
"""Tables and arrays nest at most this deep in a scenario (a tool's JSON schema needs a handful)."""

MAX_POLLS = 10_000
"""The most retrieves one ``poll`` may make, and its default (``max_polls``)."""

Json = dict[str, Any]

_TOP = ("name", "description", "seed", "start", "version", "config", "files", "assistants", "threads", "client",
        "expect")
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


# --- script actions: read and written from their declarations -------------------------------

_REQUIRED = inspect.Parameter.empty

FILE_ID = "file_id"
"""A field of this name (an action's, or a record's such as a citation's) holds a file id: a scenario may give
it as ``file = "doc.txt"`` (a [[files]] entry's name), read as a placeholder id that :func:`run_scenario` replaces
with the uploaded file's id."""


class _Param(NamedTuple):
    """A constructor argument of an action (or of a record inside one, such as a :class:`Citation`)."""

    name: str  # the argument, and the attribute that holds it
    key: str  # its key in a scenario file
    hint: Any  # the type it takes, resolved where it can be (a string where it cannot)
    default: Any  # _REQUIRED: none


class _Shape(NamedTuple):
    """How an action or a record reads and writes in a scenario file."""

    params: tuple[_Param, ...]  # the keys a file gives (an action's KEY field not among them), in written order
    hidden: tuple[_Param, ...]  # the fields the format has no syntax for: refused unless at their default
    keys: tuple[str, ...]  # the keys a table may hold (a file_id field may be given as file = a [[files]] name)
    key_param: _Param | None = None  # an action's: the field its KEY gives (None: its KEY_VALUE stands alone)


def _hints(cls: type) -> dict[str, Any]:
    """The types ``cls``'s constructor takes; one it cannot resolve stays a string (any value is taken)."""
    init = cls.__init__  # type: ignore[misc]
    try:
        return typing.get_type_hints(init)
    except Exception:
        out = {}
        for name, hint in getattr(init, "__annotations__", {}).items():
            try:
                out[name] = eval(hint, getattr(init, "__globals__", {})) if isinstance(hint, str) else hint
            except Exception:
                out[name] = hint
        return out


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    """The shape of a dataclass: its constructor's arguments, under their keys."""
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _shape_of(cls)
    return shape


def _shape_of(cls: type) -> _Shape:
    meta = {f.name: f.metadata for f in fields(cls)} if is_dataclass(cls) else {}
    hints = _hints(cls)
    params: list[_Param] = []
    hidden: list[_Param] = []
    for name, p in inspect.signature(cls).parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        field_meta = meta.get(name)
        key = field_meta.get(SCENARIO_KEY, name) if field_meta is not None else name
        param = _Param(name, key if key is not None else name, hints.get(name, Any), p.default)
        (params if key is not None else hidden).append(param)
    keys = tuple(k for p in params for k in (("file", p.key) if p.name == FILE_ID else (p.key,)))
    return _Shape(tuple(params), tuple(hidden), keys)


_KINDS: dict[type, _Shape] = {}


def _kind(cls: type[ScriptAction]) -> _Shape:
    """The shape of an action kind: its KEY first, holding its KEY_FIELD (or KEY_VALUE), then its other keys."""
    kind = _KINDS.get(cls)
    if kind is None:
        kind = _KINDS[cls] = _kind_of(cls)
    return kind


def _kind_of(cls: type[ScriptAction]) -> _Shape:
    name = cls.__name__
    shape = _shape(cls)
    if cls.KEY_FIELD is None:
        key_param = next((p for p in shape.params if p.default is _REQUIRED), None)
    elif cls.KEY_FIELD:
        key_param = next((p for p in shape.params if p.name == cls.KEY_FIELD), None)
        if key_param is None:
            raise ScriptError(f"{name}: KEY_FIELD {cls.KEY_FIELD!r} is not one of its fields a scenario file can give")
    else:
        key_param = None
    params = tuple(p for p in shape.params if p is not key_param)
    keys = (cls.KEY, *(k for k in shape.keys if key_param is None or k != key_param.key))
    if len(set(keys)) != len(keys):
        raise ScriptError(f"{name}: its KEY {cls.KEY!r} is also the key of one of its fields")
    return _Shape(params, shape.hidden, keys, key_param)


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def action_kinds(actions: Iterable[type[ScriptAction]] = ()) -> dict[str, tuple[type[ScriptAction], ...]]:
    """The action kinds a scenario file's script may hold, by their ``KEY``: the built-in ones and ``actions``.

    Kinds that share a key are told apart by its value: each has a ``KEY_VALUE`` of its own (``queue =
    "stall"``) but one, whose ``KEY_FIELD`` takes the others' values (``queue = 2``).  A kind that cannot
    be told apart from another is a :class:`ScriptError`.
    """
    extra = tuple(actions)
    for cls in extra:
        if not (isinstance(cls, type) and issubclass(cls, ScriptAction) and cls.KEY):
            raise ScriptError(f"an action kind of a scenario file is a ScriptAction subclass that declares its KEY, "
                              f"got {describe(cls)}")
    by_key: dict[str, list[type[ScriptAction]]] = {}
    for cls in dict.fromkeys((*ACTION_TYPES, *extra)):
        _kind(cls)  # its fields as the format needs them
        by_key.setdefault(cls.KEY, []).append(cls)
    for key, classes in by_key.items():
        given_by_field = [c for c in classes if _kind(c).key_param is not None]
        values = [c.KEY_VALUE for c in classes if _kind(c).key_param is None]
        if len(given_by_field) > 1 or any(_same(v, w) for i, v in enumerate(values) for w in values[:i]):
            raise ScriptError(f"action kinds {', '.join(c.__name__ for c in classes)} share the key {key!r} and "
                              "cannot be told apart: give each a KEY (or a KEY_VALUE) of its own")
        for cls in classes:  # a field may have another kind's key, unless that kind has a field of this one's
            for other in (c for k in _kind(cls).keys[1:] for c in by_key.get(k, ())):
                if key in _kind(other).keys:
                    raise ScriptError(f"action kinds {cls.__name__} and {other.__name__} each have a field keyed as "
                                      "the other kind: a file could not tell them apart")
    return {key: tuple(classes) for key, classes in by_key.items()}


_BUILTIN_KINDS = action_kinds()
_TOLD_APART = set(ACTION_TYPES)  # the kinds a file tells apart from the built-in ones (these included)


def _chosen(candidates: Sequence[type[ScriptAction]], value: object) -> type[ScriptAction]:
    """The kind a key's value names: the one whose KEY_VALUE it is, else the one whose KEY_FIELD takes values."""
    for cls in candidates:
        if _kind(cls).key_param is None and _same(value, cls.KEY_VALUE):
            return cls
    return next((c for c in candidates if _kind(c).key_param is not None), candidates[0])


def _alternatives(hint: Any) -> tuple[Any, ...]:
    """The types a hint allows, None left out (TOML has no null: an absent key reads as the default)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(hint) if a is not type(None))
    return (hint,)


def _is_action(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, ScriptAction)


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and is_dataclass(hint) and not _is_action(hint)


def _items(hint: Any) -> Any:
    """The item type of ``tuple[X, ...]`` or ``list[X]`` (None for anything else)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if (origin is tuple and len(args) == 2 and args[1] is Ellipsis) or (origin is list and len(args) == 1):
        return args[0]
    return None


_SCALARS: dict[Any, tuple[type, ...]] = {float: (int, float), Mapping: (dict,), dict: (dict,), list: (list,)}


def _scalars(hints: Sequence[Any]) -> tuple[type, ...] | None:
    """The Python types a TOML value may have for these types (None: any value is taken as given)."""
    kinds: list[type] = []
    for hint in hints:
        origin = typing.get_origin(hint) or hint
        if origin in _SCALARS:
            kinds += _SCALARS[origin]
        elif isinstance(origin, type) and origin is not object:
            kinds.append(origin)
        else:  # Any, or a name that could not be resolved
            return None
    return tuple(dict.fromkeys(kinds))


_NAMES = {int: "a number", float: "a number", str: "a string", bool: "true or false", dict: "a table", list: "an array"}


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

    def __init__(self, source: str, kinds: Mapping[str, tuple[type[ScriptAction], ...]] = _BUILTIN_KINDS) -> None:
        self.source = source
        self.kinds = kinds

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
        known = tuple(self.kinds)
        found = [k for k in known if k in t]
        # A kind's field may have another kind's key ({ overload = true, code = "..." }): the kind is the one
        # whose keys the others are.
        named = [k for k in found if any(set(found) <= set(_kind(c).keys) for c in self.kinds[k])]
        if len(named) != 1:
            hint = ""
            if not found:
                hint = "".join(_suggest(k, known) for k in t)
            raise self.error(where, f"a script action has exactly one of {', '.join(known)}; got "
                             f"{', '.join(found) or 'none'}.{hint}")
        key = named[0]
        value = t[key]
        candidates = self.kinds[key]
        cls = _chosen(candidates, value)
        kind = _kind(cls)
        self.table(t, where, kind.keys)
        try:
            args = self.arguments(kind, t, where, files)
            if kind.key_param is not None:
                others = [c.KEY_VALUE for c in candidates if c is not cls]
                kinds = _scalars(_alternatives(kind.key_param.hint))
                if others and kinds is not None and ((isinstance(value, bool) and bool not in kinds)
                                                     or not isinstance(value, kinds)):
                    alts = " or ".join(dict.fromkeys([*(_NAMES.get(k, k.__name__) for k in kinds),
                                                      *map(toml_value, others)]))
                    raise self.error(where, f"{key} is {alts}, got {value!r}")
                args[kind.key_param.name] = self.value(kind.key_param, t, where, files, key)
            elif not _same(value, cls.KEY_VALUE):
                raise self.error(where, f"write {key} = {' or '.join(toml_value(c.KEY_VALUE) for c in candidates)}")
            return cast("Action", cls(**args))
        except ScenarioError:
            raise
        except (SimError, TypeError) as exc:
            raise self.error(where, str(exc)) from None
        except Exception as exc:  # a kind of your own refusing its values in its own words
            raise self.error(where, f"{cls.__name__} refused these values: {type(exc).__name__}: {exc}") from exc

    def arguments(self, shape: _Shape, t: Mapping[str, Any], where: str, files: Mapping[str, str]) -> dict[str, Any]:
        """The constructor's arguments a table gives (an action's KEY field aside)."""
        args = {}
        for p in shape.params:
            if p.key in t:
                args[p.name] = self.value(p, t, where, files)
            if p.name == FILE_ID and "file" in t:  # a [[files]] name stands for its placeholder id
                name = self.get(t, "file", where, str)
                if name not in files:
                    raise self.error(where, f"no [[files]] entry named {name!r}")
                args[p.name] = files[name]
            elif p.key not in t and p.default is _REQUIRED:
                raise self.error(where, f"missing required key {p.key!r}")
        return args

    def value(self, p: _Param, t: Mapping[str, Any], where: str, files: Mapping[str, str], key: str = "") -> Any:
        """The value of ``t[key]`` (``p``'s key by default) as the type ``p`` takes: an action, records, or a
        checked TOML value."""
        key = key or p.key
        hints = _alternatives(p.hint)
        here = f"{where}.{key}"
        if any(_is_action(h) for h in hints):
            return self.action(t[key], here, files)
        if len(hints) == 1 and _is_record(hints[0]):
            return self.record(hints[0], t[key], here, files)
        item = _items(hints[0]) if len(hints) == 1 else None
        if item is not None and (_is_record(item) or _is_action(item)):
            read = self.action if _is_action(item) else functools.partial(self.record, item)
            return tuple(read(x, f"{here}[{i}]", files) for i, x in enumerate(self.tables(t[key], here)))
        if item is not None:
            items = self.get(t, key, where, list)
            kinds = _scalars(_alternatives(item))
            if kinds is not None and not all(isinstance(x, kinds) and (bool in kinds or not isinstance(x, bool))
                                             for x in items):
                raise self.error(where, f"{key!r} must be an array of {' or '.join(k.__name__ for k in kinds)}, "
                                 f"got {describe(items)}")
            return items if typing.get_origin(hints[0]) is list else tuple(items)
        kinds = _scalars(hints)
        return t[key] if kinds is None else self.get(t, key, where, kinds)

    def record(self, cls: type, t: object, where: str, files: Mapping[str, str]) -> Any:
        """A record inside an action (a citation, a function call...) from its table."""
        shape = _shape(cls)
        return cls(**self.arguments(shape, self.table(t, where, shape.keys), where, files))


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


def parse_scenario(text: str, source: str = "<scenario>", *, actions: Iterable[type[ScriptAction]] = ()) -> Scenario:
    """Parse scenario TOML text; raises :class:`ScenarioError` naming ``source`` and the entry.

    ``actions``: kinds of script action (:class:`ScriptAction` subclasses declaring a ``KEY``) that scripts
    may hold besides the built-in ones.
    """
    r = _Reader(source, action_kinds(actions) if actions else _BUILTIN_KINDS)
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
    file_refs = {f["name"]: file_ref(f["name"]) for f in files}

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


def load_scenario(path: str | Path, *, actions: Iterable[type[ScriptAction]] = ()) -> Scenario:
    """Read and check a scenario file; ``actions`` as :func:`parse_scenario` takes them."""
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
    return parse_scenario(text, source=str(p), actions=actions)



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


def file_ref(name: str) -> str:
    """The placeholder id that stands for the [[files]] entry ``name`` until the file is uploaded."""
    return f"<file:{name}>"


def file_name(ref: object, files: Collection[str]) -> str | None:
    """The [[files]] name a placeholder id stands for (None: not a declared file's, an id as it is)."""
    if not isinstance(ref, str) or not (ref.startswith("<file:") and ref.endswith(">")):
        return None
    name = ref[len("<file:"):-1]
    return name if name in files else None


def _left_out(value: object, default: object) -> bool:
    """True for a value the writer leaves out: its field's default, where that is what an absent key reads as
    (None, false, empty); other values are written even at their default (every action shows its duration)."""
    if default is None or default is False:
        return value is default
    return isinstance(default, tuple) and not default and isinstance(value, (tuple, list)) and not value


def _pairs(shape: _Shape, obj: object, files: Collection[str], what: str) -> Json:
    """The keys and values of ``obj``'s fields, as :func:`parse_scenario` reads them back."""
    for p in shape.hidden:
        if getattr(obj, p.name) != p.default:
            raise ScenarioError(f"a scenario's {what} cannot hold {p.name} (the format has no syntax for it): "
                                f"{describe(obj)}")
    out: Json = {}
    for p in shape.params:
        value = getattr(obj, p.name)
        if _left_out(value, p.default):
            continue
        name = file_name(value, files) if p.name == FILE_ID else None
        if name is not None:
            out["file"] = name
        else:
            out[p.key] = _written(value, files)
    return out


def _written(value: object, files: Collection[str]) -> object:
    """A field's value as the reader takes it: actions and records as tables, sequences as arrays."""
    if isinstance(value, ScriptAction):
        return action_table(cast("Action", value), files)
    if is_dataclass(value) and not isinstance(value, type):
        return _pairs(_shape(type(value)), value, files, type(value).__name__)
    if isinstance(value, (tuple, list)):
        return [_written(v, files) for v in value]
    return value


def action_table(a: Action, files: Collection[str] = ()) -> Json:
    """``a`` as the script table :func:`parse_scenario` reads back to an equal action.

    ``files``: the scenario's [[files]] names, which ``file_id`` fields give instead of placeholder ids.  What the
    format has no syntax for (images, search results, rankers) is a :class:`ScenarioError`, not left out.
    """
    cls = type(a)
    if not isinstance(a, ScriptAction) or not cls.KEY:
        raise ScenarioError(f"no scenario syntax for script action {describe(a)}")
    kind = _kind(cls)
    if cls not in _TOLD_APART:
        action_kinds((cls,))  # it must read back as itself, not as a built-in kind
        _TOLD_APART.add(cls)
    head = _written(getattr(a, kind.key_param.name), files) if kind.key_param is not None else cls.KEY_VALUE
    return {cls.KEY: head, **_pairs(kind, a, files, f"{cls.KEY} action")}


def _names(refs: Sequence[str], files: Collection[str], where: str) -> list[str]:
    names = [file_name(ref, files) for ref in refs]
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
    tables; optional keys at their default are left out.  A script may hold action kinds of your own: read
    the text back with ``parse_scenario(text, actions=[...])``.
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
