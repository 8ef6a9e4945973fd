"""Hostile and surprising input: a clear finding or error, the documented exit code, nothing lost, no traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm._cli import main as runfsm_main
from runfsm.validate import Tracker, validate_paths
from runfsm.validate._cli import escape

T0 = 1_700_000_000


def run(status: str, rid: str = "run_1", tid: str = "thread_1", created: int = T0, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id=rid, object="thread.run", created_at=created, thread_id=tid, assistant_id="a", status=status,
             model="m", tools=[], metadata={}, expires_at=created + 600)
    if status != "queued":
        d["started_at"] = created + 1
    if status == "completed":
        d.update(completed_at=created + 3, expires_at=None)
    d.update(kw)
    return d


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = runfsm_main(["validate", *args])
    return code, capsys.readouterr().out


# --- empty input ------------------------------------------------------------------------------


def test_empty_input_is_an_input_error_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    empty, blank = tmp_path / "empty.jsonl", tmp_path / "blank.jsonl"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n  \n\r\n")
    code, out = cli([str(empty)], capsys)
    assert code == 2 and f"{empty}: error input.empty" in out and "--allow-empty" in out and "OK" not in out
    assert cli([str(blank)], capsys)[0] == 2
    code, out = cli([str(empty), "--allow-empty"], capsys)
    assert code == 0 and out.rstrip().splitlines()[-1].startswith("OK:")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, out = cli(["-"], capsys)
    assert code == 2 and "<stdin>: error input.empty" in out
    # one empty file among good ones is still said, and the good ones are still checked
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(run("completed")) + "\n" + json.dumps(run("in_progress")) + "\n")
    codes = validate_paths([empty, good]).codes()
    assert codes[0] == "input.empty" and "run.terminal_left" in codes


# --- output that cannot be subverted or crash ----------------------------------------------


def test_ids_cannot_print_a_fake_line_or_escape_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "run_1\nOK: 1 file(s), 0 error(s)\x1b[2K\x1b[1A\u202e"
    p = tmp_path / "evil.jsonl"
    p.write_text(json.dumps(run("completed", rid=evil)) + "\n" + json.dumps(run("in_progress", rid=evil)) + "\n")
    code, out = cli([str(p)], capsys)
    assert code == 1
    assert "\x1b" not in out and "\u202e" not in out
    assert not [line for line in out.splitlines() if line.startswith("OK")]
    assert "run_1\\x0aOK: 1 file(s)" in out and "\\x1b[2K" in out and "\\u202e" in out


def test_lone_surrogates_are_escaped_in_text_and_valid_in_json(tmp_path: Path) -> None:
    p = tmp_path / "sur.jsonl"
    lines = [json.dumps(run("completed", rid="run_\ud800")), json.dumps(run("in_progress", rid="run_\ud800")),
             json.dumps(run("queued", rid="运行_北京"))]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    for extra in ([], ["--json"]):
        result = subprocess.run([sys.executable, "-m", "runfsm", "validate", str(p), *extra], capture_output=True,
                                timeout=120, env={"PYTHONIOENCODING": "utf-8", "PATH": ""})
        assert result.returncode == 1, result.stderr
        assert result.stderr == b""
        text = result.stdout.decode("utf-8")  # valid UTF-8 throughout
        assert "run_\\ud800" in text and "运行_北京" in text
        if extra:
            payload = json.loads(text)
            assert "run_\ud800" in payload["histories"] and payload["exit"] == 1
    # a terminal that only knows ASCII gets escapes, not a crash
    result = subprocess.run([sys.executable, "-m", "runfsm", "validate", str(p)], capture_output=True, timeout=120,
                            env={"PYTHONIOENCODING": "ascii", "PATH": ""})
    assert result.returncode == 1 and result.stderr == b"" and b"\\u8fd0" in result.stdout


@given(st.text(max_size=40))
def test_escape_leaves_one_printable_line(text: str) -> None:
    shown = escape(text)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown
    shown.encode("utf-8")  # never a lone surrogate
    assert all(0x20 <= ord(c) < 0x7f or ord(c) > 0x9f for c in shown)


# --- one id, two objects --------------------------------------------------------------------


def test_one_id_in_two_files_for_two_runs_is_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(json.dumps(run(s)) for s in ("queued", "in_progress", "completed")) + "\n")
    other = [run(s, tid="thread_2", created=T0 + 50) for s in ("queued", "in_progress", "in_progress", "completed")]
    b.write_text("\n".join(json.dumps(x) for x in other) + "\n")
    found = validate_paths([a, b]).findings
    assert [(f.code, f.source, f.line) for f in found] == [("run.id_reused", str(b), 1)]
    message = found[0].message
    assert f"{a}:1" in message and f"{b}:1" in message and "--separate" in message
    assert validate_paths([a, b], separate=True).findings == []
    code, out = cli([str(a), str(b)], capsys)
    assert code == 1 and out.count(": error ") == 1
    # the same run continued in a second file is one run, as before
    c = tmp_path / "c.jsonl"
    c.write_text(json.dumps(run("in_progress")) + "\n")
    assert [f.code for f in validate_paths([a, c]).findings] == ["run.terminal_left"]


# --- bounded, lossless memory ---------------------------------------------------------------


def test_an_evicted_run_still_cannot_leave_its_terminal_status() -> None:
    t = Tracker(keep_finished=2)
    for i in range(10):
        t.feed(run("completed", rid=f"run_{i}", tid=f"t{i}"))
    assert t.run_ids() == ["run_8", "run_9"]
    t.findings.clear()
    (f,) = [f for f in t.feed(run("in_progress", rid="run_0", tid="t0")) if f.severity == "error"]
    assert f.code == "run.terminal_left" and "completed" in f.message
    assert t.history("run_0")[-2:] == ["completed", "in_progress"]
    # the same final status again is no news
    t.findings.clear()
    assert not [f for f in t.feed(run("completed", rid="run_1", tid="t1")) if f.severity == "error"]


def test_keep_finished_zero_keeps_only_tombstones() -> None:
    t = Tracker(keep_finished=0)
    t.feed(run("cancelled", cancelled_at=T0 + 2))
    assert t.run_ids() == []
    assert [f.code for f in t.feed(run("queued")) if f.severity == "error"] == ["run.terminal_left"]


def test_memory_bounds_are_fixed_when_the_tracker_is_made() -> None:
    # a bound changed afterwards would silently not apply: it is read-only instead
    t = Tracker(keep_finished=1, history_limit=3)
    assert (t.keep_finished, t.history_limit) == (1, 3)
    with pytest.raises(AttributeError):
        t.keep_finished = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        t.history_limit = 5  # type: ignore[misc]
    for i in range(3):
        t.feed(run("completed", rid=f"run_{i}", tid=f"t{i}"))
    assert t.run_ids() == ["run_2"]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"keep_finished": -1}, "keep_finished"), ({"keep_finished": 1.5}, "keep_finished"),
    ({"keep_finished": True}, "keep_finished"), ({"history_limit": -5}, "history_limit"),
    ({"history_limit": 0}, "history_limit"), ({"history_limit": "10"}, "history_limit"),
    ({"strict": "yes"}, "strict"), ({"version": "v9"}, "v9"),
])
def test_invalid_tracker_arguments_are_refused_clearly(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(Exception, match=words) as info:
        Tracker(**kwargs)
    assert isinstance(info.value, (ValueError, Exception)) and len(str(info.value)) < 200


# --- unhashable values ----------------------------------------------------------------------


def test_unhashable_values_are_findings_not_internal_errors() -> None:
    step = {"object": "thread.run.step", "id": "s1", "run_id": "r1", "thread_id": "t", "status": "completed",
            "type": "tool_calls", "created_at": T0, "completed_at": T0,
            "step_details": {"type": "tool_calls", "tool_calls": [{"type": ["x"], "id": "c"}]}}
    t = Tracker()
    codes = [f.code for f in t.feed(step)]
    assert codes == ["run_step.value.tool_call_type"]
    created = {"object": "thread.run", "id": "r", "status": "queued", "thread_id": "t"}
    for found in (t.feed({"event": "thread.run.created", "data": created, "stream": ["a"]}),
                  t.feed_event("thread.run.created", dict(created, id="r2"), stream={"k": [1]}),
                  t.begin_stream(["b"]), t.end_stream(["b"])):
        assert "internal.error" not in [f.code for f in found]
    assert "internal.error" not in t.report().codes()


def test_the_guard_catches_a_run_leaving_its_end_after_eviction() -> None:
    httpx2 = pytest.importorskip("httpx2")
    openai = pytest.importorskip("openai")
    import runfsm

    answers = [run("completed", rid=f"run_{i}", tid=f"thread_{i}") for i in range(3)]
    answers.append(run("in_progress", rid="run_0", tid="thread_0"))  # long after it was evicted

    def handler(request: Any) -> Any:
        return httpx2.Response(200, json=answers.pop(0))

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = runfsm.guard(openai.OpenAI(api_key="test", base_url="http://api.test/v1", http_client=http,
                                        max_retries=0), policy="collect", keep_finished=1)
    for i in (0, 1, 2, 0):
        client.beta.threads.runs.retrieve(f"run_{i}", thread_id=f"thread_{i}")
    tracker = runfsm.tracker_of(client)
    assert "run_1" not in tracker.run_ids()  # evicted: memory stays bounded
    assert [f.code for f in tracker.findings if f.severity == "error"] == ["run.terminal_left"]


def test_bad_option_values_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(run("queued")) + "\n")
    for args in (["--jobs", "0"], ["--jobs", "two"], ["--max-record", "-1"]):
        with pytest.raises(SystemExit) as info:
            runfsm_main(["validate", *args, str(p)])
        assert info.value.code == 2
        assert "expected" in capsys.readouterr().err


def test_a_run_created_again_in_another_file_is_a_reused_id(tmp_path: Path) -> None:
    polled, streamed, again = tmp_path / "p.jsonl", tmp_path / "s.jsonl", tmp_path / "q.jsonl"
    polled.write_text("\n".join(json.dumps(run(s)) for s in ("queued", "in_progress", "completed")) + "\n")
    events = [("thread.run.created", run("queued")), ("thread.run.queued", run("queued")),
              ("thread.run.in_progress", run("in_progress")), ("thread.run.completed", run("completed")),
              ("done", "[DONE]")]
    streamed.write_text("\n".join(json.dumps({"event": e, "data": d}) for e, d in events) + "\n")
    again.write_text(json.dumps(run("queued")) + "\n" + json.dumps(run("completed")) + "\n")
    for second in (streamed, again):  # the same ids, the same thread and creation time: replayed, not resumed
        found = validate_paths([polled, second]).findings
        assert [(f.code, f.source, f.line) for f in found] == [("run.id_reused", str(second), 1)]
        assert "ended 'completed'" in found[0].message and "--separate" in found[0].message
    # within one file, the same thing is the lifecycle error it is
    one = tmp_path / "one.jsonl"
    one.write_text(polled.read_text() + again.read_text())
    assert "run.terminal_left" in validate_paths([one]).codes()
