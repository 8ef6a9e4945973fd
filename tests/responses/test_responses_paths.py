"""runfsm paths --protocol responses: every status and transition, each accepted by the validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from runfsm import _cli as cli
from runfsm.explore._responses_paths import plans


@pytest.mark.parametrize("strict", [False, True])
def test_every_status_and_transition_has_a_path_the_validator_accepts(strict: bool) -> None:
    found = plans(strict)
    names = {name for name, _, _ in found}
    assert {"status-completed", "status-cancelled", "edge-in_progress-cancel", "edge-queued-cancel"} <= names
    assert all(problems == [] for _, _, problems in found)


def test_the_cli_prints_and_writes_the_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["paths", "--protocol", "responses"]) == 0
    assert "status-incomplete: start -> run_out_of_tokens" in capsys.readouterr().out
    assert cli.main(["paths", "--protocol", "responses", "--out", str(tmp_path)]) == 0
    assert "edge-queued-cancel: cancel" in (tmp_path / "responses-paths.txt").read_text(encoding="utf-8")
