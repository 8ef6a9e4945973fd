"""Validate a fleet's logs on an engine you already run (Dask, Spark, DuckDB, a job queue).

The lifecycle's rules never span two threads, so a fleet's records can be grouped by
thread and every group checked on its own, anywhere:

* :func:`records_of` reads one file into rows ``(file, line, record)`` (SSE events become
  ``{"event", "data", "stream"}`` records; an unreadable line becomes an input-error record);
* :func:`partition_key` gives the group of a record: its thread id (``""`` when it names none);
* :func:`validate_group` checks one group and returns finding rows with a fixed schema,
  :data:`FINDING_COLUMNS`: ``file, line, severity, code, object_id, message``;
* :func:`dask_findings` does all three with ``dask.bag`` (``pip install 'runfsm[dask]'``).

Within a group the records are checked in log order: sorted by file name, then line.
A group is a plain list of rows, so anything that can group rows by a key and call a
Python function per group can run it (see ``docs/validate.md`` for Spark and DuckDB).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import spec
from ._findings import Finding
from ._reader import Bad, Event
from ._records import MAX_RECORD, read_file
from ._tracker import Tracker, stream_key

__all__ = ["FINDING_COLUMNS", "INPUT_ERROR", "dask_findings", "partition_key", "records_of", "validate_group"]

FINDING_COLUMNS = ("file", "line", "severity", "code", "object_id", "message")
"""The schema of a finding row (a dict with exactly these keys; ``line`` and ``object_id`` may be None)."""

INPUT_ERROR = "runfsm.input_error"
"""The ``object`` of the record that stands for an unreadable line in :func:`records_of` rows."""

Row = tuple[str, int | None, Any]


def records_of(path: str | Path, *, max_record: int = MAX_RECORD) -> Iterator[Row]:
    """The rows ``(file, line, record)`` of one file, streamed, in order.

    Stream events carry the thread of their stream (``"thread"``), so a ``done`` (which names
    none) lands in the group of the stream it ends."""
    name = str(path)
    threads: dict[object, str] = {}  # stream key -> thread of its last event that named one
    for item in read_file(path, max_record=max_record):
        if item.__class__ is Event:
            ev: Event = item
            record: Any = {"event": ev.name, "data": ev.data, "stream": name}
        elif item.__class__ is Bad:
            err = item.error
            yield name, err.line, {"object": INPUT_ERROR, "code": err.code, "message": err.reason}
            continue
        else:
            record = item.value  # type: ignore[union-attr]
            if not (isinstance(record, dict) and record.get("object") is None and "event" in record):
                yield name, item.line, record  # type: ignore[union-attr]
                continue
        key = stream_key(record.get("stream"))
        thread = partition_key(record)
        if thread:
            threads[key] = thread
        elif key in threads:
            record = dict(record, thread=threads[key])
        yield name, ev.line if item.__class__ is Event else item.line, record  # type: ignore[union-attr]


def _thread(value: object, event: object = None) -> str | None:
    if not isinstance(value, dict):
        return None
    if event == spec.EVENT_THREAD_CREATED:
        tid = value.get("id")
    else:
        tid = value.get("thread_id")
        if tid is None and value.get("object") == "list" and isinstance(value.get("data"), list):
            for item in value["data"]:
                t = _thread(item)
                if t is not None:
                    return t
    return tid if isinstance(tid, str) else None


def partition_key(record: object) -> str:
    """The thread a record belongs to (``""`` when it names none): group a fleet's records by this.

    ``record`` is a row ``(file, line, record)`` or the record itself: an object, a list page, or an
    ``{"event", "data"}`` record (its data may be JSON text)."""
    if isinstance(record, tuple) and len(record) == 3:
        record = record[2]
    if isinstance(record, dict) and record.get("object") is None and "event" in record:
        hint = record.get("thread")
        if isinstance(hint, str):
            return hint
        data = record.get("data")
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except (ValueError, RecursionError):
                return ""
        return _thread(data, record.get("event")) or ""
    return _thread(record) or ""


def _row(f: Finding, fallback: str | None = None) -> dict[str, Any]:
    return {"file": f.source if f.source is not None else fallback, "line": f.line, "severity": f.severity,
            "code": f.code, "object_id": f.object_id, "message": f.message}


def _order(row: Row) -> tuple[str, int]:
    line = row[1]
    return str(row[0]), line if isinstance(line, int) else -1


def validate_group(records: Iterable[Row | Sequence[Any]], *, strict: bool = False,
                   version: str = spec.DEFAULT_VERSION, as_of: object = None) -> list[dict[str, Any]]:
    """Check one group of rows ``(file, line, record)`` (one thread's) and return its finding rows.

    The rows are put in log order (file, then line) first, so an engine may hand them over in any
    order.  Each row of the result is a dict with the keys of :data:`FINDING_COLUMNS`."""
    rows = sorted(((str(r[0]), r[1], r[2]) for r in records), key=_order)
    tracker = Tracker(strict, version, as_of=as_of)
    out: list[dict[str, Any]] = []
    for file, line, record in rows:
        if isinstance(record, dict) and record.get("object") == INPUT_ERROR:
            out.append({"file": file, "line": line, "severity": "error", "code": str(record.get("code")),
                        "object_id": None, "message": str(record.get("message"))})
            continue
        for f in tracker.feed_record(record, source=file, line=line if isinstance(line, int) else None):
            out.append(_row(f, file))
    for f in tracker.close():
        out.append(_row(f))
    return out


def dask_findings(paths: Sequence[str | Path], *, strict: bool = False, version: str = spec.DEFAULT_VERSION,
                  npartitions: int | None = None) -> Any:
    """A ``dask.bag`` of finding rows for many files, grouped by thread (compute it on any scheduler).

    >>> rows = dask_findings(["a.jsonl", "b.jsonl"]).compute()  # doctest: +SKIP
    """
    try:
        db = importlib.import_module("dask.bag")
    except ImportError:
        from ..errors import MissingExtra

        raise MissingExtra("dask", "dask", "The Dask integration (runfsm.validate.fleet.dask_findings)") from None
    names = [str(p) for p in paths]
    files = db.from_sequence(names, npartitions=npartitions or max(1, min(len(names), 64)))
    rows = files.map(lambda p: list(records_of(p))).flatten()
    groups = rows.groupby(partition_key)
    return groups.map(lambda kv: validate_group(kv[1], strict=strict, version=version)).flatten()
