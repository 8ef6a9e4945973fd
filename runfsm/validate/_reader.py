"""Turn bytes, text and SDK objects into records and stream events, or into :class:`InputError`.

Three file formats are recognised by content, never by name:

* **SSE text** (the first non-blank line is an ``event:``, ``data:``, ``id:``,
  ``retry:`` or ``:`` comment line): parsed per the server-sent events rules
  into :class:`Event` items, one per blank-line-terminated block.
* **JSON** and **JSON Lines**: read as a sequence of JSON values, so a single
  (pretty-printed) document, an array, one value per line, or several
  documents back to back all work.  After an unreadable value the reader
  resumes at the next line that starts with ``{`` or ``[`` in column 0, so one
  bad line never hides the others.

Everything unreadable becomes a :class:`Bad` item carrying an
:class:`InputError` that names the file and the line: bytes that are not UTF-8,
invalid JSON (including NUL bytes and truncation), numbers too large to
convert, nesting too deep to parse, lines that are not SSE.  Two common slips
are reported *and* read anyway, so the rest of the record is still checked:
extra characters after a complete JSON object (``{...}}``) and an SSE data
line that lost its ``data: `` prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ._findings import InputError

__all__ = [
    "DONE_DATA",
    "Bad",
    "Event",
    "Item",
    "Record",
    "SSEDecoder",
    "coerce",
    "loads",
    "loads_lenient",
    "read_bytes",
    "read_path",
]

DONE_DATA = "[DONE]"
"""The data of the stream's final ``done`` event."""

MAX_LINE = 64 * 1024 * 1024
"""Longest SSE line kept while waiting for its end (a stream that never ends its line is cut)."""

_SSE_FIELDS = frozenset(("event", "data", "id", "retry", ""))
_SSE_PREFIXES = ("event:", "data:", "id:", "retry:", ":")
_DECODER = json.JSONDecoder()
_WS = " \t\r\n"
_CONTINUATION = frozenset(' \t}],"')


class Record(NamedTuple):
    """A JSON value read from the input: an object, a list page or an ``{"event", "data"}`` record."""

    value: Any
    line: int | None
    raw: bytes | None = None  # the line it was parsed from, when it was one line on its own


class Event(NamedTuple):
    """One server-sent event: its name (``None`` if absent) and raw data text (``None`` if absent)."""

    name: str | None
    data: str | None
    line: int | None
    flagged: bool = False  # True when a Bad item about this event's data was already produced


class Bad(NamedTuple):
    """Input that could not be read."""

    error: InputError


Item = Record | Event | Bad


# --- JSON -------------------------------------------------------------------------------


def _json_problem(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    if isinstance(exc, ValueError) and "digits" in str(exc):
        return "a number in it is too large to read"
    return f"not valid JSON: {exc}"


def loads(text: str | bytes | bytearray, *, source: str | None = None, line: int | None = None) -> Any:
    """Parse one JSON value, or raise :class:`InputError` naming ``source`` and ``line``."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})",
                             source=source, line=line, code="input.encoding") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(_json_problem(exc), source=source, line=line) from None


def loads_lenient(text: str, *, source: str | None = None, line: int | None = None) -> tuple[Any, InputError | None]:
    """Parse one JSON value; tolerate extra characters after a complete JSON object.

    Returns ``(value, None)``, or ``(object, InputError)`` when the object was
    followed by junk (the error says it was read anyway).  Raises
    :class:`InputError` when nothing usable is there.
    """
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InputError(_json_problem(exc), source=source, line=line) from None
        try:
            value, end = _DECODER.raw_decode(text, len(text) - len(text.lstrip(_WS)))
        except (ValueError, RecursionError):  # pragma: no cover - json.loads got past this point already
            raise InputError(_json_problem(exc), source=source, line=line) from None
        if not isinstance(value, dict):
            raise InputError(_json_problem(exc), source=source, line=line) from None
        extra = text[end:].strip()
        shown = extra if len(extra) <= 20 else extra[:20] + "..."
        return value, InputError(
            f"extra characters {shown!r} after the JSON object (column {end + 1}); the object was read anyway",
            source=source, line=line,
        )
    except (ValueError, RecursionError) as exc:
        raise InputError(_json_problem(exc), source=source, line=line) from None


def coerce(obj: object, *, source: str | None = None, line: int | None = None) -> Any:
    """A fed object as plain JSON data: dicts and lists as they are, JSON text parsed,
    SDK models (anything with ``model_dump()``) dumped."""
    if isinstance(obj, (dict, list)):
        return obj
    if isinstance(obj, (str, bytes, bytearray)):
        return loads(obj, source=source, line=line)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            value = dump()
        except Exception as exc:  # a broken model is unreadable input, not a crash
            raise InputError(f"model_dump() of {type(obj).__name__} failed: {exc}", source=source, line=line,
                             code="input.type") from None
        if isinstance(value, (dict, list)):
            return value
        raise InputError(f"model_dump() of {type(obj).__name__} returned {type(value).__name__}, not an object",
                         source=source, line=line, code="input.type")
    raise InputError(f"cannot read a {type(obj).__name__}: expected a dict, JSON text or an SDK model",
                     source=source, line=line, code="input.type")


# --- SSE --------------------------------------------------------------------------------


class SSEDecoder:
    """Incremental server-sent events parser that keeps line numbers and reports bad lines.

    Feed it decoded lines with :meth:`line` (or raw bytes with :meth:`feed_bytes`)
    and call :meth:`close` at the end; each call returns the items completed
    so far.
    """

    def __init__(self, source: str | None = None, first_line: int = 1) -> None:
        self.source = source
        self._lineno = first_line - 1
        self._name: str | None = None
        self._data: list[str] = []
        self._data_line: int | None = None
        self._event_line: int | None = None
        self._flagged = False
        self._pending = b""
        self._skipping = False  # inside an over-long line: drop bytes until its end

    def has_event(self) -> bool:
        """An event has begun (a name or data line) and not yet ended."""
        return self._name is not None or bool(self._data)

    def wants_data(self) -> bool:
        """An ``event:`` line came and no ``data:`` line yet."""
        return self._name is not None and not self._data

    def close_event(self) -> list[Item]:
        """End the pending event now (something other than SSE follows it)."""
        return self._dispatch()

    def _dispatch(self) -> list[Item]:
        if self._name is None and not self._data:
            return []
        data = "\n".join(self._data) if self._data else None
        item = Event(self._name, data, self._data_line or self._event_line, self._flagged)
        self._name, self._data, self._data_line, self._event_line, self._flagged = None, [], None, None, False
        return [item]

    def line(self, text: str, lineno: int | None = None) -> list[Item]:
        """One line of SSE text (without its line ending)."""
        self._lineno = lineno if lineno is not None else self._lineno + 1
        n = self._lineno
        if text == "" or text.strip(" \t") == "":
            return self._dispatch()
        name, sep, value = text.partition(":")
        if sep and name in _SSE_FIELDS:
            if value.startswith(" "):
                value = value[1:]
            if name == "event":
                out: list[Item] = []
                if self._name is not None or self._data:  # a new event without the blank line between
                    out = self._dispatch()
                self._name = value
                self._event_line = n
                return out
            if name == "data":
                if self._data_line is None:
                    self._data_line = n
                self._data.append(value)
            return []  # id, retry and comments carry nothing the lifecycle needs
        if self._name is not None and not self._data and text.lstrip().startswith(("{", "[")):
            self._data.append(text)
            self._data_line = n
            return [Bad(InputError(
                f"this line lacks the 'data: ' prefix; read it as the data of event {self._name!r}",
                source=self.source, line=n, code="input.sse"))]
        shown = text if len(text) <= 40 else text[:40] + "..."
        self._flagged = self._flagged or self._name is not None
        return [Bad(InputError(
            f"not an SSE line (expected 'event: ...', 'data: ...', 'id: ...', 'retry: ...' or ': comment'): {shown!r}",
            source=self.source, line=n, code="input.sse"))]

    def feed_bytes(self, chunk: bytes) -> list[Item]:
        """Raw bytes as they arrive; complete lines are parsed, the rest is kept."""
        buf = self._pending + chunk if self._pending else chunk
        out: list[Item] = []
        start, size = 0, len(buf)
        while start < size:
            nl = buf.find(b"\n", start)
            cr = buf.find(b"\r", start, nl if nl >= 0 else size)
            cut = cr if cr >= 0 else nl
            if cut < 0 or (cut == cr and cut + 1 == size):  # no line end yet, or a \r that may start \r\n
                break
            raw = buf[start:cut]
            start = cut + (2 if cut == cr and buf[cut + 1:cut + 2] == b"\n" else 1)
            if self._skipping:  # the rest of an over-long line, already reported
                self._skipping = False
                continue
            out.extend(self._decoded_line(raw))
        self._pending = buf[start:]
        if len(self._pending) > MAX_LINE:  # a line that never ends: report it and drop what came so far
            self._pending = b""
            self._lineno += 1
            self._flagged = self._flagged or self._name is not None
            out.append(Bad(InputError(f"a line longer than {MAX_LINE} bytes; skipped", source=self.source,
                                      line=self._lineno, code="input.sse")))
            self._skipping = True
        return out

    def bad_line(self, bad: Bad) -> list[Item]:
        """A line the caller could not decode: counted, and remembered against the pending event."""
        self._lineno = bad.error.line if bad.error.line is not None else self._lineno + 1
        self._flagged = self._flagged or self._name is not None
        return [bad]

    def _decoded_line(self, raw: bytes) -> list[Item]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return self.bad_line(Bad(InputError(
                f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                source=self.source, line=self._lineno + 1, code="input.encoding")))
        return self.line(text.removeprefix("\ufeff") if self._lineno == 0 else text)

    def close(self) -> list[Item]:
        """End of input: flush the last line and the last event."""
        out: list[Item] = []
        if self._pending:
            raw, self._pending = self._pending.rstrip(b"\r"), b""
            out.extend(self._decoded_line(raw))
        out.extend(self._dispatch())
        return out


# --- whole inputs -----------------------------------------------------------------------


def read_bytes(data: bytes, source: str | None = None) -> Iterator[Item]:
    """Every record, event and unreadable line of one input, in order (see :mod:`runfsm.validate._records`)."""
    from ._records import read_chunks

    return read_chunks((data,), source)


def read_path(path: str | Path) -> Iterator[Item]:
    """Every item of a file, streamed (``"-"`` reads standard input); an unreadable file is a Bad item."""
    from ._records import read_file

    return read_file(path)
