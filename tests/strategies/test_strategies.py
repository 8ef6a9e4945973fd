"""The public Hypothesis strategies: each generates what it promises, shrinks well, and the validator agrees."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import runfsm
from runfsm import spec
from runfsm import strategies as rs
from runfsm.lifecycle import profile
from runfsm.validate import Tracker, validate_trace

VERSIONS = ("v1", "v2")
FIRST = settings(phases=[Phase.generate], database=None)  # find(): the first example, no shrinking
MODES = (False, True)
RUN_OBJECT = spec.OBJECT_TYPES["run"]
STEP_OBJECT = spec.OBJECT_TYPES["run_step"]
MESSAGE_OBJECT = spec.OBJECT_TYPES["message"]


def _kind_of(obj: dict[str, Any]) -> str:
    return {v: k for k, v in spec.OBJECT_TYPES.items()}[obj["object"]]


# --- status paths --------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("strict", MODES)
@pytest.mark.parametrize("kind", rs.KINDS)
@given(data=st.data())
def test_stream_paths_take_one_legal_edge_per_step_and_end_terminal(
    kind: str, strict: bool, version: str, data: st.DataObject
) -> None:
    lc = profile(version).lifecycle(kind)
    path = data.draw(rs.status_paths(kind, strict=strict, version=version))
    assert path[0] == lc.initial
    assert path[-1] in lc.terminal
    assert not any(s in lc.terminal for s in path[:-1])
    for a, b in itertools.pairwise(path):
        assert lc.is_legal(a, b, strict), (a, b)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_transition_paths_chain_and_respect_the_mode(strict: bool, version: str, data: st.DataObject) -> None:
    lc = profile(version).run
    path = data.draw(rs.transition_paths("run", strict=strict, version=version, finished=False))
    status = lc.initial
    for t in path:
        assert t.source == status and t in lc.transitions
        assert not (strict and t.inferred)
        status = t.dest


@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_poll_paths_are_reachable_subsequences(strict: bool, data: st.DataObject) -> None:
    lc = runfsm.RUN
    path = data.draw(rs.poll_paths("run", strict=strict, repeats=True))
    assert path[0] == lc.initial and path[-1] in lc.terminal
    for a, b in itertools.pairwise(path):
        assert a == b or lc.reachable(a, b, strict), (a, b)


def test_every_transition_and_status_can_be_generated() -> None:
    for strict in MODES:
        for lc in (runfsm.RUN, runfsm.RUN_STEP, runfsm.MESSAGE):
            for t in lc.transitions:
                if strict and t.inferred:
                    continue
                found = find(rs.transition_paths(lc.kind, strict=strict), lambda p, t=t: t in p)
                assert t in found


def test_paths_shrink_to_the_everyday_path() -> None:
    assert find(rs.status_paths(), lambda p: True) == ("queued", "in_progress", "completed")
    assert find(rs.status_paths(strict=True), lambda p: True) == ("queued", "in_progress", "completed")
    assert find(rs.status_paths("run_step"), lambda p: True) == ("in_progress", "completed")
    assert find(rs.status_paths(view="poll"), lambda p: True) == ("queued", "completed")
    assert find(rs.status_paths(finished=False), lambda p: True) == ("queued",)
    # A failure that needs a pause shrinks to the shortest path through it.
    paused = find(rs.status_paths(), lambda p: "requires_action" in p)
    assert paused == ("queued", "in_progress", "requires_action", "expired")
    twice = find(rs.status_paths(max_steps=20), lambda p: p.count("requires_action") >= 2)
    assert twice == ("queued", "in_progress", "requires_action", "queued", "in_progress", "requires_action", "expired")


def test_unknown_view_and_kind_are_refused() -> None:
    with pytest.raises(runfsm.SpecError, match="unknown view"):
        rs.status_paths(view="sideways")
    with pytest.raises(runfsm.SpecError, match="unknown object kind"):
        rs.status_paths("thread")
    with pytest.raises(runfsm.UnknownStatus):
        rs.runs("in_process")


# --- illegal transitions -------------------------------------------------------------------


@pytest.mark.parametrize("strict", MODES)
@pytest.mark.parametrize("kind", rs.KINDS)
@given(data=st.data())
def test_illegal_transitions_are_illegal(kind: str, strict: bool, data: st.DataObject) -> None:
    lc = profile().lifecycle(kind)
    a, b = data.draw(rs.illegal_transitions(kind, strict=strict))
    assert a != b and not lc.is_legal(a, b, strict)
    if kind == "run":
        a, b = data.draw(rs.illegal_transitions(kind, view="poll", strict=strict))
        assert not lc.reachable(a, b, strict)


def test_strict_mode_counts_inferred_edges_as_illegal() -> None:
    lc = runfsm.RUN
    pair = find(rs.illegal_transitions(strict=True), lambda p: lc.is_inferred(*p))
    assert lc.is_legal(*pair) and not lc.is_legal(*pair, strict=True)
    with pytest.raises(NoSuchExample):
        find(rs.illegal_transitions(strict=False), lambda p: lc.is_inferred(*p))


@pytest.mark.parametrize("view", ["stream", "poll"])
@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_illegal_stream_paths_have_exactly_one_bad_step(view: str, strict: bool, data: st.DataObject) -> None:
    lc = runfsm.RUN
    ok = lc.is_legal if view == "stream" else lc.reachable
    path, index = data.draw(rs.illegal_stream_paths(view=view, strict=strict))
    bad = [i for i in range(1, len(path)) if not ok(path[i - 1], path[i], strict)]
    assert bad == [index]
    assert path[0] == lc.initial


# --- wire objects --------------------------------------------------------------------------


def _timestamps(obj: dict[str, Any]) -> list[int]:
    keys = {*spec.RUN_TIMESTAMPS, *spec.STEP_EXPIRY_KEYS, "incomplete_at"}
    return [v for k, v in obj.items() if k in keys and v is not None]


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_runs_obey_every_rule_of_their_status(version: str, data: st.DataObject) -> None:
    prof = profile(version)
    run = data.draw(rs.runs(version=version))
    assert set(spec.RUN_KEYS) <= set(run) and run["object"] == RUN_OBJECT
    status = run["status"]
    assert status in prof.run.statuses
    assert rs.broken_rules(prof.run.field_rules, status, run) == []
    assert min(_timestamps(run)) == run["created_at"]
    if run["expires_at"] is not None:
        assert run["expires_at"] == run["created_at"] + spec.RUN_DEADLINE_SECONDS
    if run["required_action"] is not None:
        calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
        assert calls and {c["type"] for c in calls} == {spec.PAUSING_TOOL_CALL_TYPE}
        names = {t["function"]["name"] for t in run["tools"] if t["type"] == spec.PAUSING_TOOL_CALL_TYPE}
        assert {c["function"]["name"] for c in calls} <= names
    if run["last_error"] is not None:
        assert run["last_error"]["code"] in spec.RUN_ERROR_CODES
    if run["incomplete_details"] is not None:
        assert version == "v2" and run["incomplete_details"]["reason"] in spec.RUN_INCOMPLETE_REASONS
    assert {t["type"] for t in run["tools"]} <= set(prof.tool_call_types)
    assert Tracker(version=version).feed(run) == []  # the validator agrees


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_run_steps_obey_every_rule_of_their_status(version: str, data: st.DataObject) -> None:
    prof = profile(version)
    step = data.draw(rs.run_steps(version=version))
    assert step["object"] == STEP_OBJECT and step["type"] in spec.STEP_TYPES
    assert rs.broken_rules(prof.run_step.field_rules, step["status"], step) == []
    assert [k for k in spec.STEP_EXPIRY_KEYS if k in step] != []
    details = step["step_details"]
    assert details["type"] == step["type"]
    if step["type"] == "tool_calls":
        for call in details["tool_calls"]:
            assert call["type"] in prof.tool_call_types
            if call["type"] == spec.PAUSING_TOOL_CALL_TYPE:
                assert (call["function"]["output"] is None) == (step["status"] in prof.run_step.active)
    if step["last_error"] is not None:
        assert step["last_error"]["code"] in spec.STEP_ERROR_CODES
    assert min(_timestamps(step)) >= step["created_at"]
    assert Tracker(version=version).feed(step) == []


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_messages_obey_their_rules_and_polled_ones_have_no_status_keys(version: str, data: st.DataObject) -> None:
    prof = profile(version)
    msg = data.draw(rs.messages(version=version))
    assert msg["object"] == MESSAGE_OBJECT
    rule_fields = {r.field for r in spec.MESSAGE_FIELD_RULES}
    if "status" not in msg:
        assert not rule_fields & set(msg)
    else:
        assert rs.broken_rules(prof.message.field_rules, msg["status"], msg) == []
        if msg["incomplete_details"] is not None:
            assert msg["incomplete_details"]["reason"] in spec.MESSAGE_INCOMPLETE_REASONS
    assert (msg["run_id"] is None) == (msg["role"] == "user")
    assert Tracker(version=version).feed(msg) == []


@pytest.mark.parametrize("kind", rs.KINDS)
def test_every_status_of_every_kind_has_objects(kind: str) -> None:
    lc = runfsm.profile().lifecycle(kind)
    for status in lc.order:
        obj = find(rs.wire_objects(kind, status), lambda o: True, settings=FIRST)
        assert obj["status"] == status and _kind_of(obj) == kind


def test_objects_shrink_to_plain_ones() -> None:
    # With a predicate that always holds, the first example tried is the all-zero choice
    # sequence: where shrinking ends.
    run = find(rs.runs(), lambda r: True, settings=FIRST)
    assert run["status"] == runfsm.RUN.initial and run["usage"] is None and run["tools"] == []
    failed = find(rs.runs("failed"), lambda r: True, settings=FIRST)
    assert failed["last_error"]["code"] == spec.RUN_ERROR_CODES[0]


# --- objects that break one rule -----------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_rule_breaks_break_exactly_their_rule(version: str, data: st.DataObject) -> None:
    prof = profile(version)
    br = data.draw(rs.rule_breaks(version=version))
    lc = prof.lifecycle(br.kind)
    assert br.obj["status"] == br.status
    assert rs.broken_rules(lc.field_rules, br.status, br.obj) == [br.code]
    assert (br.obj[br.rule.field] is not None) == br.field_set
    assert br.severity == ("warning" if br.rule.disputed else "error")
    found = Tracker(version=version).feed(br.obj)  # the validator reports exactly that rule
    assert [(f.rule, f.severity) for f in found] == [(br.code, br.severity)]
    assert br.obj["id"] in found[0].message and br.status in found[0].message


def test_every_rule_can_be_broken_alone() -> None:
    for kind in rs.KINDS:
        for rule in runfsm.profile().lifecycle(kind).field_rules:
            br = find(rs.rule_breaks(kind, rules=[rule.code]), lambda b: True, settings=FIRST)
            assert br.code == rule.code


# --- event streams -------------------------------------------------------------------------


def _check_stream(events: list[tuple[str, Any]], version: str, strict: bool) -> list[str]:
    """Independent checks of section 6: returns the run's statuses in event order."""
    prof = profile(version)
    names = prof.event_names()
    statuses: list[str] = []
    steps: dict[str, list[str]] = {}
    msgs: dict[str, list[str]] = {}
    open_steps: set[str] = set()
    last_time = 0
    for i, (name, data) in enumerate(events):
        if name == spec.EVENT_DONE:
            assert data == "[DONE]"
            assert statuses and (statuses[-1] in prof.run.paused or statuses[-1] in prof.run.terminal)
            assert i == len(events) - 1 or events[i + 1][0] != spec.EVENT_DONE
            continue
        if name == spec.EVENT_THREAD_CREATED:
            assert i == 0
            continue
        kind, what = names[name]
        if what == "delta":
            assert data["object"] == spec.OBJECT_TYPES[kind] + ".delta"
            assert data["id"] in (open_steps if kind == "run_step" else {m for m, h in msgs.items()
                                                                        if h[-1] in prof.message.active})
            continue
        assert data["object"] == spec.OBJECT_TYPES[kind]
        lc = prof.lifecycle(kind)
        assert rs.broken_rules(lc.field_rules, data["status"], data) == [], (name, data)
        stamps = _timestamps(data)
        assert min(stamps) >= data["created_at"]
        last_time = max(last_time, *stamps)
        if kind == "run":
            if what == "created":
                assert not statuses and data["status"] == lc.initial
                continue
            assert data["status"] == what
            if statuses and statuses[-1] != what:
                assert lc.is_legal(statuses[-1], what, strict), (statuses[-1], what)
            statuses.append(what)
            if what in lc.terminal or what in lc.paused:
                assert events[i + 1][0] == spec.EVENT_DONE
        else:
            table = steps if kind == "run_step" else msgs
            if what == "created":
                assert data["id"] not in table and data["status"] == lc.initial
                if kind == "run_step":
                    assert not open_steps, "steps run one at a time"
                    open_steps.add(data["id"])
                else:
                    step_for = [s for s in open_steps]
                    assert step_for, "a message_creation step is created before its message"
                table[data["id"]] = []
                continue
            history = table[data["id"]]
            if history and history[-1] != what:
                assert lc.is_legal(history[-1], what, strict)
            history.append(what)
            if kind == "run_step" and what in lc.terminal:
                open_steps.discard(data["id"])
    assert statuses[0] == prof.run.initial
    return statuses


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_event_streams_follow_section_6(version: str, strict: bool, data: st.DataObject) -> None:
    events = data.draw(rs.run_event_streams(version=version, strict=strict))
    statuses = _check_stream(events, version, strict)
    lc = profile(version).run
    assert statuses[-1] in lc.terminal or statuses[-1] in lc.paused
    assert events[-1] == (spec.EVENT_DONE, "[DONE]")
    report = validate_trace(events, strict=strict, version=version)  # the validator agrees
    assert [str(f) for f in report.findings if f.severity != "info"] == []
    run_id = next(d["id"] for _, d in events if isinstance(d, dict) and d.get("object") == RUN_OBJECT)
    assert report.histories[run_id] == [s for i, s in enumerate(statuses) if i == 0 or statuses[i - 1] != s]


def test_event_streams_shrink_to_the_documented_order() -> None:
    events = find(rs.run_event_streams(), lambda e: True, settings=FIRST)
    p = spec.EVENT_PREFIXES
    assert [n for n, _ in events if not n.endswith(".delta")] == [
        f"{p['run']}.created", f"{p['run']}.queued", f"{p['run']}.in_progress",
        f"{p['run_step']}.created", f"{p['run_step']}.in_progress",
        f"{p['message']}.created", f"{p['message']}.in_progress", f"{p['message']}.completed",
        f"{p['run_step']}.completed", f"{p['run']}.completed", spec.EVENT_DONE,
    ]
    # A function call pauses the run with its step left open; the submit stream starts by completing it.
    paused = find(rs.run_event_streams(), lambda e: any(n == f"{p['run']}.requires_action" for n, _ in e))
    names = [n for n, _ in paused if not n.endswith(".delta")]
    i = names.index(f"{p['run']}.requires_action")
    assert names[i - 1] == f"{p['run_step']}.in_progress" and names[i + 1] == spec.EVENT_DONE


# --- the validator agrees with every strategy ----------------------------------------------

ILLEGAL_CODES = {"run.illegal_transition", "run.terminal_left", "run.inferred_transition"}


def _as_stream(history: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """A run's snapshots as the events of one stream (created first, done after a pause or the end)."""
    lc = runfsm.RUN
    prefix = spec.EVENT_PREFIXES["run"]
    events: list[tuple[str, Any]] = [(f"{prefix}.created", history[0])]
    events += [(f"{prefix}.{o['status']}", o) for o in history]
    if history[-1]["status"] in lc.terminal or history[-1]["status"] in lc.paused:
        events.append((spec.EVENT_DONE, "[DONE]"))
    return events


def _noteworthy(report: Any) -> list[str]:
    return [str(f) for f in report.findings if f.severity != "info"]


@pytest.mark.parametrize("view", ["poll", "stream"])
@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_validator_accepts_legal_histories(view: str, strict: bool, data: st.DataObject) -> None:
    history = data.draw(rs.run_histories(view=view, strict=strict))
    items: list[Any] = history if view == "poll" else _as_stream(history)
    report = validate_trace(items, strict=strict)
    assert _noteworthy(report) == []
    collapsed = [s for i, s in enumerate(o["status"] for o in history) if i == 0 or history[i - 1]["status"] != s]
    assert report.histories[history[0]["id"]] == collapsed


@pytest.mark.parametrize("view", ["poll", "stream"])
@pytest.mark.parametrize("strict", MODES)
@given(data=st.data())
def test_validator_flags_the_one_illegal_step(view: str, strict: bool, data: st.DataObject) -> None:
    history, index = data.draw(rs.illegal_run_histories(view=view, strict=strict))
    items: list[Any] = history if view == "poll" else _as_stream(history)
    report = validate_trace(items, strict=strict)
    errors = [f for f in report.findings if f.severity == "error"]
    assert len(errors) == 1 and errors[0].code in ILLEGAL_CODES
    assert errors[0].index == index + (view == "stream")
    assert history[index - 1]["status"] in errors[0].message and history[index]["status"] in errors[0].message


# --- model scripts drive the simulator -------------------------------------------------------


@pytest.mark.parametrize(("version", "inferred"), [("v2", False), ("v2", True), ("v1", True)])
@given(data=st.data())
def test_model_scripts_run_in_the_simulator(version: str, inferred: bool, data: st.DataObject) -> None:
    from runfsm.sim import Clock, SimConfig, Simulator

    script = data.draw(rs.model_scripts(version=version, inferred=inferred))
    sim = Simulator(clock=Clock(), config=SimConfig(inferred=inferred), script=script, version=version)
    asst = sim.create_assistant(model="gpt-4o", tools=rs.script_tools(script, version=version))
    thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
    run = sim.create_run(thread["id"], assistant_id=asst["id"])
    lc = sim.profile.run
    for _ in range(10):
        sim.advance(spec.RUN_DEADLINE_SECONDS)
        run = sim.retrieve_run(thread["id"], run["id"])
        if run["status"] in lc.paused:
            calls = run["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]
            run = sim.submit_tool_outputs(thread["id"], run["id"],
                                          tool_outputs=[{"tool_call_id": c["id"], "output": "ok"} for c in calls])
    assert run["status"] in lc.terminal
    sim.list_run_steps(thread["id"], run["id"])
    assert _noteworthy(validate_trace(sim.trace, strict=not inferred, version=version)) == []


def test_model_scripts_shrink_to_one_message() -> None:
    from runfsm.sim import Say

    assert find(rs.model_scripts(), lambda s: True, settings=FIRST) == (Say("Hello"),)
