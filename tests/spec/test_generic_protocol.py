"""One engine, many lifecycles: a protocol unrelated to the Assistants, declared here, in a test file.

Nothing in runfsm knows of print jobs; the declaration below is all there is, and it gets its
definition checks, validation (polls and streams), refusals, diagrams, strategies and
exploration from the same engine the Assistants runs use.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import runfsm
from runfsm import responses_spec, spec
from runfsm import strategies as rs
from runfsm.diagrams import to_dot, to_mermaid
from runfsm.errors import SpecError
from runfsm.explore import cover
from runfsm.lifecycle import compile_protocol
from runfsm.spec import (
    ACTIVE,
    PAUSED,
    TERMINAL,
    FieldRule,
    ObjectSpec,
    Protocol,
    RefusalRow,
    StatusRow,
    TransitionRow,
)
from runfsm.validate import LifecycleTracker, validate_objects

T = TransitionRow
JOB = ObjectSpec(
    kind="job",
    label="print job",
    object_type="print.job",
    statuses=(
        StatusRow("pending", ACTIVE),
        StatusRow("printing", ACTIVE),
        StatusRow("jammed", PAUSED),
        StatusRow("done", TERMINAL),
        StatusRow("cancelled", TERMINAL),
    ),
    initial="pending",
    transitions=(
        T("start", "pending", "printing", "server", "doc", "printer manual"),
        T("jam", "printing", "jammed", "server", "doc", "printer manual"),
        T("clear", "jammed", "printing", "client", "doc", "printer manual"),
        T("finish", "printing", "done", "server", "doc", "printer manual"),
        T("cancel", "pending", "cancelled", "client", "doc", "printer manual"),
        T("cancel", "jammed", "cancelled", "client", "inferred", "operators do it"),
    ),
    field_rules=(
        FieldRule("job.finished_at", "finished_at", "exactly", ("done",), "doc", False,
                  "finished_at is set exactly when the job is done"),
    ),
    event_prefix="job",
    event_extra=("created",),
)
PRINTER = Protocol(
    name="printer",
    objects=(JOB,),
    refusals=(RefusalRow("cancel_finished", "cancel", "run_terminal", "Job in status {status} cannot be cancelled.",
                         "cancelled a finished job", "doc", "printer manual"),),
)
PROFILE = compile_protocol(PRINTER)
LC = PROFILE.primary


def job(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "job_1", "object": "print.job", "status": status, "created_at": 100,
            "finished_at": 130 if status == "done" else None, **fields}


# -- the definition, compiled and checked ------------------------------------------------------------

def test_the_declaration_compiles_into_the_lookups_every_tool_uses() -> None:
    assert LC.terminal == {"done", "cancelled"} and LC.paused == {"jammed"}
    assert LC.reachable("pending", "done") and not LC.reachable("done", "pending")
    assert LC.is_legal("jammed", "cancelled") and not LC.is_legal("jammed", "cancelled", strict=True)
    assert PROFILE.event_names() == {f"job.{s}": ("job", s) for s in ("created", *LC.order)}
    assert PROFILE.version == "v1" and PROFILE.period.label == "all dates"
    assert LC.working == "printing" and LC.stops == {"jammed", "done", "cancelled"}
    assert (runfsm.RUN.working, runfsm.RUN.stops) == ("in_progress", runfsm.RUN.terminal | {"requires_action"})
    fork = JOB._replace(transitions=(*JOB.transitions, T("skip", "pending", "jammed", "server", "doc", "manual")))
    assert compile_protocol(PRINTER._replace(objects=(fork,))).primary.working is None  # no single one
    with pytest.raises(SpecError, match="no single status follows 'pending'"):
        compile_protocol(PRINTER._replace(objects=(fork,))).primary.require_working()


@pytest.mark.parametrize("protocol", [PRINTER, spec.PROTOCOL, responses_spec.PROTOCOL],
                         ids=lambda p: p.name)
def test_every_event_is_its_lifecycles_prefix_and_a_part_naming_its_status(protocol: Any) -> None:
    # the trackers name an event from its lifecycle's prefix and part, and read its status off the part
    prof = compile_protocol(protocol)
    for name, (kind, part) in prof.event_names().items():
        lc = prof.lifecycles[kind]
        assert name == f"{lc.event_prefix}.{part}"
        assert lc.status_named.get(part) == (lc.initial if part == "created" else part if part in lc.statuses
                                             else None)


def test_a_broken_declaration_is_refused_with_every_problem_named() -> None:
    trap = JOB._replace(transitions=JOB.transitions[:-2])  # pending and jammed lose their cancel edges
    broken = JOB._replace(statuses=(*JOB.statuses, StatusRow("lost", ACTIVE)), transitions=(
        *trap.transitions, T("fly", "pending", "moon", "robot", "rumour", "nowhere")))
    with pytest.raises(SpecError) as info:
        compile_protocol(PRINTER._replace(objects=(broken,)))
    text = str(info.value)
    for problem in ("unknown status 'moon'", "unknown actor 'robot'", "unknown grade 'rumour'"):
        assert problem in text
    with pytest.raises(SpecError, match="non-terminal status 'lost' has no way out"):
        compile_protocol(PRINTER._replace(objects=(JOB._replace(statuses=(*JOB.statuses, StatusRow("lost", ACTIVE))),)))
    with pytest.raises(SpecError, match="declares no objects"):
        compile_protocol(PRINTER._replace(objects=()))


def test_its_refusal_holds_exactly_in_terminal_statuses() -> None:
    for status in LC.order:
        hit = PROFILE.refusal("cancel", status=status)
        assert (hit is not None) == (status in LC.terminal)
    assert PROFILE.refusal("cancel", status="done") == ("cancel_finished", "Job in status done cannot be cancelled.")


# -- validation --------------------------------------------------------------------------------------

def test_polls_are_judged_by_reachability_and_streams_edge_by_edge() -> None:
    ok = validate_objects(PRINTER, [job("pending"), job("done")])  # a poller may miss statuses
    assert ok.ok and ok.findings == []
    skipped = validate_objects(PRINTER, [("job.created", job("pending")), ("job.done", job("done"))])
    assert skipped.codes() == ["job.illegal_transition"]
    assert "a stream shows every change" in skipped.findings[0].message
    back = validate_objects(PRINTER, [job("done"), job("printing")])
    assert back.codes() == ["job.terminal_left"]


def test_inferred_edges_are_info_when_tolerant_and_errors_when_strict() -> None:
    trace = [job("jammed"), job("cancelled")]
    assert [(f.code, f.severity) for f in validate_objects(PRINTER, trace).findings] == [
        ("job.inferred_transition", "info")]
    assert [(f.code, f.severity) for f in validate_objects(PRINTER, trace, strict=True).findings] == [
        ("job.inferred_transition", "error")]


def test_field_rules_event_names_and_unreadable_input_are_findings() -> None:
    t = LifecycleTracker(PRINTER)
    assert [f.code for f in t.feed(job("done", finished_at=None))] == ["job.field.finished_at"]
    assert [f.code for f in t.feed(job("printing", id="job_2", finished_at=105))] == ["job.field.finished_at"]
    assert [f.code for f in t.feed(job("done", id="job_6", finished_at=5))] == ["job.timestamp_order"]
    assert [f.code for f in t.feed_event("job.printing", job("pending", id="job_3"))] == ["stream.event_status"]
    assert [f.code for f in t.feed_event("job.melted", job("pending", id="job_4"))] == ["stream.unknown_event"]
    assert [f.code for f in t.feed({"object": "thread.run", "id": "run_1", "status": "queued"})] == ["input.object"]
    assert [f.code for f in t.feed(job("on_fire", id="job_5"))] == ["job.unknown_status"]
    assert [f.code for f in t.feed("not json")] == ["input.json"]
    assert t.history("job", "job_1") == ["done"]


# -- diagrams ----------------------------------------------------------------------------------------

def test_diagrams_draw_every_status_and_trigger() -> None:
    dot, mermaid = to_dot(LC), to_mermaid(LC)
    for status in LC.order:
        assert status in dot and status in mermaid
    for trigger in LC.triggers:
        assert trigger in dot and trigger in mermaid


# -- strategies: everything they draw, the validator accepts (or flags, when drawn illegal) -----------

@given(rs.status_paths(lifecycle=LC, view="stream"))
def test_legal_streams_validate_clean(path: tuple[str, ...]) -> None:
    events = [("job.created", job(path[0]))] + [(f"job.{s}", job(s)) for s in path[1:]]
    assert validate_objects(PRINTER, events).errors == []


@given(rs.illegal_transitions(lifecycle=LC, view="stream"))
def test_illegal_moves_are_flagged(pair: tuple[str, str]) -> None:
    src, dst = pair
    report = validate_objects(PRINTER, [("job.created", job(LC.initial))] * (src == LC.initial) +
                              [(f"job.{src}", job(src)), (f"job.{dst}", job(dst))])
    assert not report.ok


@given(rs.wire_objects(profile=PROFILE))
def test_wire_objects_of_every_status_validate_clean(obj: dict[str, Any]) -> None:
    assert obj["object"] == "print.job" and obj["status"] in LC.statuses
    assert validate_objects(PROFILE, [obj]).findings == []


@given(st.data(), st.sampled_from(LC.order))
def test_wire_objects_obey_the_field_rule(data: st.DataObject, status: str) -> None:
    obj = data.draw(rs.wire_objects("job", status, profile=PROFILE))
    assert obj["status"] == status and (obj["finished_at"] is not None) == (status == "done")


# -- exploration -------------------------------------------------------------------------------------

@pytest.mark.parametrize("strict", [False, True])
def test_exploration_reaches_every_status_and_transition_by_the_shortest_trigger_paths(strict: bool) -> None:
    plan = cover(LC, strict=strict)
    edges = {(t.source, t.trigger) for t in LC.transitions if not (strict and t.inferred)}
    assert set(plan.statuses) == set(LC.order)
    assert set(plan.transitions) == edges
    for (source, trigger), triggers in plan.transitions.items():
        status = LC.initial
        for name in triggers:  # every plan replays through the compiled lifecycle
            status = LC.fire(status, name, strict=strict).dest
        assert triggers[-1] == trigger and LC.fire(source, trigger, strict=strict)
    assert plan.statuses["done"] == ("start", "finish")
    assert plan.statuses["pending"] == ()
    # each plan, played as a stream, is a trace the validator accepts
    for triggers in plan.transitions.values():
        status, events = LC.initial, [("job.created", job(LC.initial))]
        for name in triggers:
            status = LC.fire(status, name).dest
            events.append((f"job.{status}", job(status)))
        assert validate_objects(PRINTER, events, strict=strict).errors == []


@pytest.mark.parametrize(("broken", "complaint"), [
    (PRINTER._replace(versions=()), "versions must be a non-empty tuple"),
    (PRINTER._replace(versions=("v1", 2)), "versions must be a non-empty tuple"),
    (PRINTER._replace(objects=("job",)), "object 0 is a str, not a ObjectSpec"),
    (PRINTER._replace(objects=(JOB, JOB)), "object kind 'job' is declared twice"),
    (PRINTER._replace(objects=(JOB._replace(statuses=(("pending", ACTIVE), *JOB.statuses[1:])),)),
     "job StatusRow 0 is a tuple, not a StatusRow"),
    (PRINTER._replace(objects=(JOB._replace(transitions=(JOB.transitions[0]._replace(evidence=None),
                                                         *JOB.transitions[1:])),)),
     "job TransitionRow 0: evidence must be str"),
    (PRINTER._replace(objects=(JOB._replace(statuses=(StatusRow("pending", ACTIVE, held=5), *JOB.statuses[1:])),)),
     "held must be str"),
    (PRINTER._replace(objects=(JOB._replace(event_extra="created"),)), "event_extra must be tuple[str, ...]"),
    (PRINTER._replace(first_day=(("v1", "yesterday"),)), "first_day holds (version, YYYY-MM-DD) pairs"),
    (PRINTER._replace(first_day=(("v9", "2024-01-01"),)), "first_day holds (version, YYYY-MM-DD) pairs"),
    (PRINTER._replace(refusals=(PRINTER.refusals[0]._replace(evidence=["doc"]),)), "RefusalRow 0: evidence"),
    (PRINTER._replace(tool_call_types=5), "tool_call_types holds"),
    (PRINTER._replace(objects=(JOB._replace(statuses=(StatusRow("pending", ACTIVE, "v9", "2024-01-01.."),
                                                      *JOB.statuses[1:])),)), "unknown versions ['v9']"),
])
def test_a_malformed_protocol_is_a_spec_error_naming_the_value(broken: Protocol, complaint: str) -> None:
    with pytest.raises(SpecError) as info:
        compile_protocol(broken)
    assert complaint in str(info.value)


def test_an_odd_version_is_a_spec_error_and_tool_names_are_empty_without_tools() -> None:
    for version in (["v1"], 1, "v9"):
        with pytest.raises(SpecError, match="unknown API version"):
            compile_protocol(PRINTER, version)  # type: ignore[arg-type]
    assert PROFILE.tool_names == {}


def test_submitting_a_call_twice_is_not_covering_the_calls() -> None:
    prof = runfsm.profile()
    for expected, got in ((["call_A", "call_B"], ["call_A", "call_B", "call_B"]), (["call_A"], ["call_A", "call_A"])):
        hit = prof.refusal("submit_tool_outputs", expected=expected, got=got)
        assert hit is not None and hit[0] == "submit_missing_calls", (expected, got)


PAGE = ObjectSpec("page", "page", "print.page", (StatusRow("queued", ACTIVE), StatusRow("printed", TERMINAL)),
                  "queued", (T("print", "queued", "printed", "server", "doc", "printer manual"),),
                  event_prefix="page", event_extra=("created",))
TWO = PRINTER._replace(objects=(JOB, PAGE), event_aliases=(
    spec.EventAlias("job", "done", "cancelled", "wire", "an old printer", "v1", ""),))


def test_the_generic_tracker_judges_event_names_by_the_declaration() -> None:
    # a created event carries the initial status
    late = validate_objects(PRINTER, [("job.created", job("printing"))])
    assert late.codes() == ["stream.event_status"] and "'pending'" in late.findings[0].message
    # an alias lets an event named for one status carry another
    aliased = [("job.created", job("pending")), ("job.done", job("cancelled"))]  # pending -> cancelled is legal
    assert validate_objects(TWO, aliased).findings == []
    assert validate_objects(PRINTER, aliased).codes() == ["stream.event_status"]
    # an event names its object's kind: a page in a job event is no job
    page = {"id": "page_1", "object": "print.page", "status": "queued", "created_at": 100}
    assert validate_objects(TWO, [("job.created", page)]).codes() == ["input.object"]
    assert validate_objects(TWO, [("page.created", page)]).findings == []


def test_cover_plans_are_the_shortest_and_say_what_is_unreachable() -> None:
    # a long way round declared first: breadth-first still finds the one-step path to done
    detour = JOB._replace(transitions=(
        T("start", "pending", "printing", "server", "doc", "m"), T("jam", "printing", "jammed", "server", "doc", "m"),
        T("cancel", "jammed", "cancelled", "client", "doc", "m"), T("finish", "printing", "done", "server", "doc", "m"),
        T("cancel", "pending", "cancelled", "client", "inferred", "m")))
    lc = compile_protocol(PRINTER._replace(objects=(detour,))).primary
    assert cover(lc).statuses["cancelled"] == ("cancel",)
    strict = cover(lc, strict=True)
    assert strict.statuses["cancelled"] == ("start", "jam", "cancel") and strict.unreachable == ()
    lone = JOB._replace(statuses=(*JOB.statuses, StatusRow("lost", TERMINAL)),
                        transitions=(*JOB.transitions, T("lose", "jammed", "lost", "server", "inferred", "m")))
    assert cover(compile_protocol(PRINTER._replace(objects=(lone,))).primary, strict=True).unreachable == ("lost",)
