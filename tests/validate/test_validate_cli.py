"""``runfsm validate``: readable and JSON reports, exit codes 0 / 1 / 2, stdin, never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runfsm import spec
from runfsm._cli import main as runfsm_main

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "spec_examples"
T0 = 1_700_000_000


def run(status: str, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
    d.update(id="run_1", object="thread.run", created_at=T0, thread_id="thread_1", assistant_id="a", status=status,
             model="m", tools=[], metadata={})
    d.update(kw)
    return d


def write(tmp_path: Path, name: str, lines: list[Any]) -> Path:
    p = tmp_path / name
    p.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return p


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = runfsm_main(["validate", *args])
    return code, capsys.readouterr().out


def test_a_clean_log_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "ok.jsonl", [run("queued", expires_at=T0 + 600),
                                     run("completed", started_at=T0 + 1, completed_at=T0 + 3)])
    code, out = cli(str(p), capsys=capsys)
    assert code == 0
    assert "OK:" in out and "run_1: queued -> completed" in out


def test_an_error_exits_1_and_names_file_line_and_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "bad.jsonl", [run("completed", started_at=T0 + 1, completed_at=T0 + 3),
                                      run("in_progress", started_at=T0 + 1, expires_at=T0 + 600)])
    code, out = cli(str(p), capsys=capsys)
    assert code == 1
    assert f"{p}:2: error run.terminal_left [run_1]:" in out
    assert "completed -x-> in_progress" in out and "FAILED" in out


def test_unreadable_input_exits_2_and_the_rest_is_still_checked(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "mixed.jsonl", ["{garbage", run("completed", started_at=T0 + 1, completed_at=T0 + 3),
                                        run("queued", expires_at=T0 + 600)])
    code, out = cli(str(p), capsys=capsys)
    assert code == 2
    assert f"{p}:1: error input.json" in out
    assert f"{p}:3: error run.terminal_left" in out  # a bad line hides nothing


def test_strict_mode_turns_inferred_edges_into_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "inferred.jsonl", [run("cancelling", started_at=T0 + 1, expires_at=T0 + 600),
                                           run("completed", started_at=T0 + 1, completed_at=T0 + 3)])
    assert cli(str(p), capsys=capsys)[0] == 0
    assert cli(str(p), "--strict", capsys=capsys)[0] == 1


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(str(EXAMPLES / "createThreadAndRun__streaming.sse.txt"), "--json", capsys=capsys)
    payload = json.loads(out)
    assert code == payload["exit"] == 2
    assert payload["ok"] is False and payload["counts"]["input"] == 2
    assert {(f["code"], f["line"]) for f in payload["findings"]} >= {("run.immutable.created_at", 43)}
    assert payload["histories"]["run_123"] == ["queued", "in_progress", "completed"]
    assert payload["transitions"]["run_123"][0] == ["queued", "in_progress", True]


def test_stdin_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.dumps(run("queued", expires_at=T0 + 600)).encode() + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out = cli("-", capsys=capsys)
    assert code == 0 and "run_1: queued" in out
    code, out = cli(str(tmp_path / "nope.jsonl"), str(tmp_path), capsys=capsys)
    assert code == 2 and out.count("input.file") == 2


def test_separate_checks_each_file_on_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(EXAMPLES / n) for n in ("getRun__default.json", "createRun__default.json")]
    together, _ = cli(*files, capsys=capsys)
    apart, out = cli(*files, "--separate", capsys=capsys)
    assert (together, apart) == (1, 0)  # the two examples reuse one run id; apart they are fine
    assert "getRun__default.json#run_abc123" in out


def test_v1_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "v1.jsonl", [run("incomplete", started_at=T0 + 1, incomplete_details={"reason": "x"})])
    assert cli(str(p), "--version", "v1", capsys=capsys)[0] == 1


def test_many_bad_lines_are_summarised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = write(tmp_path, "junk.txt", [f"junk {i}" for i in range(50)])
    code, out = cli(str(p), capsys=capsys)
    assert code == 2 and "and 30 more unreadable line(s) not shown" in out


def test_garbage_never_gives_a_traceback(tmp_path: Path) -> None:
    p = tmp_path / "garbage.bin"
    p.write_bytes(bytes(range(256)) * 20 + b"\n{\"object\": \"thread.run\", \"id\": 5}\n" + b"[" * 50_000)
    result = subprocess.run([sys.executable, "-m", "runfsm", "validate", str(p), "--json"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr == ""
    payload = json.loads(result.stdout)
    assert payload["findings"] and all(f["code"].startswith("input.") for f in payload["findings"])
