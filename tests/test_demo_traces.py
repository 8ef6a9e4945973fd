"""Several files from one system: the demo's traces validate together, with no id shared between them."""

from __future__ import annotations

from pathlib import Path

import pytest

from runfsm._cli import main


def test_the_demo_traces_validate_together_without_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    traces = sorted(str(p) for p in (tmp_path / "traces").glob("*.jsonl"))
    assert len(traces) == 14
    capsys.readouterr()
    assert main(["validate", *traces]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out and "run.id_reused" not in out
