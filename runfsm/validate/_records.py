"""The streaming reader: bytes in, records, SSE events and unreadable lines out, one line at a time.

Memory is bounded by the longest record (``max_record`` bytes), never by the
size of the input, and time is linear in it: every line is parsed once, a
pretty-printed document is parsed once when its brackets balance, and an
unreadable line costs only its own length.

The format is decided **per line**, not per file:

* a line starting with ``{`` or ``[`` is JSON (a JSON Lines record, or the first
  line of a pretty-printed document, read on until its brackets balance);
* a line starting with an SSE field (``event:``, ``data:``, ``id:``,
  ``retry:``) or a ``:`` comment belongs to the server-sent events of the file;
  a blank line ends the pending event;
* anything else is another JSON value (a scalar: reported by the tracker) or an
  unreadable line.

So a JSON Lines file may carry comment or ``id:`` lines, an SSE file may begin
with headers, and one file may mix both: records and events come out in file
order.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import select
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ._findings import InputError
from ._reader import _SSE_FIELDS, Bad, Item, Record, SSEDecoder, _json_problem

__all__ = ["CHUNK", "FIFO_WAIT", "MAX_RECORD", "json_backend", "read_chunks", "read_file", "split_lines"]

MAX_RECORD = 16 * 1024 * 1024
"""Default longest record in bytes (one line, or one pretty-printed document); longer is one finding."""
CHUNK = 1 << 20
"""Bytes read at a time."""
FIFO_WAIT = 5.0
"""Seconds to wait for a writer on a named pipe before reporting that nobody writes to it."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')  # a JSON string, or an unterminated one up to the line end
_LONG_NUMBER = re.compile(rb"\d{19}")
_CONTINUATION = frozenset(' \t}],"')
_REPR_LIKE = re.compile(r"""\s*[\[{(]\s*(?:'|[\[{(]\s*')|.*[:,\[]\s*(?:True|False|None)\s*[,}\]]""")
_CACHE_SIZE = 64  # recently seen lines whose parsed value is reused (the same snapshot polled again and again)
_CACHE_LINE = 64 * 1024  # longest line kept in that cache


def _orjson_loads() -> Callable[[bytes], Any] | None:
    try:
        orjson = importlib.import_module("orjson")  # optional: pip install 'runfsm[orjson]'
    except ImportError:
        return None
    fast: Callable[[bytes], Any] = orjson.loads
    return fast


_FAST: list[Callable[[bytes], Any] | None] = []


def json_backend(fast: bool | None = None) -> Callable[[bytes], Any]:
    """The function that parses one line: ``orjson.loads`` when ``fast`` (default: when installed), else
    ``json.loads``.  Anything orjson refuses is parsed again by ``json``, so both give the same values and
    the same error messages."""
    if fast is False:
        return json.loads
    if not _FAST:
        _FAST.append(_orjson_loads())
    loads_fast = _FAST[0]
    if loads_fast is None:
        if fast:
            from ..errors import MissingExtra

            raise MissingExtra("orjson", "orjson", "the fast JSON parser")
        return json.loads

    long_number = _LONG_NUMBER.search

    def parse(raw: bytes) -> Any:
        if long_number(raw) is None:  # orjson turns integers beyond 64 bits into floats; json keeps them
            try:
                return loads_fast(raw)
            except Exception:  # orjson is stricter (lone surrogates, NaN): let json decide
                pass
        return json.loads(raw)

    return parse


# --- bytes to lines -----------------------------------------------------------------------


def split_lines(chunks: Iterable[bytes], max_record: int = MAX_RECORD) -> Iterator[tuple[bytes | None, int]]:
    """``(line, number)`` for every line of the chunks (split on ``\\n``, ``\\r\\n`` or ``\\r``; a leading
    UTF-8 byte order mark dropped).  A line longer than ``max_record`` bytes comes out once as
    ``(None, number)`` and its bytes are dropped as they arrive, so an endless line costs no memory."""
    pending = b""
    n = 0
    skipping = False  # inside an over-long line: drop bytes until its end
    for chunk in chunks:
        buf = pending + chunk if pending else chunk
        cut = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
        if cut >= 0 and cut == len(buf) - 1 and buf[cut] == 13:  # a final \r may be the first half of \r\n
            cut = max(buf.rfind(b"\n", 0, cut), buf.rfind(b"\r", 0, cut))
        if cut < 0:
            pending = buf
        else:
            lines = buf[:cut + 1].splitlines()
            pending = buf[cut + 1:]
            if skipping:
                skipping = False
                lines = lines[1:]  # the rest of the over-long line, already reported
            for line in lines:
                n += 1
                if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if len(line) > max_record:
                    yield None, n
                else:
                    yield line, n
        if len(pending) > max_record:
            if not skipping:
                n += 1
                yield None, n
                skipping = True
            pending = b""
    if pending and not skipping:
        for line in pending.splitlines():
            n += 1
            if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            yield (line if len(line) <= max_record else None), n


# --- lines to items -----------------------------------------------------------------------


class _Document:
    """A JSON value spread over several lines, read on until its brackets balance."""

    __slots__ = ("depth", "lines", "size", "start", "top")

    def __init__(self, text: str, start: int) -> None:
        self.lines = [text]
        self.start = start
        self.top = text.lstrip()[:1]
        self.size = len(text)
        self.depth = _depth(text)

    def takes(self, text: str) -> bool:
        """Whether ``text`` continues the document (rather than starting something new in column 0)."""
        first = text[:1]
        if first in _CONTINUATION or not text.strip():
            return True
        if first in "{[" and self.top == "[":  # an array with one element per line
            last = next((t for t in reversed(self.lines) if t.strip()), "")
            return last.rstrip().endswith((",", "["))
        return False


def _depth(text: str) -> int:
    bare = _STRING.sub("", text)
    return bare.count("{") + bare.count("[") - bare.count("}") - bare.count("]")


def _incomplete(exc: BaseException, text: str) -> bool:
    """The JSON error is "the text ended too early" (the value may go on on the next lines)."""
    return isinstance(exc, json.JSONDecodeError) and exc.pos >= len(text.rstrip()) and \
        not exc.msg.startswith("Unterminated string")


def _located(exc: BaseException, doc: _Document, source: str | None) -> Bad:
    """The error of a multi-line document, placed on the line where the parser stopped."""
    if isinstance(exc, json.JSONDecodeError):
        text = "\n".join(doc.lines)
        pos = min(exc.pos, len(text))
        before = text.count("\n", 0, pos)
        line_start = text.rfind("\n", 0, pos) + 1
        exc = json.JSONDecodeError(exc.msg, text[line_start:], pos - line_start)
        return Bad(InputError(_json_problem(exc), source=source, line=doc.start + before))
    return Bad(InputError(_json_problem(exc), source=source, line=doc.start))


class _ReprHint:
    """Lines that look like Python ``repr`` output: one finding with a hint, then a count, not one per line."""

    __slots__ = ("first", "last", "more")

    def __init__(self) -> None:
        self.first = 0
        self.more = 0
        self.last = 0


def _unreadable_json(text: str, exc: BaseException, n: int, source: str | None, hint: _ReprHint) -> Bad | None:
    if _REPR_LIKE.match(text):
        if hint.first:
            hint.more += 1
            hint.last = n
            return None
        hint.first = n
        return Bad(InputError(
            f"{_json_problem(exc)}; this looks like Python repr() output (single quotes, True/False/None), "
            "not JSON: write records with json.dumps(). Further lines like it are counted, not listed",
            source=source, line=n))
    return Bad(InputError(_json_problem(exc), source=source, line=n))


def _too_long(n: int, max_record: int, source: str | None, what: str = "a line") -> Bad:
    return Bad(InputError(
        f"{what} longer than {max_record} bytes (the maximum record size); skipped. "
        "Raise it with --max-record if such records are real", source=source, line=n, code="input.too_long"))


def read_chunks(
    chunks: Iterable[bytes], source: str | None = None, *, max_record: int = MAX_RECORD, fast: bool | None = None,
) -> Iterator[Item]:
    """Every record, event and unreadable line of one input given as byte chunks, in order."""
    parse = json_backend(fast)
    sse = SSEDecoder(source)
    seen_sse = False
    doc: _Document | None = None
    hint = _ReprHint()
    cache: dict[bytes, Any] = {}
    for raw, n in split_lines(chunks, max_record):
        if doc is not None:
            if raw is None:
                yield _too_long(doc.start, max_record, source, "a JSON document")
                doc = None
                yield _too_long(n, max_record, source)
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = "\x00"  # not a continuation: ends the document, reported below
            if doc.takes(text):
                doc.lines.append(text)
                doc.size += len(raw) + 1
                doc.depth += _depth(text)
                if doc.size > max_record:
                    yield _too_long(doc.start, max_record, source, "a JSON document")
                    doc = None
                elif doc.depth <= 0:
                    done, doc = doc, None
                    yield _document(done, source)
                continue
            done, doc = doc, None
            yield _document(done, source)
        if raw is None:
            if sse.has_event():
                yield from sse.bad_line(_too_long(n, max_record, source))
            else:
                yield _too_long(n, max_record, source)
            continue
        head = raw[:1]
        if head == b"{" or head == b"[":
            if sse.wants_data():  # ``event: x`` then a JSON line: the data line lost its prefix
                yield from _sse_line(sse, raw, n, source)
                continue
            if sse.has_event():
                yield from sse.close_event()
            value = cache.get(raw)
            if value is not None:
                yield Record(value, n, raw)
                continue
            try:
                value = parse(raw)
            except (ValueError, RecursionError) as exc:
                item, doc = _json_line(raw, exc, n, source, hint)
                if item is not None:
                    yield from item
                continue
            if len(raw) <= _CACHE_LINE:
                if len(cache) >= _CACHE_SIZE:
                    del cache[next(iter(cache))]
                cache[raw] = value
            yield Record(value, n, raw)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = Bad(InputError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                                 source=source, line=n, code="input.encoding"))
            yield from sse.bad_line(bad)
            continue
        stripped = text.strip()
        if not stripped:
            if sse.has_event():
                yield from sse.line("", n)
            continue
        name, sep, _ = text.partition(":")
        if sep and name in _SSE_FIELDS:
            seen_sse = True
            yield from sse.line(text, n)
            continue
        if stripped[0] in "{[":  # indented JSON
            if sse.has_event():
                yield from sse.close_event()
            item, doc = _json_text(stripped, n, source, hint)
            if item is not None:
                yield from item
            continue
        if seen_sse or sse.has_event():
            yield from sse.line(text, n)
            continue
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            unreadable = _unreadable_json(stripped, exc, n, source, hint)
            if unreadable is not None:
                yield unreadable
            continue
        yield Record(value, n)
    if doc is not None:
        yield _document(doc, source)
    yield from sse.close()
    if hint.more:
        yield Bad(InputError(
            f"{hint.more} more line(s) after line {hint.first} looked like Python repr() output too "
            f"(the last on line {hint.last}); none of them was read", source=source, line=hint.last))


def _sse_line(sse: SSEDecoder, raw: bytes, n: int, source: str | None) -> list[Item]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return sse.bad_line(Bad(InputError(f"not UTF-8 text (byte {raw[exc.start]:#04x} at column {exc.start + 1})",
                                           source=source, line=n, code="input.encoding")))
    return sse.line(text, n)


def _json_line(
    raw: bytes, exc: BaseException, n: int, source: str | None, hint: _ReprHint,
) -> tuple[list[Item] | None, _Document | None]:
    """A line starting with ``{`` or ``[`` that did not parse on its own."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return [Bad(InputError(f"not UTF-8 text (byte {raw[err.start]:#04x} at column {err.start + 1})",
                               source=source, line=n, code="input.encoding"))], None
    return _json_text(text, n, source, hint, exc)


def _json_text(
    text: str, n: int, source: str | None, hint: _ReprHint, exc: BaseException | None = None,
) -> tuple[list[Item] | None, _Document | None]:
    if exc is None:
        try:
            return [Record(json.loads(text), n)], None
        except (ValueError, RecursionError) as err:
            exc = err
    if isinstance(exc, json.JSONDecodeError) and exc.msg == "Extra data":
        try:
            value, end = json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
        except (ValueError, RecursionError):  # pragma: no cover - json.loads got past this point already
            value, end = None, 0
        extra = text[end:].strip()
        shown = extra if len(extra) <= 20 else extra[:20] + "..."
        if isinstance(value, dict):
            return [Bad(InputError(
                f"extra characters {shown!r} after the JSON object (column {end + 1}); the object was read anyway",
                source=source, line=n)), Record(value, n)], None
        return [Bad(InputError(f"not valid JSON: extra data (column {end + 1})", source=source, line=n))], None
    if _incomplete(exc, text):
        return None, _Document(text, n)
    bad = _unreadable_json(text, exc, n, source, hint)
    return ([bad] if bad is not None else None), None


def _document(doc: _Document, source: str | None) -> Item:
    try:
        return Record(json.loads("\n".join(doc.lines)), doc.start)
    except (ValueError, RecursionError) as exc:
        return _located(exc, doc, source)


# --- files --------------------------------------------------------------------------------


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    read = f.read
    while True:
        chunk = read(CHUNK)
        if not chunk:
            return
        yield chunk


def _wait_for_writer(fd: int, wait: float) -> bool:
    """A named pipe opened without blocking: True once a writer has written (or gone), False after ``wait`` s."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    return bool(poller.poll(int(wait * 1000)))


def read_file(
    path: str | Path, *, max_record: int = MAX_RECORD, fast: bool | None = None, fifo_wait: float = FIFO_WAIT,
) -> Iterator[Item]:
    """Every item of a file (``"-"`` is standard input), read as it streams in.

    A file that cannot be opened is one ``input.file`` item; so is a named pipe no
    writer opens within ``fifo_wait`` seconds."""
    name = str(path)
    source = "<stdin>" if name == "-" else name
    if name == "-":
        yield from read_chunks(_chunks(sys.stdin.buffer), source, max_record=max_record, fast=fast)
        return
    try:
        fifo = stat.S_ISFIFO(os.stat(name).st_mode)
        if fifo and hasattr(select, "poll"):
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
            if not _wait_for_writer(fd, fifo_wait):
                os.close(fd)
                yield Bad(InputError(f"nothing was written to this named pipe within {fifo_wait:g} s",
                                     source=source, code="input.file"))
                return
            os.set_blocking(fd, True)
            f: IO[bytes] = os.fdopen(fd, "rb", buffering=0)
        else:
            f = open(name, "rb", buffering=0)  # noqa: SIM115 - closed below, after streaming
    except OSError as exc:
        yield Bad(InputError(f"cannot read the file: {exc.strerror or exc}", source=source, code="input.file"))
        return
    with f:
        try:
            yield from read_chunks(_chunks(f), source, max_record=max_record, fast=fast)
        except OSError as exc:  # e.g. a directory, or a device that fails mid-read
            yield Bad(InputError(f"cannot read the file: {exc.strerror or exc}", source=source, code="input.file"))
