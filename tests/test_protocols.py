"""The registry of protocols, and every command line option that chooses one reading it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from runfsm import responses_spec as rspec
from runfsm._cli import build_parser
from runfsm._cli import main as runfsm_main
from runfsm._protocols import NAMES, PROTOCOLS, protocol_info
from runfsm._tables import render_lifecycle
from runfsm.diagrams import to_dot
from runfsm.errors import SpecError
from runfsm.lifecycle import compile_protocol
from runfsm.testing import PROVIDED, catalogue
from runfsm.testing._catalogue import SETTINGS

pytestmark = [pytest.mark.filterwarnings("ignore:deprecated$:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning")]

CHOOSING = ("tables", "diagram", "paths", "check")


def _options(command: str) -> dict[str, argparse.Action]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {o: a for a in sub.choices[command]._actions for o in a.option_strings}


# --- the registry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_each_entry_is_its_declaration_and_offers_what_it_names(name: str) -> None:
    info = PROTOCOLS[name]
    assert info.declaration.name == name
    assert info.default_version == info.versions[-1]
    kinds = set(info.profile().lifecycles)
    assert set(info.diagrams) - {"run-and-steps"} <= kinds
    behaviours = catalogue(protocol=name)
    assert behaviours and {b.protocol for b in behaviours} == {name}
    assert set(info.provides) <= set(PROVIDED)
    assert callable(info.entry("paths"))


def test_every_protocol_has_its_simulator_settings() -> None:
    assert set(SETTINGS) == set(NAMES)


@pytest.mark.parametrize("bad", ["chat", "", None, 3, "Responses"])
def test_an_unknown_protocol_is_one_error_listing_the_known_ones(bad: object) -> None:
    with pytest.raises(SpecError, match=f"unknown protocol .*; known: {', '.join(NAMES)}$"):
        protocol_info(bad)


@pytest.mark.parametrize("command", CHOOSING)
def test_protocol_and_version_choices_come_from_the_registry(command: str) -> None:
    options = _options(command)
    assert tuple(options["--protocol"].choices or ()) == NAMES
    assert set(options["--version"].choices or ()) == {v for p in PROTOCOLS.values() for v in p.versions}


@pytest.mark.parametrize("command", CHOOSING)
def test_an_unknown_protocol_on_the_command_line_lists_the_known_ones(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = ["json:dumps"] if command == "check" else []
    with pytest.raises(SystemExit) as exc:
        runfsm_main([command, *target, "--protocol", "chat"])
    assert exc.value.code == 2
    assert "invalid choice: 'chat' (choose from " + ", ".join(map(repr, NAMES)) in capsys.readouterr().err


# --- runfsm tables ----------------------------------------------------------------------------------


def test_tables_prints_the_responses_lifecycle_in_the_same_layout(capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["tables", "--protocol", "responses"]) == 0
    out = capsys.readouterr().out
    lc = compile_protocol(rspec.PROTOCOL).primary
    assert out == render_lifecycle(lc) + "\n"
    lines = out.splitlines()
    assert lines[0] == "response (v1)"
    for t in rspec.TRANSITIONS:
        assert any(line.split()[:3] == [t.trigger, t.source, t.dest] for line in lines), t
    assert "requires_action" not in out


def test_tables_of_the_assistants_are_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["tables", "--version", "v1"]) == 0
    out = capsys.readouterr().out
    heads = [line for line in out.splitlines() if line.endswith("(v1)")]
    assert heads == ["run (v1)", "run_step (v1)", "message (v1)"]


@pytest.mark.parametrize("command", ["tables", "diagram", "paths"])
def test_a_version_the_protocol_lacks_is_refused(command: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main([command, "--protocol", "responses", "--version", "v2", "--out", str(tmp_path)]
                       if command != "tables" else [command, "--protocol", "responses", "--version", "v2"]) == 2
    err = capsys.readouterr().err
    assert f"runfsm {command}: error: unknown API version 'v2' of responses; known: v1" in err
    assert not list(tmp_path.iterdir())


# --- runfsm diagram ---------------------------------------------------------------------------------


def test_diagram_protocol_responses_draws_the_responses_lifecycle(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["diagram", "--protocol", "responses", "--format", "dot", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "response.dot")]
    assert [p.name for p in tmp_path.iterdir()] == ["response.dot"]
    text = (tmp_path / "response.dot").read_text(encoding="utf-8")
    assert text == to_dot(compile_protocol(rspec.PROTOCOL).primary)
    assert "requires_action" not in text


def test_diagram_refuses_a_trace_on_a_protocol_without_overlays(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "t.jsonl"
    trace.write_text("{}\n", encoding="utf-8")
    assert runfsm_main(["diagram", "--protocol", "responses", "--trace", str(trace), "--out", str(tmp_path / "d")]) == 2
    assert "trace overlay is drawn on the run diagram of assistants only, not on responses" in capsys.readouterr().err


# --- runfsm paths -----------------------------------------------------------------------------------


def test_paths_of_the_responses_honour_version_and_refuse_depth(capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["paths", "--protocol", "responses", "--depth", "3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "runfsm paths: error: --protocol responses does not take --depth; it takes --version" in captured.err
    assert runfsm_main(["paths", "--protocol", "responses", "--version", "v1"]) == 0
    out = capsys.readouterr().out
    assert "status-incomplete: start -> run_out_of_tokens" in out


# --- runfsm check -----------------------------------------------------------------------------------

CLIENTS = """\
import time

def poll_loop(client):
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status in ("queued", "in_progress"):
        time.sleep(1)
        r = client.responses.retrieve(r.id)
    return r

def waits_for_completed(client):
    r = client.responses.create(model="gpt-4o", input="hi", background=True)
    while r.status != "completed":
        time.sleep(1)
        r = client.responses.retrieve(r.id)
    return r

def wants_a_thread(client, thread_id):
    return thread_id
"""


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    path = tmp_path / "responses_clients.py"
    path.write_text(CLIENTS, encoding="utf-8")
    return path


def test_check_protocol_responses_passes_a_correct_client(clients: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["check", f"{clients}:poll_loop", "--protocol", "responses"]) == 0
    out = capsys.readouterr().out
    assert "behaviours (responses, tolerant)" in out
    assert f"{len(catalogue(protocol='responses'))} ok" in out


def test_check_protocol_responses_fails_a_buggy_client(clients: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["check", f"{clients}:waits_for_completed", "--protocol", "responses", "--only", "fails"]) == 1
    assert "does not treat 'failed' as final" in capsys.readouterr().out


def test_check_protocol_responses_lists_its_catalogue(clients: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["check", f"{clients}:poll_loop", "--protocol", "responses", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == [b.name for b in catalogue(protocol="responses")]


def test_check_protocol_responses_refuses_what_it_cannot_provide(clients: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert runfsm_main(["check", f"{clients}:wants_a_thread", "--protocol", "responses"]) == 2
    assert "protocol='responses' provides client, sim, behaviour, not thread_id" in capsys.readouterr().err
    assert runfsm_main(["check", f"{clients}:poll_loop", "--protocol", "responses", "--version", "v2"]) == 2
    assert "unknown API version 'v2' of responses; known: v1" in capsys.readouterr().err
