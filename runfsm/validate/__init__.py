"""The validation layer: check runs, run steps, messages and event streams against the spec.

>>> from runfsm.validate import validate_trace
>>> report = validate_trace([
...     {"object": "thread.run", "id": "run_1", "thread_id": "t", "status": "completed",
...      "created_at": 1, "started_at": 1, "completed_at": 2},
...     {"object": "thread.run", "id": "run_1", "thread_id": "t", "status": "in_progress",
...      "created_at": 1, "started_at": 1},
... ])
>>> [f.code for f in report.errors]
['run.terminal_left']

* :class:`Tracker`: feed objects and events one at a time, get findings at once.
* :func:`validate_trace` / :func:`validate_paths`: one-shot checks of a trace or files.
* :class:`Finding`, :class:`Report`, :class:`InputError`: what comes out.

See ``docs/validate.md`` for every check, its code and its severity.
"""

from __future__ import annotations

from ._batch import validate_paths, validate_trace
from ._findings import ERROR, INFO, WARNING, Finding, InputError, Report
from ._generic import LifecycleTracker, validate_objects
from ._responses import ResponsesTracker
from ._tracker import Tracker

__all__ = [
    "ERROR",
    "INFO",
    "WARNING",
    "Finding",
    "InputError",
    "LifecycleTracker",
    "Report",
    "ResponsesTracker",
    "Tracker",
    "validate_objects",
    "validate_paths",
    "validate_trace",
]
