"""The Responses declaration against docs/responses.md, row by row, and against the openai SDK's models."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from runfsm import responses_spec as rs
from runfsm.lifecycle import compile_protocol

DOC = (Path(__file__).resolve().parents[2] / "docs" / "responses.md").read_text(encoding="utf-8")
PROFILE = compile_protocol(rs.PROTOCOL)
LC = PROFILE.primary


def _rows(title: str, width: int, table: int = 0) -> list[list[str]]:
    """The body rows of the ``table``-th table of ``width`` columns in a section."""
    start = DOC.index(title)
    end = DOC.find("\n## ", start + 1)
    tables: list[list[list[str]]] = []
    previous = ""
    for line in DOC[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == width:
            if not previous.startswith("|"):
                tables.append([])
            if not set(cells[0]) <= {"-"}:
                tables[-1].append(cells)
        previous = line
    return tables[table][1:]  # without the header


def _grade(cell: str) -> str:
    return " ".join(g for g in ("doc", "wire", "inferred", "observed") if re.search(rf"\b{g}\b", cell))


def test_statuses_and_classes_match_section_1() -> None:
    doc = {c[0].strip("`"): (c[2], _grade(c[3])) for c in _rows("## 1. Statuses", 4)}
    ours = {r.status: (r.klass, "doc") for r in rs.STATUSES}
    assert doc == ours


def test_transitions_match_section_2_row_by_row() -> None:
    doc = {(c[0].strip("`"), c[1].strip("`"), c[2], c[3].split(":")[0].split()[0], _grade(c[4]))
           for c in _rows("## 2. Transitions", 5)}
    ours = {(t.source, t.dest, t.trigger, t.actor, t.evidence) for t in rs.TRANSITIONS}
    assert len(doc) == 7 and doc == ours


def test_observed_moves_match_section_2() -> None:
    doc = {(c[0].strip("`"), c[1].strip("`"), _grade(c[3])) for c in _rows("## 2. Transitions", 5, 1)}
    assert doc == {(m.source, m.dest, m.grade) for m in rs.OBSERVED_MOVES}
    for m in rs.OBSERVED_MOVES:  # the exception the engine cannot declare as an edge
        assert m.source in LC.terminal and not LC.reachable(m.source, m.dest)


def test_field_rules_match_section_3() -> None:
    doc = {c[0].strip("`"): _grade(c[2]) for c in _rows("## 3. Fields by status", 3)}
    for rule in rs.FIELD_RULES:
        assert doc[rule.field] == rule.evidence
        for status in rule.statuses:
            assert status in LC.statuses
    assert f"`{'`, `'.join(rs.INCOMPLETE_REASONS)}`" in DOC


def test_refusals_match_section_5() -> None:
    doc = {c[0].strip("`"): (c[1], _grade(c[3])) for c in _rows("## 5. Windows and refusals", 4)}
    assert doc == {r.key: (r.operation, r.evidence) for r in rs.REFUSALS}
    for r in rs.REFUSALS:
        assert r.refused_when in rs.REFUSAL_CONDITIONS
    assert "5 minutes" in DOC and rs.RESUME_WINDOW_SECONDS == 300
    assert "10 minutes" in DOC and rs.RETENTION_SECONDS == 600
    assert rs.CANCEL_FINISHED[0] == "return" and rs.CANCEL_FINISHED_EVIDENCE == "inferred"


def test_no_refusal_of_its_own_is_in_the_engine_table() -> None:
    """Its conditions are not the engine's, so compiling must not see them."""
    assert rs.PROTOCOL.refusals == ()
    for status in LC.order:
        assert PROFILE.refusal("cancel", status=status) is None


def test_event_names_follow_section_4() -> None:
    names = PROFILE.event_names()
    assert set(names) == {"response.created", *(f"response.{s}" for s in LC.order)}
    assert set(rs.TERMINAL_EVENTS) == {f"response.{s}" for s in rs.STREAMED_STATUSES if s in LC.terminal}
    assert "cancelled" not in rs.STREAMED_STATUSES and "response.cancelled" in DOC


# -- the SDK's models: generated from the API specification, so they are `doc` ---------------------------------

openai = pytest.importorskip("openai")


def test_statuses_are_the_sdks_response_status() -> None:
    from openai.types.responses import ResponseStatus

    assert set(typing.get_args(ResponseStatus)) == set(LC.statuses)


def test_stream_events_are_the_sdks_union() -> None:
    from openai.types.responses import ResponseStreamEvent

    members = typing.get_args(typing.get_args(ResponseStreamEvent)[0])
    sdk = {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}
    ours = {rs.EVENT_CREATED, *(f"response.{s}" for s in rs.STREAMED_STATUSES), *rs.ITEM_EVENTS, rs.EVENT_ERROR}
    assert ours == sdk
    assert all("sequence_number" in m.model_fields for m in members)


def test_incomplete_reasons_are_in_the_sdks_model() -> None:
    from openai.types.responses.response import IncompleteDetails

    sdk = set(typing.get_args(typing.get_args(IncompleteDetails.model_fields["reason"].annotation)[0]))
    assert set(rs.INCOMPLETE_REASONS) <= sdk


def test_resume_takes_starting_after() -> None:
    import inspect

    from openai.resources.responses import Responses

    assert "starting_after" in inspect.signature(Responses.retrieve).parameters
