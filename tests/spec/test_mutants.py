"""The suite has teeth: properties that hold for the spec fail for each mutant of it.

Each mutant is a :class:`~runfsm.Lifecycle` built from modified copies of the rows in
``runfsm.spec`` (one illegal edge added, one legal edge removed, a terminal flag
flipped, a field rule dropped).  The strategies generate from the mutant; the
validator and the simulator keep the real spec; the properties below compare the two.
A property that passes on the spec and fails on a mutant is one that would catch that
mistake, were it made in ``spec.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from runfsm import spec
from runfsm import strategies as rs
from runfsm.errors import RunfsmError, SpecError
from runfsm.explore import Target, explore
from runfsm.lifecycle import Lifecycle, Profile, profile
from runfsm.validate import Tracker, validate_trace

# Hypothesis settings for a property run against a mutant: the profile's example count,
# no shrinking (the first counterexample is enough) and no example database.
QUICK = settings(phases=[Phase.explicit, Phase.generate], database=None)
NEVER_REACHED = {Target("message", "incomplete", "filter_content", "in_progress")}
ILLEGAL_CODES = {"run.illegal_transition", "run.terminal_left", "run.inferred_transition"}

_SPEC = {
    "run": (spec.RUN_STATUSES, spec.RUN_INITIAL, spec.RUN_TRANSITIONS, spec.RUN_FIELD_RULES),
    "run_step": (spec.STEP_STATUSES, spec.STEP_INITIAL, spec.STEP_TRANSITIONS, spec.STEP_FIELD_RULES),
    "message": (spec.MESSAGE_STATUSES, spec.MESSAGE_INITIAL, spec.MESSAGE_TRANSITIONS, spec.MESSAGE_FIELD_RULES),
}


def mutant(kind: str, *, statuses: Any = None, transitions: Any = None, rules: Any = None) -> Profile:
    """The v2 profile with the ``kind`` lifecycle rebuilt from (modified copies of) the spec's rows."""
    rows, initial, edges, field_rules = _SPEC[kind]
    lc = Lifecycle(kind, tuple(statuses if statuses is not None else rows), initial,
                   tuple(transitions if transitions is not None else edges),
                   tuple(rules if rules is not None else field_rules), version="v2")
    return profile("v2").replace(**{kind: lc})


# --- the mutants -----------------------------------------------------------------------------

T = spec.TransitionRow
ADDED_EDGE = mutant("run", transitions=(
    *spec.RUN_TRANSITIONS, T("finish_early", "queued", "completed", "server", "doc", "mutant: not in the spec")))
REMOVED_EDGE = mutant("run", transitions=tuple(
    t for t in spec.RUN_TRANSITIONS if (t.trigger, t.source) != ("expire", "requires_action")))
# A terminal flag flipped, with the one extra edge that lets the definition checks pass.
TERMINAL_FLIPPED = mutant(
    "run",
    statuses=tuple(s._replace(klass=spec.ACTIVE) if s.status == "completed" else s for s in spec.RUN_STATUSES),
    transitions=(*spec.RUN_TRANSITIONS, T("reopen", "completed", "in_progress", "client", "doc", "mutant")),
)
RULE_DROPPED = mutant("run", rules=tuple(r for r in spec.RUN_FIELD_RULES if r.code != "run.required_action"))


# --- the properties (each passes on the spec) -----------------------------------------------


def _noteworthy(findings: Any) -> list[str]:
    return [str(f) for f in findings if f.severity != "info"]


def _as_stream(history: list[dict[str, Any]], prof: Profile) -> list[tuple[str, Any]]:
    prefix = spec.EVENT_PREFIXES["run"]
    events: list[tuple[str, Any]] = [(f"{prefix}.created", history[0])]
    events += [(f"{prefix}.{o['status']}", o) for o in history]
    if history[-1]["status"] in prof.run.terminal or history[-1]["status"] in prof.run.paused:
        events.append((spec.EVENT_DONE, "[DONE]"))
    return events


def stream_histories_validate(prof: Profile) -> None:
    """Every run history the model allows (one edge per event) is accepted by the validator."""
    @QUICK
    @given(rs.run_histories(view="stream", profile=prof))
    def check(history: list[dict[str, Any]]) -> None:
        assert _noteworthy(validate_trace(_as_stream(history, prof)).findings) == []
    check()


def poll_histories_validate(prof: Profile) -> None:
    """Every polled history the model allows is accepted by the validator."""
    @QUICK
    @given(rs.run_histories(view="poll", profile=prof))
    def check(history: list[dict[str, Any]]) -> None:
        assert _noteworthy(validate_trace(history).findings) == []
    check()


def illegal_histories_are_flagged(prof: Profile) -> None:
    """Every step the model calls illegal is the one error the validator reports."""
    @QUICK
    @given(st.sampled_from(("stream", "poll")).flatmap(
        lambda view: st.tuples(st.just(view), rs.illegal_run_histories(view=view, profile=prof))))
    def check(case: tuple[str, tuple[list[dict[str, Any]], int]]) -> None:
        view, (history, index) = case
        items: list[Any] = _as_stream(history, prof) if view == "stream" else history
        errors = [f for f in validate_trace(items).findings if f.severity == "error"]
        assert [(f.code in ILLEGAL_CODES, f.index) for f in errors] == [(True, index + (view == "stream"))]
    check()


def every_pair_is_judged_like_the_model(prof: Profile) -> None:
    """For every two statuses: one event from the first to the second is an error exactly when the model
    has no edge for it (after a legal way to the first)."""
    lc = prof.run
    ways = {lc.initial: [lc.initial]}
    frontier = [lc.initial]
    while frontier:  # the shortest legal way to every status, in the model
        nxt = []
        for a in frontier:
            for b in sorted(lc.next_statuses(a)):
                if b not in ways:
                    ways[b] = [*ways[a], b]
                    nxt.append(b)
        frontier = nxt
    cases = [(ways[a], b) for a in lc.order if a in ways for b in lc.order if b != a]

    @settings(QUICK, max_examples=3)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        for way, b in cases:
            history = data.draw(rs.run_snapshots([*way, b], profile=prof))
            report = validate_trace(_as_stream(history, prof))
            flagged = any(f.severity == "error" and f.code in ILLEGAL_CODES for f in report.findings)
            assert flagged == (not lc.is_legal(way[-1], b)), (way[-1], b, _noteworthy(report.findings))
    check()


def objects_validate(prof: Profile, kind: str | None = None) -> None:
    """Every object the model's field rules allow, of every status, is accepted by the validator,
    without a warning."""
    cases = [(k, s, rs.wire_objects(k, s, profile=prof))
             for k in ((kind,) if kind else rs.KINDS) for s in prof.lifecycle(k).order]

    @settings(QUICK, max_examples=20)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        for k, status, objects in cases:
            obj = data.draw(objects)
            assert _noteworthy(Tracker().feed(obj)) == [], (k, status)
    check()


def rule_breaks_are_flagged(prof: Profile) -> None:
    """Every object that breaks one of the model's rules gets exactly that finding."""
    @QUICK
    @given(rs.rule_breaks(profile=prof))
    def check(br: rs.RuleBreak) -> None:
        assert [(f.rule, f.severity) for f in Tracker().feed(br.obj)] == [(br.code, br.severity)]
    check()


def event_streams_validate(prof: Profile) -> None:
    """Every event stream the model allows is accepted by the validator."""
    @QUICK
    @given(rs.run_event_streams(profile=prof))
    def check(events: list[tuple[str, Any]]) -> None:
        assert _noteworthy(validate_trace(events).findings) == []
    check()


def simulator_conforms(prof: Profile) -> None:
    """The simulator, explored exhaustively, takes only the model's edges and reaches all of them."""
    exp = explore("v2", inferred=True, depth=4, max_runs=1, model=prof)
    assert exp.ok, exp.summary()
    assert set(exp.coverage.unreached) <= NEVER_REACHED, [str(t) for t in exp.coverage.unreached]


PROPERTIES: dict[str, Callable[..., None]] = {
    f.__name__: f for f in (
        stream_histories_validate, poll_histories_validate, illegal_histories_are_flagged,
        every_pair_is_judged_like_the_model, objects_validate,
        rule_breaks_are_flagged, event_streams_validate, simulator_conforms,
    )
}


def _fails(prop: str, prof: Profile, **kwargs: Any) -> bool:
    try:
        PROPERTIES[prop](prof, **kwargs)
    except (AssertionError, RunfsmError):
        return True
    except BaseException as exc:  # several distinct failures arrive as an exception group
        if all(isinstance(e, (AssertionError, RunfsmError)) for e in getattr(exc, "exceptions", ())):
            return True
        raise
    return False


@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_every_property_holds_for_the_spec(prop: str) -> None:
    assert not _fails(prop, profile("v2"))


@pytest.mark.parametrize(
    ("mutant_profile", "caught_by"),
    [
        pytest.param(ADDED_EDGE, ("stream_histories_validate", "illegal_histories_are_flagged",
                                  "every_pair_is_judged_like_the_model", "event_streams_validate",
                                  "simulator_conforms"), id="illegal-edge-added"),
        pytest.param(REMOVED_EDGE, ("every_pair_is_judged_like_the_model", "simulator_conforms"),
                     id="legal-edge-removed"),
        pytest.param(TERMINAL_FLIPPED, ("illegal_histories_are_flagged", "every_pair_is_judged_like_the_model",
                                        "simulator_conforms"), id="terminal-flag-flipped"),
        pytest.param(RULE_DROPPED, ("objects_validate",), id="field-rule-dropped"),
    ],
)
def test_each_mutant_fails_the_properties_that_guard_it(mutant_profile: Profile, caught_by: tuple[str, ...]) -> None:
    # caught_by lists the properties that catch the mutant whatever the random seed (checked with
    # many seeds); the others may catch it too, by chance.
    survived = [p for p in caught_by if not _fails(p, mutant_profile)]
    assert not survived, f"the mutant survived {survived}"


def test_the_mutants_differ_from_the_spec_in_one_place_each() -> None:
    real = profile("v2").run
    edges = {(t.trigger, t.source, t.dest) for t in real.transitions}
    assert {(t.trigger, t.source, t.dest) for t in ADDED_EDGE.run.transitions} - edges == {
        ("finish_early", "queued", "completed")}
    assert edges - {(t.trigger, t.source, t.dest) for t in REMOVED_EDGE.run.transitions} == {
        ("expire", "requires_action", "expired")}
    assert real.terminal - TERMINAL_FLIPPED.run.terminal == {"completed"}
    assert {r.code for r in real.field_rules} - {r.code for r in RULE_DROPPED.run.field_rules} == {
        "run.required_action"}


# --- every terminal flag and every field rule -------------------------------------------------


@pytest.mark.parametrize("kind", sorted(_SPEC))
def test_a_bare_terminal_flag_flip_is_refused_when_the_lifecycle_is_built(kind: str) -> None:
    rows = _SPEC[kind][0]
    for row in rows:
        flipped = row._replace(klass=spec.ACTIVE if row.klass == spec.TERMINAL else spec.TERMINAL)
        with pytest.raises(SpecError, match=repr(row.status)):
            mutant(kind, statuses=tuple(flipped if r is row else r for r in rows))


@pytest.mark.parametrize(
    ("kind", "code"), [(kind, r.code) for kind in sorted(_SPEC) for r in _SPEC[kind][3]]
)
def test_dropping_any_field_rule_is_caught(kind: str, code: str) -> None:
    rules = tuple(r for r in _SPEC[kind][3] if r.code != code)
    assert _fails("objects_validate", mutant(kind, rules=rules), kind=kind)


def test_the_validator_judges_by_a_mutant_when_given_one() -> None:
    # the explorer checks the simulator against a mutant through the validator: Tracker(model=...)
    history = ["queued", "in_progress", "requires_action", "expired"]
    run = {"object": "thread.run", "id": "run_1", "thread_id": "thread_1", "created_at": 1, "expires_at": 601}

    def edge_errors(tracker: Tracker) -> list[str]:
        tracker.feed_event("thread.run.created", {**run, "status": history[0]})
        for status in history:
            tracker.feed_event(f"thread.run.{status}", {**run, "status": status})
        return [f.code for f in tracker.findings if f.code in ILLEGAL_CODES]

    assert edge_errors(Tracker()) == []
    assert edge_errors(Tracker(model=REMOVED_EDGE)) == ["run.illegal_transition"]
    with pytest.raises(ValueError, match="as_of"):
        Tracker(model=REMOVED_EDGE, as_of="2024-06-03")
