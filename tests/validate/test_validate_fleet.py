"""The fleet API: group by thread anywhere, check each group, get rows with a fixed schema; Dask runs it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from runfsm import spec
from runfsm.validate import validate_paths
from runfsm.validate.fleet import FINDING_COLUMNS, dask_findings, partition_key, records_of, validate_group

T0 = 1_700_000_000


def run(status: str, i: int, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=f"run_{i}", object="thread.run", created_at=T0 + i, thread_id=f"thread_{i}", assistant_id="a",
             status=status, model="m", tools=[], metadata={}, expires_at=T0 + i + 600)
    if status != "queued":
        d["started_at"] = T0 + i + 1
    if status == "completed":
        d.update(completed_at=T0 + i + 3, expires_at=None)
    d.update(kw)
    return d


def fleet(tmp_path: Path) -> list[Path]:
    """Three machines' logs of interleaved threads (one run leaves a terminal status), a stream, junk."""
    paths = []
    for m in range(3):
        threads = []
        for i in range(m * 10, m * 10 + 10):
            seq = ["queued", "in_progress", "completed"] + (["in_progress"] if i % 7 == 3 else [])
            threads.append([json.dumps(run(s, i)) for s in seq])
        ordered = [t[k] for k in range(4) for t in threads if k < len(t)]  # round robin: threads interleave
        ordered.insert(4, "{'python': 'repr'}")
        p = tmp_path / f"m{m}.jsonl"
        p.write_text("\n".join(ordered) + "\n", encoding="utf-8")
        paths.append(p)
    sse = tmp_path / "m3.sse"
    events = [("thread.run.created", run("queued", 90)), ("thread.run.queued", run("queued", 90)),
              ("thread.run.in_progress", run("in_progress", 90)), ("thread.run.completed", run("completed", 90))]
    sse.write_text("".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events) + "event: done\ndata: [DONE]\n\n")
    paths.append(sse)
    return paths


def rows_key(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(r[c] for c in FINDING_COLUMNS) for r in rows)


def report_rows(paths: list[Path]) -> list[tuple[Any, ...]]:
    report = validate_paths(paths, separate=True)
    return sorted((f.source, f.line, f.severity, f.code, f.object_id, f.message) for f in report.findings)


def test_partition_key_is_the_thread() -> None:
    assert partition_key(run("queued", 1)) == "thread_1"
    assert partition_key(("f", 3, run("queued", 1))) == "thread_1"
    assert partition_key({"object": "list", "data": [run("queued", 2)]}) == "thread_2"
    assert partition_key({"event": "thread.created", "data": json.dumps({"id": "thread_9", "object": "thread"})}) \
        == "thread_9"
    assert partition_key({"event": "thread.run.created", "data": run("queued", 4)}) == "thread_4"
    for nothing in ({"event": "done", "data": "[DONE]"}, {"object": "thread.run"}, 5, None, [1], {"data": "{"}):
        assert partition_key(nothing) == ""


def test_groups_checked_anywhere_give_the_same_findings_as_the_files(tmp_path: Path) -> None:
    paths = fleet(tmp_path)
    rows = [r for p in paths for r in records_of(p)]
    groups: dict[str, list[Any]] = {}
    for r in random.Random(1).sample(rows, len(rows)):  # any order: the engine shuffles
        groups.setdefault(partition_key(r), []).append(r)
    found = [f for g in groups.values() for f in validate_group(g)]
    assert all(tuple(f) == FINDING_COLUMNS for f in found)
    assert rows_key(found) == report_rows(paths)
    assert {f["code"] for f in found} >= {"run.terminal_left", "input.json"}
    assert "" in groups and len(groups) > 20  # the unreadable lines, and one group per thread


def test_dask_bag_over_many_files_on_a_local_scheduler(tmp_path: Path) -> None:
    dask = pytest.importorskip("dask")
    paths = fleet(tmp_path)
    with dask.config.set(scheduler="threads", num_workers=2):
        rows = dask_findings(paths, npartitions=2).compute()
    assert rows_key(rows) == report_rows(paths)
    with dask.config.set(scheduler="synchronous"):
        assert rows_key(dask_findings(paths[:1]).compute()) == report_rows(paths[:1])


def test_a_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib

    real = importlib.import_module

    def no_dask(name: str, *args: Any) -> Any:
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_dask)
    with pytest.raises(Exception, match=r"pip install 'runfsm\[dask\]'"):
        dask_findings([tmp_path / "x.jsonl"])
