"""``runfsm diagram --trace``: hostile run ids give safe, distinct, short, stable file names; unknown statuses are drawn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm._cli import main as runfsm_main
from runfsm.diagrams import write_all
from runfsm.diagrams._overlay import trace_stem

T0 = 1_700_000_000
HOSTILE = ["run_\ud800", "run_\udc00", "运行_北京", "运行_上海", "x" * 300, "x" * 301, "a/b", "a\\b", "a\nb",
           "Run_A", "run_a", "../../etc", "", " ", "run_1\x1b[2J", "run_1"]


def run(rid: str, status: str = "queued") -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=rid, object="thread.run", created_at=T0, thread_id="t", assistant_id="a", status=status, model="m",
             tools=[], metadata={}, expires_at=T0 + 600)
    return d


def trace(tmp_path: Path, ids: list[str]) -> Path:
    p = tmp_path / "t.jsonl"
    p.write_text("\n".join(json.dumps(run(i)) for i in ids) + "\n", encoding="utf-8", errors="surrogatepass")
    return p


@given(st.text(max_size=120))
def test_a_stem_is_safe_short_and_stable(run_id: str) -> None:
    stem = trace_stem(run_id)
    assert stem == trace_stem(run_id) and 0 < len(stem) <= 53
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in stem)
    assert not stem.startswith(".")


@given(st.lists(st.text(max_size=30), unique=True, min_size=2, max_size=6))
def test_distinct_ids_get_distinct_hashed_stems(ids: list[str]) -> None:
    assert len({trace_stem(i, hashed=True).casefold() for i in ids}) == len(ids)


def test_every_hostile_id_gets_its_own_diagram(tmp_path: Path) -> None:
    ids = [i for i in HOSTILE if i.strip()]  # an empty or blank id is not a run id: the validator says so
    written = write_all(tmp_path / "out", formats=["dot", "mermaid"], trace=trace(tmp_path, ids))
    names = [p.name for p in written]
    assert len(names) == 2 * len(ids) == len({n.casefold() for n in names})
    assert "trace-run_1.dot" in names and "trace-Run_A.dot" in names  # plain ids keep their name
    for p in written:
        text = p.read_text(encoding="utf-8")  # valid UTF-8: lone surrogates were escaped
        assert "\x1b" not in text
    again = write_all(tmp_path / "again", formats=["dot"], trace=trace(tmp_path, ids))
    assert [p.name for p in again] == [n for n in names if n.endswith(".dot")]


def test_an_unknown_status_is_drawn_as_the_docs_say(tmp_path: Path) -> None:
    p = tmp_path / "u.jsonl"
    p.write_text("\n".join(json.dumps(x) for x in (run("run_1"), run("run_1", "in_progres"), run("run_2", "bogus")))
                 + "\n")
    written = {w.name: w.read_text(encoding="utf-8") for w in write_all(tmp_path / "o", formats=["dot", "mermaid"],
                                                                          trace=p)}
    assert "unknown status" in written["trace-run_1.dot"] and "in_progres" in written["trace-run_1.dot"]
    assert "unknown status" in written["trace-run_1.mmd"]
    assert "bogus" in written["trace-run_2.dot"]  # a run seen only in an unknown status still gets its picture


def test_one_unwritable_diagram_does_not_block_the_others(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    (out / "trace-run_a.dot").mkdir(parents=True)  # a directory where one file should go
    code = runfsm_main(["diagram", "--format", "dot", "--out", str(out), "--trace",
                        str(trace(tmp_path, ["run_a", "run_b"]))])
    assert code == 2
    assert (out / "trace-run_b.dot").is_file()
    assert "cannot write trace-run_a" in capsys.readouterr().err
