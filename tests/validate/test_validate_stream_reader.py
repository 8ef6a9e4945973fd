"""The streaming reader: format per line, bounded memory, linear time, one finding per bad thing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm.validate import validate_paths
from runfsm.validate._reader import Bad, Event, Record, read_bytes
from runfsm.validate._records import json_backend, read_chunks, read_file, split_lines

T0 = 1_700_000_000


def run(status: str, rid: str = "run_1", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=rid, object="thread.run", created_at=T0, thread_id="thread_1", assistant_id="a", status=status,
             model="m", tools=[], metadata={}, expires_at=T0 + 600)
    if status != "queued":
        d["started_at"] = T0 + 1
    if status == "completed":
        d.update(completed_at=T0 + 3, expires_at=None)
    d.update(kw)
    return d


def kinds(data: bytes, **kw: Any) -> list[tuple[str, int | None]]:
    out = []
    for it in read_chunks((data,), "f", **kw):
        out.append((it.error.code, it.error.line) if isinstance(it, Bad) else (type(it).__name__, it.line))
    return out


def codes(path: Path, **kw: Any) -> list[str]:
    return validate_paths([path], **kw).codes()


# --- the format is decided per line ----------------------------------------------------------


def test_a_jsonl_file_with_sse_looking_lines_keeps_its_records(tmp_path: Path) -> None:
    p = tmp_path / "log.jsonl"
    p.write_text(": recorded by proxy\nid: 1\n" + json.dumps(run("completed")) + "\n"
                 + json.dumps(run("in_progress")) + "\n")
    assert "run.terminal_left" in codes(p)  # the first line used to turn the file into "not SSE" lines
    assert not [c for c in codes(p) if c.startswith("input.")]


def test_an_sse_file_may_begin_with_headers_and_mix_in_json_lines(tmp_path: Path) -> None:
    created, done = json.dumps(run("queued")), json.dumps(run("completed"))
    body = (f"HTTP/1.1 200 OK\ncontent-type: text/event-stream\n\nevent: thread.run.created\ndata: {created}\n\n"
            f"event: thread.run.completed\ndata: {done}\n{json.dumps(run('in_progress'))}\nevent: done\n"
            "data: [DONE]\n\n")
    items = list(read_bytes(body.encode(), "s"))
    assert [type(i).__name__ for i in items] == ["Bad", "Bad", "Event", "Event", "Record", "Event"]
    assert items[2] == Event("thread.run.created", created, 5)
    p = tmp_path / "mixed.sse"
    p.write_text(body)
    found = validate_paths([p]).findings
    assert [(f.code, f.line) for f in found if f.code.startswith("input.")] == [("input.json", 1), ("input.json", 2)]
    assert ("run.terminal_left", 9) in [(f.code, f.line) for f in found]


def test_pretty_documents_arrays_and_indented_json_are_records() -> None:
    pretty = json.dumps(run("queued"), indent=2)
    array = "[\n" + ",\n".join(json.dumps(run("queued")) for _ in range(2)) + "\n]"
    data = f"{pretty}\n{array}\n   {json.dumps(run('queued'))}\n".encode()
    got = kinds(data)
    assert [k for k, _ in got] == ["Record", "Record", "Record"]
    assert [n for _, n in got] == [1, pretty.count("\n") + 2, pretty.count("\n") + 6]


# --- bounded memory and the maximum record size -----------------------------------------------


def test_a_line_longer_than_the_maximum_is_one_finding_and_the_rest_is_read(tmp_path: Path) -> None:
    p = tmp_path / "huge.jsonl"
    with open(p, "wb") as f:
        f.write(json.dumps(run("completed")).encode() + b"\n")
        f.write(b"\x00" * 3_000_000 + b"\n")  # /dev/zero with an end
        f.write(b"{" + b" " * 3_000_000 + b"\n")  # an endless document
        f.write(json.dumps(run("in_progress")).encode() + b"\n")
    found = validate_paths([p], max_record=1_000_000).findings
    assert [(f.code, f.line) for f in found] == [("input.too_long", 2), ("input.too_long", 3),
                                                 ("run.terminal_left", 4)]
    assert "maximum record size" in found[0].message and "--max-record" in found[0].message


def test_a_line_that_never_ends_costs_no_memory() -> None:
    def zeros() -> Any:
        for _ in range(64):
            yield b"\x00" * 1_000_000

    tracemalloc.start()
    try:
        got = list(split_lines(zeros(), max_record=2_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == [(None, 1)]
    assert peak < 8_000_000  # 64 MB went through


def test_memory_does_not_grow_with_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runfsm.validate._records as records

    monkeypatch.setattr(records, "CHUNK", 64 * 1024)  # so that both files are many chunks
    line = json.dumps(run("in_progress")).encode() + b"\n"

    def peak_for(n: int) -> int:
        p = tmp_path / f"{n}.jsonl"
        p.write_bytes(json.dumps(run("queued")).encode() + b"\n" + line * n)
        tracemalloc.start()
        try:
            validate_paths([p])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, big = peak_for(2_000), peak_for(40_000)  # 0.9 MB and 18 MB
    assert big < small * 1.2


def test_stdin_stream_of_endless_records_is_read_as_it_comes() -> None:
    code = ("import sys\nfrom runfsm._cli import main\nsys.exit(main(['validate', '-']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    out, err = proc.communicate(b"{}\n" * 20_000, timeout=120)  # `yes '{}'`, cut short
    assert proc.returncode == 2 and b"Traceback" not in err
    assert b"input.object" in out and b"9980 more unreadable line(s) not shown" in out
    assert b"input.unlisted" in out and b"10000 more unreadable line(s) after the first 10000" in out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_without_a_writer_is_reported_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (item,) = list(read_file(fifo, fifo_wait=0.2))
    assert isinstance(item, Bad) and item.error.code == "input.file" and "named pipe" in item.error.reason
    # and with a writer, it is read
    data = json.dumps(run("queued")).encode() + b"\n"

    def write() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=write)
    t.start()
    got = list(read_file(fifo, fifo_wait=10))
    t.join()
    assert [type(i) for i in got] == [Record]


# --- linear time on unreadable lines ----------------------------------------------------------


def test_python_repr_lines_get_one_hint_and_a_count(tmp_path: Path) -> None:
    p = tmp_path / "repr.log"
    rows = [repr({"object": "thread.run", "id": f"run_{i}", "status": "queued", "ok": True}) for i in range(500)]
    p.write_text("\n".join([*rows[:250], json.dumps(run("queued")), *rows[250:]]) + "\n")
    found = validate_paths([p]).findings
    inputs = [f for f in found if f.code.startswith("input.")]
    assert len(inputs) == 2
    assert inputs[0].line == 1 and "repr()" in inputs[0].message and "json.dumps" in inputs[0].message
    assert inputs[1].line == 501 and "499 more line(s)" in inputs[1].message


@pytest.mark.parametrize("pattern", [
    "{'object': 'thread.run', 'id': 'r', 'status': None}",  # Python repr
    '{"id": "run_1", "status": "in_pro',  # truncated records
    "[" * 40,  # openings that never close
    '{"a":',  # a document that never ends, over and over
    '{"a":\n  "b",',  # pretty-printed documents that never close
    "not json at all",
    "\x00\x01\x02",
])
def test_unreadable_lines_cost_linear_work(pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # every character handed to a JSON parser is counted: reading n lines parses O(n) characters,
    # never the rest of the input again after each error (which made 100,000 lines take minutes)
    import types

    import runfsm.validate._records as records

    parsed = [0]

    def counting(text: str | bytes) -> object:
        parsed[0] += len(text)
        return json.loads(text)

    fake = types.SimpleNamespace(loads=counting, JSONDecodeError=json.JSONDecodeError, JSONDecoder=json.JSONDecoder)
    monkeypatch.setattr(records, "json", fake)
    data = (pattern + "\n").encode() * 5_000
    items = list(read_chunks((data,), "x", fast=False))
    assert items and all(isinstance(i, Bad) for i in items)
    assert parsed[0] <= 3 * len(data)


# --- orjson gives the same items ------------------------------------------------------------


@given(st.lists(st.sampled_from([
    json.dumps(run("queued")), '{"id": "\\ud800", "object": "thread.run"}', '{"n": 1' + "0" * 30 + "}",
    '{"x": NaN}', "[1, 2]", '{"a": 1}}', "{'a': 1}", ": comment", "event: thread.run.created",
    "data: {}", "", "   ", "\t{\"a\": 1}", "{", "}", "\ufeff{}", '{"k": "é"}',
]), max_size=25))
def test_orjson_and_json_read_the_same(lines: list[str]) -> None:
    pytest.importorskip("orjson")
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    plain = list(read_chunks((data,), "f", fast=False))
    fast = list(read_chunks((data,), "f", fast=True))
    assert repr(plain) == repr(fast)


def test_json_backend_names_the_extra_when_orjson_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import runfsm.validate._records as records

    monkeypatch.setattr(records, "_FAST", [None])
    assert json_backend() is json.loads
    with pytest.raises(Exception, match=r"pip install 'runfsm\[orjson\]'"):
        json_backend(True)


@given(st.binary(max_size=300), st.lists(st.integers(1, 50), max_size=10))
def test_chunking_never_changes_what_is_read(data: bytes, cuts: list[int]) -> None:
    whole = list(read_chunks((data,), "f"))
    chunks, pos = [], 0
    for c in cuts:
        chunks.append(data[pos:pos + c])
        pos += c
    chunks.append(data[pos:])
    assert repr(list(read_chunks(chunks, "f"))) == repr(whole)
