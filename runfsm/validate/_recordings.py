"""Recordings of the Azure SDK's test proxy: one JSON document of HTTP exchanges, validated as they are.

The azure-sdk test proxy writes each recorded test session as::

    {"Entries": [{"RequestUri": ..., "RequestMethod": ..., "RequestHeaders": {...}, "RequestBody": ...,
                  "StatusCode": 200, "ResponseHeaders": {...}, "ResponseBody": ...}, ...],
     "Variables": {...}}

``ResponseBody`` is a JSON value, a string (an SSE body as text; bytes in base64),
a list of strings (text split into lines), or null.  Each entry whose request
path has ``/threads`` in it is fed to the tracker in entry order, as the guard
feeds a live client's answers: a JSON body as a polled object, an SSE body as
one stream, an HTTP 400 as a lifecycle refusal of the client when it is one.
Everything that cannot be read becomes an ``input.recording`` finding naming
the entry; nothing raises.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._answers import answer_kind, check_answer
from ._findings import Finding, InputError
from ._reader import Bad
from ._tracker import Tracker

__all__ = ["MAX_RECORDING", "feed_recording", "is_recording"]

MAX_RECORDING = 256 * 1024 * 1024
"""Largest recording read (it is one JSON document, parsed whole)."""

_HEAD = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"Entries"\s*:')
_GUARDED = "/threads"
CODE = "input.recording"


def is_recording(path: str | Path) -> bool:
    """True when the file starts like a test proxy recording (``{"Entries": ...``)."""
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except (OSError, ValueError):
        return False
    return _HEAD.match(head) is not None


def _bad(tracker: Tracker, message: str, source: str, entry: int | None = None) -> list[Finding]:
    where = f"entry {entry}: " if entry is not None else ""
    return tracker.feed_items([Bad(InputError(f"test proxy recording: {where}{message}", source=source,
                                              code=CODE))], source=source)


def _header(headers: object, name: str) -> str:
    if not isinstance(headers, Mapping):
        return ""
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == name:
            if isinstance(value, list):  # some recorders keep every value of a header
                value = ",".join(str(v) for v in value)
            return str(value)
    return ""


def _text(body: object) -> str | None:
    """The body as text when it is a string (or lines of one); base64 bytes are decoded when they are UTF-8."""
    if isinstance(body, list) and all(isinstance(line, str) for line in body):
        return "".join(body)
    if not isinstance(body, str):
        return None
    stripped = body.strip()
    if stripped and not stripped.startswith(("{", "[", "event:", "data:", ":")):
        try:
            return base64.b64decode(stripped, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            pass
    return body


def feed_recording(tracker: Tracker, path: str | Path, source: str) -> int:
    """Feed one recording to ``tracker``; returns how many entries were checked."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_RECORDING:
            _bad(tracker, f"{size} bytes, more than the {MAX_RECORDING} read", source)
            return 0
        data = Path(path).read_bytes()
    except OSError as exc:
        _bad(tracker, f"cannot read it: {exc.strerror or exc}", source)
        return 0
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        _bad(tracker, "not UTF-8", source)
        return 0
    except (ValueError, RecursionError) as exc:
        detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else \
            "nested too deeply to read"
        _bad(tracker, f"not valid JSON: {detail}", source)
        return 0
    entries = document.get("Entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        _bad(tracker, "no list under \"Entries\"", source)
        return 0
    checked = 0
    for number, entry in enumerate(entries, 1):
        checked += _entry(tracker, entry, number, source)
    return checked


def _entry(tracker: Tracker, entry: object, number: int, source: str) -> int:
    if not isinstance(entry, dict):
        _bad(tracker, f"not an object but {type(entry).__name__}", source, number)
        return 0
    uri, method, status = entry.get("RequestUri"), entry.get("RequestMethod"), entry.get("StatusCode")
    if not isinstance(uri, str) or not isinstance(method, str):
        _bad(tracker, "RequestUri and RequestMethod must be strings", source, number)
        return 0
    if isinstance(status, bool) or not isinstance(status, int):
        _bad(tracker, f"StatusCode must be a whole number, not {status!r:.40}", source, number)
        return 0
    try:
        path = urlsplit(uri).path
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        _bad(tracker, f"RequestUri cannot be read: {exc}", source, number)
        return 0
    if _GUARDED not in path:
        return 0
    label = f"{source} entry {number}: {method} {path}"
    body = entry.get("ResponseBody")
    if body == [] or body == "":  # how the recorder writes a body with no bytes
        return 1
    text = None if isinstance(body, dict) else _text(body)  # the refusal as text, lines or base64, like every body
    ctype = _header(entry.get("ResponseHeaders"), "content-type").lower()
    sse = text is not None and ("text/event-stream" in ctype or text.lstrip().startswith(("event:", "data:")))
    # what the body holds says how it was sent; the status says whether and how it is checked, as for the guard
    kind = answer_kind(status, "text/event-stream" if sse else "application/json")
    if kind is None or body is None:
        return 1
    value: Any = body if isinstance(body, dict) else text
    if kind == "json" and not isinstance(body, dict):
        if text is None:
            _bad(tracker, f"ResponseBody of {method} {path} is neither JSON, text nor base64", source, number)
            return 0
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            _bad(tracker, f"ResponseBody of {method} {path} is not JSON", source, number)
            return 0
    check_answer(tracker, kind, value, path, label, key=("recording", source, number))
    return 1
