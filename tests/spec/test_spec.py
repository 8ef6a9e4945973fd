"""The compiled spec against docs/LIFECYCLE.md, row by row, and the definition checks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import runfsm
from runfsm import spec
from runfsm.lifecycle import Lifecycle, profile

DOC = (Path(__file__).resolve().parents[2] / "docs" / "LIFECYCLE.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(title)
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end]


def _doc_run_transitions() -> set[tuple[str, str, str, str]]:
    """(source, dest, actor, grade) for every row of section 2, splitting "a / b / c" destinations."""
    rows = set()
    for line in _section("## 2. Run transitions").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("from", "---") or cells[0].startswith("("):
            continue
        source = cells[0].strip("`")
        actor = cells[2].split(":")[0].split(";")[0].split()[0]
        grade = " ".join(g for g in ("doc", "wire", "inferred") if re.search(rf"\b{g}\b", cells[3]))
        for dest in re.findall(r"`(\w+)`", cells[1]):
            # The doc names two causes in prose: the model runs on the server, and a lost
            # cancel race ends the way the winner says (the clock for expiry).
            who = {"model": "server", "the": "clock" if dest == "expired" else "server"}.get(actor, actor)
            rows.add((source, dest, who, grade))
    return rows


def test_run_transitions_match_lifecycle_md_row_by_row() -> None:
    doc_rows = _doc_run_transitions()
    assert len(doc_rows) == 17
    ours = {(t.source, t.dest, t.actor, t.grade) for t in runfsm.RUN.transitions}
    assert ours == doc_rows


def test_run_statuses_and_classes_match_section_1() -> None:
    table = {}
    for line in _section("## 1. Run statuses").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            table[cells[0].strip("`")] = cells[2]
    assert set(table) == runfsm.RUN.statuses
    assert {s for s, c in table.items() if c == "terminal"} == runfsm.RUN.terminal
    assert {s for s, c in table.items() if c.startswith("active")} == runfsm.RUN.active
    assert {s for s, c in table.items() if "paused" in c} == runfsm.RUN.paused
    assert runfsm.RUN.initial == "queued"


def test_step_and_message_statuses_match_section_4() -> None:
    sec = _section("## 4. Run steps and messages")
    step_line = next(line for line in sec.splitlines() if line.startswith("Run step statuses"))
    assert set(re.findall(r"`(\w+)`", step_line)) == runfsm.RUN_STEP.statuses
    msg_line = next(line for line in sec.splitlines() if line.startswith("Message statuses"))
    assert set(re.findall(r"`(\w+)`", msg_line)) == runfsm.MESSAGE.statuses
    assert runfsm.RUN_STEP.initial == "in_progress"  # "there is no queued step"
    assert runfsm.RUN_STEP.terminal == runfsm.RUN_STEP.statuses - {"in_progress"}


def test_refusal_messages_match_section_5() -> None:
    sec = _section("## 5. The thread lock")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in sec.splitlines()
            if line.startswith("| ") and not line.startswith("| operation")]
    assert len(rows) == len(spec.REFUSAL_ROWS)
    operations = {"add message": "add_message", "create run": "create_run",
                  "submit tool outputs": "submit_tool_outputs", "cancel": "cancel_run"}
    for row, cells in zip(spec.REFUSAL_ROWS, rows, strict=True):  # same rows, same order
        assert operations[cells[0]] == row.operation
        assert " ".join(g for g in ("doc", "wire", "inferred") if g in cells[3].split("(")[0]) == row.evidence
        if row.key == "cancel_terminal":
            assert cells[2].startswith("starts with `Cannot cancel run`")
            assert row.template.startswith("Cannot cancel run")
            continue
        pattern = re.escape(row.template)
        pattern = re.sub(r"\\\{\w+\\\}", ".+", pattern)
        assert re.search(pattern, cells[2]), row.key


def test_strict_and_tolerant_differ_exactly_on_inferred_rows() -> None:
    for lc in (runfsm.RUN, runfsm.RUN_STEP, runfsm.MESSAGE):
        for src in lc.order:
            for dst in lc.order:
                tolerant, strict = lc.is_legal(src, dst), lc.is_legal(src, dst, strict=True)
                inferred_only = bool(lc.edges(src, dst)) and all(t.inferred for t in lc.edges(src, dst))
                assert tolerant == bool(lc.edges(src, dst))
                assert strict == (tolerant and not inferred_only)
    inferred = {(t.source, t.dest) for t in runfsm.RUN.transitions if t.inferred}
    assert inferred == {
        ("queued", "cancelling"), ("requires_action", "cancelling"), ("queued", "expired"), ("queued", "failed"),
        ("cancelling", "completed"), ("cancelling", "failed"), ("cancelling", "expired"),
    }


def test_reachability_is_the_transitive_closure() -> None:
    lc = runfsm.RUN
    for strict in (False, True):
        for src in lc.order:
            frontier, seen = [src], {src}
            while frontier:
                for nxt in lc.next_statuses(frontier.pop(), strict):
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
            assert {d for d in lc.order if lc.reachable(src, d, strict)} == seen
    # What a poller sees: queued straight to completed, requires_action straight to in_progress.
    assert lc.reachable("queued", "completed", strict=True)
    assert lc.reachable("requires_action", "in_progress", strict=True)
    assert lc.reachable("in_progress", "cancelled", strict=True)
    assert not lc.reachable("cancelling", "completed", strict=True)  # only a lost race does that
    assert lc.reachable("cancelling", "completed")
    for t in lc.terminal:
        assert {d for d in lc.order if lc.reachable(t, d)} == {t}


def test_terminal_statuses_are_absorbing_and_every_status_is_reachable() -> None:
    for lc in (runfsm.RUN, runfsm.RUN_STEP, runfsm.MESSAGE):
        for t in lc.terminal:
            assert lc.next_statuses(t) == frozenset()
        for s in lc.order:
            assert lc.reachable(lc.initial, s)


def test_check_raises_with_both_statuses_the_id_and_what_was_legal() -> None:
    with pytest.raises(runfsm.IllegalTransition) as info:
        runfsm.RUN.check("queued", "completed", obj_id="run_abc")
    msg = str(info.value)
    assert "run_abc" in msg and "'queued'" in msg and "'completed'" in msg and "in_progress" in msg
    assert info.value.legal == ("cancelling", "expired", "failed", "in_progress")
    with pytest.raises(runfsm.IllegalTransition, match="inferred edge, refused in strict mode"):
        runfsm.RUN.check("queued", "cancelling", strict=True)
    assert runfsm.RUN.check("queued", "cancelling").trigger == "cancel"
    with pytest.raises(runfsm.IllegalTransition, match="is terminal"):
        runfsm.RUN.check("completed", "queued")


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("in_process", "in_progress"), ("requireds_action", "requires_action"), ("canceled", "cancelled")],
)
def test_unknown_status_suggests_near_misses(typo: str, suggestion: str) -> None:
    with pytest.raises(runfsm.UnknownStatus) as info:
        runfsm.RUN.check("queued", typo, obj_id="run_1")
    assert info.value.suggestion == suggestion
    assert f"Did you mean {suggestion!r}?" in str(info.value)
    assert "run_1" in str(info.value)


def test_unknown_status_without_near_miss_and_non_string() -> None:
    with pytest.raises(runfsm.UnknownStatus) as info:
        runfsm.RUN.require_status("zzzz")
    assert info.value.suggestion is None and "Known statuses" in str(info.value)
    with pytest.raises(runfsm.UnknownStatus):
        runfsm.RUN.require_status(None)
    with pytest.raises(runfsm.UnknownStatus):
        runfsm.RUN.next_statuses("bogus")


def test_v1_has_no_incomplete_and_says_retrieval() -> None:
    v1 = profile("v1")
    for lc in (v1.run, v1.run_step, v1.message):
        assert "incomplete" not in lc.statuses
        assert all("incomplete" not in (t.source, t.dest) for t in lc.transitions)
    assert "run_out_of_tokens" not in v1.run.triggers
    assert not any(r.code == "run.incomplete_details" for r in v1.run.field_rules)
    assert "retrieval" in v1.tool_call_types and "file_search" not in v1.tool_call_types
    assert "file_search" in profile("v2").tool_call_types
    assert "thread.run.incomplete" not in v1.event_names()
    assert "thread.run.incomplete" in profile("v2").event_names()


def test_event_names_follow_section_6() -> None:
    names = set(profile().event_names())
    sec = _section("## 6. Streaming")
    listed = sec[: sec.index("There is no")]
    expected = set()
    for group in re.finditer(r"`(thread\.(?:run\.step|run|message))\.(\w+)`((?:,\s*`\.\w+`)*)", listed):
        prefix = group.group(1)
        expected.add(f"{prefix}.{group.group(2)}")
        expected.update(f"{prefix}{s}" for s in re.findall(r"`(\.\w+)`", group.group(3)))
    assert expected and names == expected
    assert "thread.message.failed" not in names


# --- definition checks reject broken specs ------------------------------------------------

S = spec.StatusRow
T = spec.TransitionRow
OK_STATUSES = (S("a", spec.ACTIVE), S("b", spec.ACTIVE), S("z", spec.TERMINAL))
OK_EDGES = (T("go", "a", "b", "server", "doc", "x"), T("end", "b", "z", "server", "wire", "x"))


def test_a_well_formed_toy_spec_builds() -> None:
    lc = Lifecycle("toy", OK_STATUSES, "a", OK_EDGES)
    assert lc.reachable("a", "z") and not lc.is_legal("a", "z")


@pytest.mark.parametrize(
    ("statuses", "edges", "initial", "message"),
    [
        (OK_STATUSES, (*OK_EDGES, T("go", "a", "q", "server", "doc", "x")), "a", "unknown status 'q'"),
        ((*OK_STATUSES, S("lost", spec.TERMINAL)), OK_EDGES, "a", "'lost' is unreachable"),
        ((*OK_STATUSES, S("trap", spec.ACTIVE)), (*OK_EDGES, T("trap", "b", "trap", "server", "doc", "x")), "a",
         "non-terminal status 'trap' has no way out"),
        (OK_STATUSES, (*OK_EDGES, T("back", "z", "a", "server", "doc", "x")), "a", "leaves terminal status 'z'"),
        (OK_STATUSES, (*OK_EDGES, T("go", "a", "z", "server", "doc", "x")), "a", "duplicate trigger 'go' from 'a'"),
        (OK_STATUSES, (T("go", "a", "b", "robot", "doc", "x"), OK_EDGES[1]), "a", "unknown actor 'robot'"),
        (OK_STATUSES, (T("go", "a", "b", "server", "rumour", "x"), OK_EDGES[1]), "a", "unknown grade 'rumour'"),
        (OK_STATUSES, (T("go", "a", "b", "server", "doc inferred", "x"), OK_EDGES[1]), "a", "both inferred and documented"),
        (OK_STATUSES, OK_EDGES, "nowhere", "initial status 'nowhere'"),
        (OK_STATUSES, OK_EDGES, "z", "initial status 'z' is terminal"),
        ((*OK_STATUSES, S("a", spec.ACTIVE)), OK_EDGES, "a", "declared twice"),
        ((S("a", "sleepy"), *OK_STATUSES[1:]), OK_EDGES, "a", "unknown class 'sleepy'"),
    ],
)
def test_definition_checks_reject_broken_specs(statuses, edges, initial, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(runfsm.SpecError, match=re.escape(message)):
        Lifecycle("toy", statuses, initial, edges)


def test_field_rules_are_checked_at_definition_time() -> None:
    bad = spec.FieldRule("toy.x", "x", "sometimes", ("a",), "doc", False, "")
    with pytest.raises(runfsm.SpecError, match="unknown kind 'sometimes'"):
        Lifecycle("toy", OK_STATUSES, "a", OK_EDGES, (bad,))
    bad = spec.FieldRule("toy.x", "x", "set", ("nope",), "doc", False, "")
    with pytest.raises(runfsm.SpecError, match="unknown status 'nope'"):
        Lifecycle("toy", OK_STATUSES, "a", OK_EDGES, (bad,))
    with pytest.raises(runfsm.SpecError, match="unknown version"):
        Lifecycle("toy", OK_STATUSES, "a", OK_EDGES, version="v9")
    with pytest.raises(runfsm.SpecError, match="unknown API version"):
        profile("v3")


def test_field_rule_severity_follows_the_grade() -> None:
    rules = {r.code: r for r in runfsm.RUN.field_rules}
    # agreed rules are errors, disputed ones (section 3: usage, expires_at, example defects) warnings
    assert not rules["run.required_action"].disputed
    assert rules["run.usage_early"].disputed
    assert rules["run.expires_at_terminal"].disputed
    assert rules["run.completed_at_early"].disputed and rules["run.started_at"].disputed


def test_import_runfsm_stays_light() -> None:
    code = (
        "import sys, runfsm; heavy = {'graphviz', 'hypothesis', 'openai', 'transitions', 'httpx2', 'httpx'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- refusal rows -----------------------------------------------------------------------------------

def test_each_refusal_row_holds_exactly_when_its_condition_does() -> None:
    prof = runfsm.profile()
    run = prof.run
    for status in run.order:
        cancel = prof.refusal("cancel_run", status=status)
        assert (cancel is not None) == (status in run.terminal)
        submit = prof.refusal("submit_tool_outputs", status=status)
        assert (submit is not None) == (status not in run.paused)
        if submit is not None:
            assert submit == ("submit_wrong_status", f'Runs in status "{status}" do not accept tool outputs.')
    for op, key in (("add_message", "thread_locked_message"), ("create_run", "thread_locked_run")):
        assert prof.refusal(op, thread_id="thread_1", active_run_id=None) is None
        hit = prof.refusal(op, thread_id="thread_1", active_run_id="run_1")
        assert hit is not None and hit[0] == key and "thread_1" in hit[1] and "run_1" in hit[1]
    calls = ["call_A", "call_B"]
    assert prof.refusal("submit_tool_outputs", expected=calls, got=["call_B", "call_A"]) is None
    for got in (["call_A"], ["call_A", "call_A"], ["call_A", "call_B", "call_C"], []):
        hit = prof.refusal("submit_tool_outputs", expected=calls, got=got)
        assert hit == ("submit_missing_calls", f"Expected tool outputs for call_ids {calls}, got {got}")
    # the first row of an operation that holds wins: a run not waiting is refused for its status
    paused = next(iter(run.paused))
    assert prof.refusal("submit_tool_outputs", status="queued", expected=calls, got=[])[0] == "submit_wrong_status"
    assert prof.refusal("submit_tool_outputs", status=paused, expected=calls, got=[])[0] == "submit_missing_calls"
    assert prof.refusal("no_such_operation", status="queued") is None


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda r: r._replace(refused_when="run_sleepy"), "unknown condition 'run_sleepy'"),
    (lambda r: r._replace(template="Run {color} refused"), "formats unknown fields ['color']"),
    (lambda r: r._replace(evidence="rumour"), "unknown grade 'rumour'"),
])
def test_a_bad_refusal_row_is_refused_when_the_spec_is_compiled(change: object, complaint: str) -> None:
    from runfsm.lifecycle import compile_protocol

    rows = (change(spec.REFUSAL_ROWS[0]), *spec.REFUSAL_ROWS[1:])  # type: ignore[operator]
    with pytest.raises(runfsm.SpecError, match=re.escape(complaint)):
        compile_protocol(spec.PROTOCOL._replace(refusals=rows))
