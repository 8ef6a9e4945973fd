"""One-shot checks of a whole trace or a set of files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import spec
from .findings import Report
from .reader import read_path
from .tracker import Tracker

__all__ = ["validate_paths", "validate_trace"]


def validate_trace(items: Iterable[object], strict: bool = False, version: str = spec.DEFAULT_VERSION) -> Report:
    """Check a whole trace: records (objects, list pages, ``{"event", "data"}`` dicts, JSON
    text, SDK models) and ``(event, data)`` pairs, in the order they were received."""
    tracker = Tracker(strict, version)
    for item in items:
        tracker.feed_record(item)
    tracker.close()
    return tracker.report()


def validate_paths(
    paths: Sequence[str | Path] | str | Path,
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    *,
    separate: bool = False,
) -> Report:
    """Check files (JSON Lines, JSON or SSE text, recognised by content; ``"-"`` is stdin).

    By default the files are one log, in the order given: a run seen in one
    file and again in the next is one run.  Each SSE file is its own stream.
    ``separate=True`` checks every file on its own; the report's histories
    are then keyed ``"<file>#<run id>"``.  Unreadable input becomes findings
    of kind ``"input"``; it never stops the other lines or files.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not separate:
        tracker = Tracker(strict, version)
        for path in paths:
            _feed_file(tracker, path)
        tracker.close()
        return tracker.report()
    report = Report(strict=strict, version=version)
    for path in paths:
        tracker = Tracker(strict, version)
        name = _feed_file(tracker, path)
        tracker.close(source=name)
        one = tracker.report()
        report.findings.extend(one.findings)
        report.histories.update({f"{name}#{k}": v for k, v in one.histories.items()})
        report.transitions.update({f"{name}#{k}": v for k, v in one.transitions.items()})
    return report


def _feed_file(tracker: Tracker, path: str | Path) -> str:
    name = "<stdin>" if str(path) == "-" else str(path)
    key = ("file", name)
    tracker.begin_stream(key)
    tracker.feed_items(read_path(path), source=name, stream=key)
    tracker.end_stream(key, source=name)
    return name
