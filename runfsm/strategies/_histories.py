"""Run histories: the run objects one client sees along a path of statuses, legal or not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from .. import spec
from ..errors import SpecError
from ..lifecycle import Profile
from ._common import _BASE_TIME, _draw_ids, _resolve
from ._paths import illegal_stream_paths, status_paths
from ._sdk import sdk_objects
from ._streams import _Stream
from ._values import _calls

# --- one run's snapshots along a path ----------------------------------------------------------


def _snapshots(draw: st.DrawFn, prof: Profile, path: Sequence[str]) -> list[dict[str, Any]]:
    """Run objects of one run through ``path`` (legal or not), each valid for its status, time moving on."""
    lc = prof.run
    working = frozenset({lc.working} if lc.working else ())
    clock_made = frozenset(t.dest for t in lc.transitions if t.actor == "clock")
    s = _Stream(draw, prof, _draw_ids(draw), _BASE_TIME + draw(st.integers(0, 10**7)), spec.STEP_EXPIRY_KEYS[0])
    out = []
    for i, status in enumerate(path):
        if i:
            s.tick(clock=status in clock_made)
        if status in working and (i == 0 or path[i - 1] != status):
            s.started = s.now
        s.calls = _calls(draw, f"{i}x") if status in lc.paused else []
        if status in lc.terminal and s.usage is None:
            s.usage = {"prompt_tokens": 20, "completion_tokens": 11, "total_tokens": 31}
        out.append(s.run(status))
    return out


def run_histories(
    *,
    view: str = "poll",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 12,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """What a client polling one run sees: its run objects along a legal path (see :func:`status_paths`).

    Every snapshot is valid for its status; ids and ``created_at`` never change,
    time moves forward, ``started_at`` is re-stamped each time the run starts
    working again.  ``view="stream"`` gives one snapshot per status change.
    """
    prof = _resolve(version, profile)
    paths = status_paths("run", view=view, strict=strict, version=version, max_steps=max_steps, profile=prof,
                         repeats=view == "poll")

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        return _snapshots(draw, prof, draw(paths))

    return sdk_objects(build()) if sdk else build()


def illegal_run_histories(
    *,
    view: str = "poll",
    strict: bool = False,
    version: str = spec.DEFAULT_VERSION,
    max_steps: int = 8,
    profile: Profile | None = None,
) -> st.SearchStrategy[tuple[list[dict[str, Any]], int]]:
    """Run snapshots along a path with exactly one illegal step, and that step's index.

    ``(snapshots, i)``: only ``snapshots[i - 1]["status"] -> snapshots[i]["status"]``
    breaks the lifecycle (``view="stream"``: not one edge; ``"poll"``: not
    reachable).  Each snapshot on its own is valid for its status.
    """
    prof = _resolve(version, profile)
    paths = illegal_stream_paths("run", view=view, strict=strict, version=version, max_steps=max_steps, profile=prof)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
        path, index = draw(paths)
        return _snapshots(draw, prof, path), index

    return build()


def run_snapshots(
    path: Sequence[str],
    *,
    version: str = spec.DEFAULT_VERSION,
    profile: Profile | None = None,
    sdk: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Run objects of one run through the given statuses, legal or not, each valid for its status.

    For hand-picked sequences (``["queued", "completed"]``) where :func:`run_histories`
    draws the path: ids and ``created_at`` stay fixed, time moves forward,
    ``started_at`` is stamped when the run starts working and kept after.
    """
    prof = _resolve(version, profile)
    statuses = [prof.run.require_status(s) for s in path]
    if not statuses:
        raise SpecError("run_snapshots needs at least one status")

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        return _snapshots(draw, prof, statuses)

    return sdk_objects(build()) if sdk else build()
