"""``--jobs N``: threads checked in N processes give exactly the report of one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runfsm import spec
from runfsm._cli import main as runfsm_main
from runfsm.validate import validate_paths
from runfsm.validate._parallel import _share, merge, thread_partition

T0 = 1_700_000_000


def run(i: int, status: str, thread: int | None = None, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=f"run_{i}", object="thread.run", created_at=T0 + i, thread_id=f"thread_{i if thread is None else thread}",
             assistant_id="a", status=status, model="m", tools=[], metadata={}, expires_at=T0 + i + 600)
    if status not in ("queued",):
        d["started_at"] = T0 + i + 1
    if status == "completed":
        d.update(completed_at=T0 + i + 5, expires_at=None)
    d.update(kw)
    return d


def stream_events(i: int, thread: int) -> list[dict[str, Any]]:
    """One streamed run as ``{"event", "data", "stream"}`` records (the stream key is the thread)."""
    key = f"s{thread}"
    base = run(i, "queued", thread)
    out = [{"event": "thread.run.created", "data": base, "stream": key},
           {"event": "thread.run.queued", "data": base, "stream": key},
           {"event": "thread.run.in_progress", "data": run(i, "in_progress", thread), "stream": key},
           {"event": "thread.run.completed", "data": run(i, "completed", thread), "stream": key},
           {"event": "done", "data": "[DONE]", "stream": key}]
    return out


def thread_lines(t: int, kind: int) -> list[str]:
    """The log of one thread: two runs polled (the second may break a rule), or a stream."""
    a, b = 10 * t, 10 * t + 1
    if kind == 0:
        seq = [run(a, "queued", t), run(a, "in_progress", t), run(a, "in_progress", t), run(a, "completed", t),
               run(b, "queued", t), run(b, "completed", t), run(b, "in_progress", t)]  # terminal_left
    elif kind == 1:  # two runs active at once on one thread, and a list page
        seq = [run(a, "in_progress", t), run(b, "in_progress", t),
               {"object": "list", "data": [run(a, "in_progress", t), run(b, "in_progress", t)]}]
    elif kind == 2:
        seq = stream_events(a, t)
    else:  # an abandoned stream, then unreadable lines
        seq = stream_events(a, t)[:3] + stream_events(b, t)
        return [json.dumps(x) for x in seq] + ["{'python': True}", "\x00"]
    return [json.dumps(x) for x in seq]


def interleave(logs: list[list[str]], order: list[int]) -> list[str]:
    """Merge per-thread logs, keeping each one's order; ``order`` picks which thread speaks next."""
    pos = [0] * len(logs)
    out: list[str] = []
    live = [i for i, log in enumerate(logs) if log]
    k = 0
    while live:
        t = live[order[k % len(order)] % len(live)] if order else live[0]
        k += 1
        out.append(logs[t][pos[t]])
        pos[t] += 1
        if pos[t] == len(logs[t]):
            live.remove(t)
    return out


def one_vs_shares(paths: list[str], jobs: int) -> tuple[Any, Any]:
    one = validate_paths(paths)
    shares = [_share(paths, jobs, me, False, "v2", False, 1 << 20, None) for me in range(jobs)]
    return one, merge(shares, strict=False, version="v2")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.integers(0, 3), min_size=2, max_size=8), order=st.lists(st.integers(0, 50), max_size=80),
       jobs=st.integers(2, 4))
def test_findings_are_identical_to_one_process(tmp_path: Path, kinds: list[int], order: list[int],
                                               jobs: int) -> None:
    lines = interleave([thread_lines(t, k) for t, k in enumerate(kinds)], order)
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sse = tmp_path / "s.sse"
    sse.write_text("".join(f"event: {e['event']}\ndata: {json.dumps(e['data'])}\n\n"
                           for e in stream_events(99, 99) + stream_events(98, 0)), encoding="utf-8")
    one, many = one_vs_shares([str(p), str(sse)], jobs)
    assert many.findings == one.findings
    assert list(many.histories.items()) == list(one.histories.items())
    assert many.transitions == one.transitions


def test_the_threads_really_are_spread_over_the_workers() -> None:
    assert {thread_partition(f"thread_{i}", 3) for i in range(30)} == {0, 1, 2}
    assert thread_partition("thread_1", 4) == thread_partition("thread_1", 4)


def test_jobs_in_real_processes_and_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = interleave([thread_lines(t, t % 4) for t in range(12)], [3, 1, 4, 1, 5, 9, 2, 6])
    p = tmp_path / "log.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = validate_paths([p])
    two = validate_paths([p], jobs=2)
    assert two.findings == one.findings and two.histories == one.histories
    assert {f.code for f in one.findings} >= {"run.terminal_left", "run.thread_locked", "input.json"}
    assert runfsm_main(["validate", str(p)]) == runfsm_main(["validate", "--jobs", "2", str(p)]) == 2
    out = capsys.readouterr().out
    half = len(out) // 2
    assert out[:half] == out[half:]


def test_jobs_must_be_a_positive_integer(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(run(1, "queued")) + "\n")
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="jobs must be a positive integer"):
            validate_paths([p], jobs=bad)  # type: ignore[arg-type]


def test_endless_garbage_is_counted_not_kept_the_same_in_both_modes(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import runfsm.validate._parallel as parallel
    import runfsm.validate._tracker as tracker

    monkeypatch.setattr(tracker, "LISTED_PER_FILE", 5)
    monkeypatch.setattr(parallel, "LISTED_PER_FILE", 5)
    p = tmp_path / "junk.jsonl"
    p.write_text("\n".join(["{}"] * 12 + [json.dumps(run(1, "completed")), json.dumps(run(1, "in_progress"))]
                           + ["nope"] * 3) + "\n")
    one, many = one_vs_shares([str(p)], 2)
    assert one.codes() == ["input.object"] * 5 + ["run.terminal_left", "input.unlisted"]
    assert "10 more unreadable line(s) after the first 5" in one.findings[-1].message
    assert many.findings == one.findings
