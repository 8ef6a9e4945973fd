"""Hypothesis strategies for the run lifecycle, derived from the spec.

Use them to test your own client code against every legal (and illegal) thing
the Assistants-style API can do::

    from hypothesis import given
    from runfsm import strategies as rs

    @given(rs.status_paths("run", view="poll"))
    def test_my_poll_loop_stops(path): ...

Everything here is computed from :mod:`runfsm.spec` through the compiled
:class:`~runfsm.Lifecycle` tables: statuses, edges, field rules, value domains,
event names.  Nothing is restated.  Each strategy takes ``version`` (``"v2"`` or
``"v1"``) and, where it matters, ``strict`` (doc and wire edges only) or
tolerant (inferred edges too).  A ``profile`` or ``lifecycle`` argument
replaces the compiled one, so the same strategies can drive a modified
lifecycle (the project's mutation tests do that).

Shrinking: every choice is an integer, a boolean or a ``sampled_from`` whose
first element is the most common case, so a failing example shrinks toward the
short, everyday path (``queued -> in_progress -> completed``) and the plainest
object of each status.

The strategies live in private modules by domain (``_paths``, ``_objects``,
``_streams``, ...); import them from here.  This package imports Hypothesis;
``import runfsm`` never imports it.
"""

from __future__ import annotations

try:  # before any private module imports it, so that a missing Hypothesis names its extra
    from hypothesis import strategies as _st  # noqa: F401
except ModuleNotFoundError as exc:  # say which extra installs it, not a bare ModuleNotFoundError
    from ..errors import MissingExtra

    raise MissingExtra("testing", exc.name or "hypothesis", "runfsm.strategies") from None

from ._common import KINDS
from ._histories import illegal_run_histories, run_histories, run_snapshots
from ._objects import RuleBreak, messages, rule_breaks, run_steps, runs, wire_objects
from ._paths import illegal_stream_paths, illegal_transitions, poll_paths, status_paths, transition_paths
from ._rules import broken_rules, field_requirement
from ._scripts import model_scripts, script_tools
from ._sdk import as_sdk, sdk_objects
from ._streams import run_event_streams

__all__ = [
    "KINDS",
    "RuleBreak",
    "as_sdk",
    "broken_rules",
    "field_requirement",
    "illegal_run_histories",
    "illegal_stream_paths",
    "illegal_transitions",
    "messages",
    "model_scripts",
    "poll_paths",
    "rule_breaks",
    "run_event_streams",
    "run_histories",
    "run_snapshots",
    "run_steps",
    "runs",
    "script_tools",
    "sdk_objects",
    "status_paths",
    "transition_paths",
    "wire_objects",
]
