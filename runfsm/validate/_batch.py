"""One-shot checks of a whole trace or a set of files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import spec
from ._findings import InputError, Report
from ._mixed import MixedTracker
from ._reader import Bad
from ._recordings import feed_recording, is_recording
from ._records import MAX_RECORD, read_file
from ._tracker import Tracker

__all__ = ["empty_finding", "source_name", "validate_paths", "validate_trace"]


def validate_trace(items: Iterable[object], strict: bool = False, version: str = spec.DEFAULT_VERSION, *,
                   as_of: object = None) -> Report:
    """Check a whole trace: records (objects, list pages, ``{"event", "data"}`` dicts, JSON
    text, SDK models) and ``(event, data)`` pairs, in the order they were received.

    Each run, step and message is judged by the rules in force on the day of its
    ``created_at``, or on the day ``as_of`` for all of them (see :class:`Tracker`)."""
    tracker = MixedTracker(strict, version, as_of=as_of)
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
    allow_empty: bool = False,
    max_record: int = MAX_RECORD,
    jobs: int = 1,
    as_of: object = None,
) -> Report:
    """Check files (JSON Lines, JSON or SSE text, or Azure test proxy recordings, recognised by content;
    ``"-"`` is stdin).

    By default the files are one log, in the order given: a run seen in one
    file and again in the next is one run.  Each SSE file is its own stream.
    ``separate=True`` checks every file on its own; the report's histories
    are then keyed ``"<file>#<run id>"``.  Unreadable input becomes findings
    of kind ``"input"``; it never stops the other lines or files.  A file with
    nothing in it is an ``input.empty`` finding unless ``allow_empty``; a record
    longer than ``max_record`` bytes is an ``input.too_long`` finding.
    ``jobs=N`` checks the threads in N processes (see
    :mod:`runfsm.validate._parallel`); the report is the same as with one.
    ``as_of`` judges everything by the rules of that day instead of each
    object's own ``created_at``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, not {jobs!r}")
    if isinstance(max_record, bool) or not isinstance(max_record, int) or max_record < 1:
        raise ValueError(f"max_record must be a positive number of bytes, not {max_record!r}")
    if jobs > 1 and not separate and all(Path(p).is_file() and not is_recording(p) for p in paths if str(p) != "-") \
            and "-" not in map(str, paths):
        # every process reads the files itself: standard input and pipes are read by one
        from ._parallel import validate_parallel

        return validate_parallel(paths, jobs, strict=strict, version=version, allow_empty=allow_empty,
                                 max_record=max_record, as_of=as_of)
    if not separate:
        tracker = MixedTracker(strict, version, as_of=as_of)
        for path in paths:
            _feed_file(tracker, path, allow_empty, max_record)
        tracker.close()
        return tracker.report()
    report = Report(strict=strict, version=version, as_of=Tracker(strict, version, as_of=as_of).as_of)
    for path in paths:
        tracker = MixedTracker(strict, version, as_of=as_of)
        name = _feed_file(tracker, path, allow_empty, max_record)
        tracker.close(source=name)
        one = tracker.report()
        report.findings.extend(one.findings)
        report.histories.update({f"{name}#{k}": v for k, v in one.histories.items()})
        report.transitions.update({f"{name}#{k}": v for k, v in one.transitions.items()})
        report.unknown_statuses.update({f"{name}#{k}": v for k, v in one.unknown_statuses.items()})
        report.add_periods(one.periods)
    return report


def source_name(path: str | Path) -> str:
    """How findings name a file (``"<stdin>"`` for ``"-"``)."""
    return "<stdin>" if str(path) == "-" else str(path)


def empty_finding(name: str) -> Bad:
    """The finding for an input with nothing in it."""
    return Bad(InputError("nothing to check: the input is empty (pass --allow-empty, or allow_empty=True, "
                          "if that is fine)", source=name, code="input.empty"))


def _feed_file(tracker: Tracker, path: str | Path, allow_empty: bool = False, max_record: int = MAX_RECORD) -> str:
    name = source_name(path)
    if str(path) != "-" and is_recording(path):  # one JSON document of HTTP exchanges
        before = len(tracker.findings)
        if not feed_recording(tracker, path, name) and not allow_empty and len(tracker.findings) == before:
            tracker.feed_items([empty_finding(name)], source=name)
        return name
    key = ("file", name)
    tracker.begin_stream(key)
    seen = tracker.feed_counted(read_file(path, max_record=max_record), source=name, stream=key)
    if not seen and not allow_empty:
        tracker.feed_items([empty_finding(name)], source=name, stream=key)
    tracker.end_stream(key, source=name)
    return name

