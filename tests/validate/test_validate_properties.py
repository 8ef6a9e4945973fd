"""Properties of the validator on generated traces.

A small generator, built here from the compiled tables (statuses, edges, field
rules, event names), produces legal sessions: polled snapshots, event streams
in the order of LIFECYCLE.md section 6, and logs mixing both.  Legal traces
must pass in both views; single mutations (skip, reorder, wrong field, terminal
left, event order) must be caught; garbage must only ever give input findings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from runfsm import spec
from runfsm.lifecycle import Lifecycle, Profile, profile
from runfsm.validate import Finding, Report, Tracker, validate_trace
from runfsm.validate._reader import read_bytes

T0 = 1_700_000_000
VERSIONS = spec.VERSIONS

# --- the generator --------------------------------------------------------------------------


def need(lc: Lifecycle, status: str) -> dict[str, bool]:
    """field -> must be set (True) / must be null (False), from the lifecycle's field rules."""
    out: dict[str, bool] = {}
    for r in lc.field_rules:
        inside = status in r.statuses
        if r.kind in ("exactly", "set") and inside:
            out[r.field] = True
        elif (r.kind == "exactly" and not inside) or (r.kind == "null_outside" and not inside) or (
                r.kind == "null" and inside):
            out.setdefault(r.field, False)
    return out


def working(lc: Lifecycle) -> str:
    (w,) = set(lc.next_statuses(lc.initial, strict=True)) - lc.terminal
    return w


def ev(kind: str, part: str) -> str:
    return f"{spec.EVENT_PREFIXES[kind]}.{part}"


def call(cid: str, output: str | None = None) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": "get_weather", "arguments": "{}"}
    if output is not None:
        fn["output"] = output
    return {"id": cid, "type": spec.PAUSING_TOOL_CALL_TYPE, "function": fn}


def value_for(fieldname: str, now: int, calls: list[str], kind: str) -> Any:
    if fieldname == "required_action":
        return {"type": spec.REQUIRED_ACTION_TYPE,
                spec.REQUIRED_ACTION_TYPE: {"tool_calls": [call(c) for c in calls]}}
    if fieldname == "last_error":
        codes = spec.RUN_ERROR_CODES if kind == "run" else spec.STEP_ERROR_CODES
        return {"code": codes[0], "message": "boom"}
    if fieldname == "incomplete_details":
        reasons = spec.RUN_INCOMPLETE_REASONS if kind == "run" else spec.MESSAGE_INCOMPLETE_REASONS
        return {"reason": reasons[0]}
    if fieldname == "usage":
        return {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return now  # every other rule field is a timestamp


@dataclass
class RunSim:
    """One run moving along a status path, producing wire objects as it goes."""

    prof: Profile
    rid: str
    tid: str
    created: int
    now: int = 0
    status: str = ""
    started: int | None = None
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.created
        self.status = self.prof.run.initial

    def move(self, status: str, calls: list[str] | None = None) -> dict[str, Any]:
        self.now += 1
        self.status = status
        if status == working(self.prof.run):
            self.started = self.now  # re-stamped each time the run re-enters it
        if calls is None and status in self.prof.run.paused:
            calls = [f"call_{self.now}"]
        if calls is not None:
            self.calls = calls
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        lc = self.prof.run
        d: dict[str, Any] = {k: None for k in spec.RUN_KEYS}
        d.update(id=self.rid, object=spec.OBJECT_TYPES["run"], created_at=self.created, thread_id=self.tid,
                 assistant_id="asst_1", status=self.status, model="gpt-4o", tools=[], metadata={}, temperature=1.0)
        needs = need(lc, self.status)
        for f, must in needs.items():
            if must:
                d[f] = value_for(f, self.now, self.calls, "run")
        if needs.get("expires_at"):
            d["expires_at"] = self.created + spec.RUN_DEADLINE_SECONDS
        if needs.get("started_at") and self.started is None:
            self.started = self.now  # it worked without being seen working (queued -> cancelling -> completed)
        if needs.get("started_at") is not False:
            d["started_at"] = self.started
        if self.status in lc.terminal and needs.get("usage") is not False:
            d["usage"] = value_for("usage", 0, [], "run")
        return d


def step_obj(prof: Profile, run: RunSim, sid: str, status: str, step_type: str, details: dict[str, Any],
             created: int, now: int) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": sid, "object": spec.OBJECT_TYPES["run_step"], "created_at": created, "run_id": run.rid,
        "assistant_id": "asst_1", "thread_id": run.tid, "type": step_type, "status": status,
        "cancelled_at": None, "completed_at": None, "expires_at": run.created + spec.RUN_DEADLINE_SECONDS,
        "failed_at": None, "last_error": None, "step_details": details, "usage": None,
    }
    for f, must in need(prof.run_step, status).items():
        if must:
            d[f] = value_for(f, now, [], "run_step")
    if status in prof.run_step.terminal:
        d["usage"] = value_for("usage", 0, [], "run_step")
    return d


def msg_obj(prof: Profile, run: RunSim, mid: str, status: str, created: int, now: int) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": mid, "object": spec.OBJECT_TYPES["message"], "created_at": created, "assistant_id": "asst_1",
        "thread_id": run.tid, "run_id": run.rid, "status": status, "incomplete_details": None,
        "incomplete_at": None, "completed_at": None, "role": "assistant", "content": [], "metadata": {},
    }
    for f, must in need(prof.message, status).items():
        if must:
            d[f] = value_for(f, now, [], "message")
    return d


def poll(d: dict[str, Any]) -> dict[str, Any]:
    return d


def event(name: str, data: Any) -> dict[str, Any]:
    return {"event": name, "data": data}


@st.composite
def status_paths(draw: st.DrawFn, lc: Lifecycle, strict: bool, complete: bool = True, max_len: int = 9) -> list[str]:
    """A walk along legal edges from the initial status (to a terminal one when ``complete``)."""
    # first head for a drawn status (so every status is visited often), then wander
    goal = draw(st.sampled_from([s for s in lc.order if lc.reachable(lc.initial, s, strict)]))
    path = _shortest(lc, lc.initial, goal, strict)
    dist = _distance_to_terminal(lc, strict)
    while path[-1] not in lc.terminal:
        options = sorted(lc.next_statuses(path[-1], strict))
        if len(path) >= max_len:  # head home
            best = min(dist[o] for o in options)
            options = [o for o in options if dist[o] == best]
        path.append(draw(st.sampled_from(options)))
        if not complete and draw(st.integers(0, 5)) == 0:
            break
    return path


def _shortest(lc: Lifecycle, src: str, dst: str, strict: bool) -> list[str]:
    paths = {src: [src]}
    frontier = [src]
    while frontier and dst not in paths:
        nxt = []
        for s in frontier:
            for n in sorted(lc.next_statuses(s, strict)):
                if n not in paths:
                    paths[n] = [*paths[s], n]
                    nxt.append(n)
        frontier = nxt
    return paths[dst]


def _distance_to_terminal(lc: Lifecycle, strict: bool) -> dict[str, int]:
    dist = {s: 0 for s in lc.terminal}
    changed = True
    while changed:
        changed = False
        for s in lc.order:
            nxt = [dist[n] + 1 for n in lc.next_statuses(s, strict) if n in dist]
            if nxt and dist.get(s, 1 << 30) > min(nxt):
                dist[s] = min(nxt)
                changed = True
    return dist


@dataclass
class Trace:
    records: list[dict[str, Any]]
    path: list[str]
    run_events: list[int] = field(default_factory=list)  # positions of run status events
    strict: bool = False
    version: str = "v2"


@st.composite
def stream_traces(draw: st.DrawFn, version: str, strict: bool, polls: bool = False) -> Trace:
    """A run observed through its event streams (and, with ``polls``, polled snapshots in between)."""
    prof = profile(version)
    lc = prof.run
    path = draw(status_paths(lc, strict))
    run = RunSim(prof, "run_1", "thread_1", T0)
    work = working(lc)
    records: list[dict[str, Any]] = []
    run_events: list[int] = []
    counter = iter(range(1, 10_000))

    def maybe_poll() -> None:
        if polls and draw(st.booleans()):
            records.append(poll(run.snapshot()))

    if draw(st.booleans()):
        records.append(event(spec.EVENT_THREAD_CREATED, {"id": run.tid, "object": "thread", "created_at": T0,
                                                          "metadata": {}}))
    run_events.append(len(records))
    records.append(event(ev("run", "created"), run.snapshot()))
    run_events.append(len(records))
    records.append(event(ev("run", lc.initial), run.snapshot()))
    maybe_poll()
    streaming = True
    for k in range(1, len(path)):
        prev, cur = path[k - 1], path[k]
        if streaming and prev == work and cur in lc.paused:
            n = next(counter)
            sid, cids = f"step_{n}", [f"call_{n}_{i}" for i in range(draw(st.integers(1, 3)))]
            t = run.now
            open_details = {"type": "tool_calls", "tool_calls": [call(c) for c in cids]}
            records.append(event(ev("run_step", "created"),
                                 step_obj(prof, run, sid, prof.run_step.initial, "tool_calls", open_details, t, t)))
            records.append(event(ev("run_step", prof.run_step.initial),
                                 step_obj(prof, run, sid, prof.run_step.initial, "tool_calls", open_details, t, t)))
            records.append(event(ev("run_step", "delta"), {"id": sid, "object": "thread.run.step.delta",
                                                            "delta": {"step_details": open_details}}))
            run_events.append(len(records))
            records.append(event(ev("run", cur), run.move(cur, cids)))
            records.append(event(spec.EVENT_DONE, "[DONE]"))
            maybe_poll()
            if k + 1 < len(path) and path[k + 1] == lc.initial:  # submit_tool_outputs, streamed
                done_details = {"type": "tool_calls", "tool_calls": [call(c, "42") for c in cids]}
                records.append(event(ev("run_step", "completed"),
                                     step_obj(prof, run, sid, "completed", "tool_calls", done_details, t, run.now)))
            else:
                streaming = False  # the rest is seen by polling (expiry, cancel)
            continue
        if streaming and prev == work and draw(st.booleans()):
            n = next(counter)
            sid, mid, t = f"step_{n}", f"msg_{n}", run.now
            det = {"type": "message_creation", "message_creation": {"message_id": mid}}
            records.append(event(ev("run_step", "created"),
                                 step_obj(prof, run, sid, prof.run_step.initial, "message_creation", det, t, t)))
            records.append(event(ev("run_step", prof.run_step.initial),
                                 step_obj(prof, run, sid, prof.run_step.initial, "message_creation", det, t, t)))
            records.append(event(ev("message", "created"), msg_obj(prof, run, mid, prof.message.initial, t, t)))
            records.append(event(ev("message", prof.message.initial), msg_obj(prof, run, mid, prof.message.initial, t, t)))
            for _ in range(draw(st.integers(0, 2))):
                records.append(event(ev("message", "delta"), {"id": mid, "object": "thread.message.delta",
                                                               "delta": {"content": []}}))
            maybe_poll()
            records.append(event(ev("message", "completed"), msg_obj(prof, run, mid, "completed", t, t + 1)))
            records.append(event(ev("run_step", "completed"),
                                 step_obj(prof, run, sid, "completed", "message_creation", det, t, t + 1)))
            run.now += 1
        snap = run.move(cur)
        if streaming:
            run_events.append(len(records))
            records.append(event(ev("run", cur), snap))
            maybe_poll()
        else:
            records.append(poll(snap))
    if streaming:
        records.append(event(spec.EVENT_DONE, "[DONE]"))
    return Trace(records, path, run_events, strict, version)


@st.composite
def poll_traces(draw: st.DrawFn, version: str, strict: bool) -> Trace:
    """A run observed by polling: any subsequence of its snapshots, repeats allowed."""
    prof = profile(version)
    path = draw(status_paths(prof.run, strict, complete=draw(st.booleans())))
    run = RunSim(prof, "run_1", "thread_1", T0)
    snaps = [run.snapshot()] + [run.move(s) for s in path[1:]]
    keep = draw(st.lists(st.integers(0, 2), min_size=len(snaps), max_size=len(snaps)))
    records = [s for s, n in zip(snaps, keep, strict=True) for _ in range(n)]
    return Trace(records, path, [], strict, version)


def bad(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.severity in ("error", "warning")]


def strict_and_version() -> st.SearchStrategy[tuple[bool, str]]:
    return st.tuples(st.booleans(), st.sampled_from(VERSIONS))


# --- legal traces pass ----------------------------------------------------------------------


@given(st.data(), strict_and_version())
def test_legal_poll_traces_pass(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    trace = data.draw(poll_traces(version, strict))
    report = validate_trace(trace.records, strict=strict, version=version)
    assert bad(report) == [], trace.path
    collapsed = [s for i, s in enumerate(trace.path) if not i or s != trace.path[i - 1]]
    assert all(s in collapsed for s in report.histories.get("run_1", []))
    if strict:
        assert report.findings == []


@given(st.data(), strict_and_version(), st.booleans())
def test_legal_stream_traces_pass(data: st.DataObject, mode: tuple[bool, str], polls: bool) -> None:
    strict, version = mode
    trace = data.draw(stream_traces(version, strict, polls=polls))
    report = validate_trace(trace.records, strict=strict, version=version)
    assert bad(report) == [], (trace.path, [r.get("event") for r in trace.records])
    assert report.histories["run_1"][-1] == trace.path[-1]
    assert all(legal for _, _, legal in report.transitions["run_1"])
    if strict:
        assert report.findings == []
    else:
        assert {f.code for f in report.findings} <= {"run.inferred_transition"}


@given(st.data(), strict_and_version())
def test_legal_streams_pass_as_sse_text(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    trace = data.draw(stream_traces(version, strict))
    text = "".join(
        f"event: {r['event']}\ndata: {r['data'] if isinstance(r['data'], str) else json.dumps(r['data'])}\n\n"
        for r in trace.records if "event" in r
    )
    polls = [r for r in trace.records if "event" not in r]
    tracker = Tracker(strict, version)
    # a stream file holds several responses back to back: each 'done' closes one
    tracker.feed_sse(text, source="trace.sse")
    for p in polls:
        tracker.feed(p)
    assert bad(tracker.report()) == []


# --- the thread lock: sequential runs never alarm, overlapping ones do ---------------------


@dataclass
class Timeline:
    """Runs of one thread in server time: each status holds from its tick to the next."""

    prof: Profile
    runs: list[tuple[RunSim, list[tuple[int, dict[str, Any]]]]] = field(default_factory=list)

    def at(self, i: int, tick: int) -> dict[str, Any] | None:
        _, changes = self.runs[i]
        current = None
        for t, snap in changes:
            if t <= tick:
                current = snap
        return current


@st.composite
def sequential_runs(draw: st.DrawFn, overlap: bool = False) -> Timeline:
    version = draw(st.sampled_from(VERSIONS))
    prof = profile(version)
    lc = prof.run
    tl = Timeline(prof)
    tick = draw(st.integers(0, 9))
    for i in range(draw(st.integers(2, 4))):
        path = draw(status_paths(lc, strict=False))
        # ticks are tenths of a second; timestamps are whole seconds, so runs share seconds
        sim = RunSim(prof, f"run_{i}", "thread_1", T0 + tick // 10)
        changes = [(tick, sim.snapshot())]
        for s in path[1:]:
            tick += draw(st.integers(1, 15))
            sim.now = T0 + tick // 10 - 1
            changes.append((tick, sim.move(s)))
        tl.runs.append((sim, changes))
        tick += draw(st.integers(1, 15))
        if overlap and i == 0:
            tick = changes[1][0]  # the next run is created while this one is still active
    return tl


@given(sequential_runs(), st.data())
def test_interleaved_polling_of_sequential_runs_never_alarms(tl: Timeline, data: st.DataObject) -> None:
    last = max(t for _, ch in tl.runs for t, _ in ch) + 20
    ticks = sorted(data.draw(st.lists(st.integers(0, last), min_size=1, max_size=25)))
    records: list[dict[str, Any]] = []
    for tick in ticks:
        existing = [i for i in range(len(tl.runs)) if tl.runs[i][1][0][0] <= tick]
        if not existing:
            continue
        chosen = data.draw(st.lists(st.sampled_from(existing), min_size=1, max_size=len(existing), unique=True))
        snaps = [tl.at(i, tick) for i in chosen]
        if len(snaps) > 1 and data.draw(st.booleans()):  # one list page: a single snapshot of several runs
            records.append({"object": "list", "data": snaps, "has_more": False})
        else:
            records.extend(s for s in snaps if s is not None)
    report = validate_trace(records, version=tl.prof.version)
    assert bad(report) == []


@given(sequential_runs(overlap=True))
def test_overlapping_runs_are_caught(tl: Timeline) -> None:
    ch0, ch1 = tl.runs[0][1], tl.runs[1][1]
    active = [s for _, s in ch0 if s["status"] in tl.prof.run.active]
    assume(len(active) >= 2)
    # the second run appears, then the first is seen still active
    records = [active[0], ch1[0][1], active[-1]]
    report = validate_trace(records, version=tl.prof.version)
    assert "run.thread_locked" in {f.code for f in report.errors}
    # a list page showing both active at once is enough on its own
    page = {"object": "list", "data": [ch1[0][1], active[-1]]}
    assert "run.thread_locked" in validate_trace([page], version=tl.prof.version).codes()


# --- single mutations are caught ------------------------------------------------------------


def errors(report: Report) -> set[str]:
    return {f.code for f in report.errors if not f.code.startswith("input.")}


@given(st.data(), strict_and_version())
def test_skipping_a_status_in_a_stream_is_caught(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    lc = profile(version).run
    trace = data.draw(stream_traces(version, strict))
    statuses = [trace.records[i]["data"]["status"] for i in trace.run_events]
    candidates = [
        j for j in range(1, len(trace.run_events) - 1)
        if statuses[j - 1] != statuses[j] and not lc.is_legal(statuses[j - 1], statuses[j + 1], strict)
        and statuses[j - 1] != statuses[j + 1]
    ]
    assume(candidates)
    j = data.draw(st.sampled_from(candidates))
    records = [r for i, r in enumerate(trace.records) if i != trace.run_events[j]]
    report = validate_trace(records, strict=strict, version=version)
    # in strict mode an inferred edge is an error of its own code; a stream cut at a skipped
    # requires_action ends with a 'done' that comes too early
    expected = {"run.illegal_transition", "run.terminal_left", "stream.done_early"}
    expected |= {"run.inferred_transition"} if strict else set()
    assert errors(report) & expected, statuses


@given(st.data(), strict_and_version())
def test_reordered_snapshots_are_caught(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    lc = profile(version).run
    trace = data.draw(poll_traces(version, strict))
    recs = trace.records
    assume(len(recs) >= 2)
    i = data.draw(st.integers(0, len(recs) - 2))
    j = data.draw(st.integers(i + 1, len(recs) - 1))
    a, b = recs[i]["status"], recs[j]["status"]
    assume(not lc.reachable(b, a, strict))
    swapped = [*recs[:i], recs[j], *recs[i + 1:j], recs[i], *recs[j + 1:]]
    report = validate_trace(swapped, strict=strict, version=version)
    expected = {"run.illegal_transition", "run.terminal_left"} | ({"run.inferred_transition"} if strict else set())
    assert errors(report) & expected


@given(st.data(), strict_and_version(), st.booleans())
def test_leaving_a_terminal_status_is_caught(data: st.DataObject, mode: tuple[bool, str], stream: bool) -> None:
    strict, version = mode
    prof = profile(version)
    trace = data.draw((stream_traces if stream else poll_traces)(version, strict))
    final = trace.path[-1]
    assume(final in prof.run.terminal)
    last = trace.records[-1] if trace.records else {}
    assume(last.get("event") == spec.EVENT_DONE or last.get("status") == final)
    other = data.draw(st.sampled_from([s for s in prof.run.order if s != final]))
    sim = RunSim(prof, "run_1", "thread_1", T0)
    sim.now = T0 + 50
    sim.started = T0 + 1
    late = sim.move(other, ["call_x"])
    records = list(trace.records)
    if records[-1].get("event") == spec.EVENT_DONE:
        records.insert(len(records) - 1, event(ev("run", other), late))  # before the final 'done'
    else:
        records.append(late)
    report = validate_trace(records, strict=strict, version=version)
    assert "run.terminal_left" in errors(report)


@given(st.data(), strict_and_version())
def test_a_wrong_field_is_caught_with_its_rule_and_grade(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    prof = profile(version)
    trace = data.draw(poll_traces(version, strict))
    assume(trace.records)
    i = data.draw(st.integers(0, len(trace.records) - 1))
    snap = dict(trace.records[i])
    needs = need(prof.run, snap["status"])
    assume(needs)
    fname = data.draw(st.sampled_from(sorted(needs)))
    must = needs[fname]
    snap[fname] = None if must else value_for(fname, T0 + 99, ["call_z"], "run")
    records = list(trace.records)
    records[i] = snap
    report = validate_trace(records, strict=strict, version=version)
    rules = [r for r in prof.run.field_rules if r.field == fname and need_rule(r, snap["status"]) == must]
    hits = [f for f in report.findings if f.rule in {r.code for r in rules} and f.line is None]
    assert hits, (fname, snap["status"], report.codes())
    expected = "warning" if all(r.disputed for r in rules) else "error"
    assert hits[0].severity == expected


def need_rule(rule: spec.FieldRule, status: str) -> bool | None:
    inside = status in rule.statuses
    if rule.kind in ("exactly", "set") and inside:
        return True
    if (rule.kind == "exactly" and not inside) or (rule.kind == "null_outside" and not inside) or (
            rule.kind == "null" and inside):
        return False
    return None


def _move_before(records: list[dict[str, Any]], src: int, dst: int) -> list[dict[str, Any]]:
    out = list(records)
    item = out.pop(src)
    out.insert(dst if dst < src else dst - 1, item)
    return out


@given(st.data(), strict_and_version())
def test_event_order_mutations_are_caught(data: st.DataObject, mode: tuple[bool, str]) -> None:
    strict, version = mode
    prof = profile(version)
    trace = data.draw(stream_traces(version, strict))
    recs = trace.records
    names = [r.get("event") for r in recs]
    work_event = ev("run", working(prof.run))
    mutations: list[tuple[str, Callable[[], list[dict[str, Any]]], set[str]]] = []
    if work_event in names and ev("run_step", "created") in names:
        first_work = names.index(work_event)
        step_at = names.index(ev("run_step", "created"))
        mutations.append(("step before work", lambda: _move_before(recs, step_at, first_work), {"stream.order"}))
    if ev("message", "created") in names:
        m = names.index(ev("message", "created"))
        s = max(i for i in range(m) if names[i] == ev("run_step", "created"))
        mutations.append(("message before its step", lambda: _move_before(recs, m, s), {"stream.order"}))
    dones = [i for i, n in enumerate(names) if n == spec.EVENT_DONE]
    if dones and trace.run_events[-1] < dones[-1]:
        last_run = max(i for i in trace.run_events if i < dones[-1])
        mutations.append(("done too early", lambda: _move_before(recs, dones[-1], last_run),
                          {"stream.done_early"}))
    named = [i for i in trace.run_events if names[i] != ev("run", "created")]
    if named:
        k = data.draw(st.sampled_from(named))
        status = recs[k]["data"]["status"]
        wrong = data.draw(st.sampled_from([s for s in prof.run.order if s != status]))

        def rename() -> list[dict[str, Any]]:
            out = list(recs)
            out[k] = event(ev("run", wrong), recs[k]["data"])
            return out

        mutations.append(("event name disagrees", rename, {"stream.event_status"}))
    assume(mutations)
    label, mutate, expected = data.draw(st.sampled_from(mutations))
    report = validate_trace(mutate(), strict=strict, version=version)
    assert errors(report) & expected, (label, report.codes())


# --- garbage only ever gives input findings -------------------------------------------------

_GARBAGE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.just(b'{"object": "thread.run", "id": "run_1", "status": "queued"'),  # truncated
    st.just(b'{"object": "thread.\x00run", "id": "r"}'),
    st.just(b"[" * 5000 + b"]" * 5000),
    st.just(b'{"object": "thread.run", "id": "r", "created_at": 1' + b"0" * 5000 + b"}"),
    st.just(b"\xff\xfe\xfa garbage \xc3\x28"),
    st.just(b'{"event": "thread.run.created", "data": "{not json"}'),
    st.just(b'{"object": "list", "data": 5}'),
    st.just(b'{"object": 5}'),
    st.just(b"42"),
)


@given(st.lists(_GARBAGE, max_size=6))
@example(["event:"])
def test_garbage_gives_only_input_findings(chunks: list[bytes | str]) -> None:
    data = b"\n".join(c.encode("utf-8", "surrogatepass") if isinstance(c, str) else c for c in chunks)
    tracker = Tracker()
    tracker.feed_items(read_bytes(data, "junk"), source="junk")
    tracker.close()
    for f in tracker.findings:
        if f.code == "stream.unknown_event":  # text shaped like an SSE event line is an event, warned about by design
            continue
        assert f.code.startswith("input.") or f.severity == "info", f
        if f.code.startswith("input."):
            assert f.source == "junk" and f.kind == "input" and f.line is not None


@given(st.binary(max_size=300))
def test_random_bytes_never_crash_and_name_their_line(data: bytes) -> None:
    tracker = Tracker()
    tracker.feed_items(read_bytes(data, "rand"), source="rand")
    tracker.feed_sse(data, source="rand.sse")
    tracker.feed(data)
    assert not [f for f in tracker.findings if f.code == "internal.error"]
    for f in tracker.findings:
        if f.code.startswith("input.") and f.source is not None:
            assert f.line is not None or f.code == "input.file"


def _corrupt(record: dict[str, Any], how: int) -> bytes:
    line = json.dumps(record)
    if how == 0:
        return line[: len(line) // 2].encode()  # truncated
    if how == 1:
        return line.replace('"', "\x00", 1).encode()  # a NUL byte
    if how == 2:
        return line.encode("utf-16")  # not UTF-8
    if how == 3:
        target = record.get("data") if "event" in record else record
        if isinstance(target, dict) and target.get("object") in spec.OBJECT_TYPES.values():
            target = dict(target)
            target["status"] = 7  # a wrong type
            return json.dumps({**record, "data": target} if "event" in record else target).encode()
        return b"{"
    return b"\xff" * 10


@given(st.data(), strict_and_version(), st.integers(0, 4))
def test_one_bad_line_never_raises_false_alarms_elsewhere(data: st.DataObject, mode: tuple[bool, str],
                                                           how: int) -> None:
    strict, version = mode
    trace = data.draw(stream_traces(version, strict, polls=True))
    i = data.draw(st.integers(0, len(trace.records) - 1))
    lines = [json.dumps(r).encode() for r in trace.records]
    lines[i] = _corrupt(trace.records[i], how)
    tracker = Tracker(strict, version)
    tracker.feed_items(read_bytes(b"\n".join(lines), "log.jsonl"), source="log.jsonl")
    tracker.close()
    report = tracker.report()
    assert report.input_errors, "the bad line is reported"
    assert all(f.line == i + 1 for f in report.input_errors)
    others = [f for f in bad(report) if not f.code.startswith("input.")]
    assert others == [], (i, how, [r.get("event", "poll") for r in trace.records])


@pytest.mark.parametrize("version", VERSIONS)
def test_generator_reaches_every_run_status(version: str) -> None:
    """The generator reaches every status, so the properties above exercise all of them."""
    prof = profile(version)
    seen: set[str] = set()

    @given(stream_traces(version, strict=False, polls=True))
    def collect(trace: Trace) -> None:
        seen.update(trace.path)

    collect()
    assert seen == set(prof.run.order)


# --- agreement with the project's Hypothesis strategies ------------------------------------


def _strategies() -> Any:
    import runfsm.strategies as rs

    return rs


@pytest.mark.parametrize("strict", [False, True])
def test_streams_from_the_strategies_pass(strict: bool) -> None:
    rs = _strategies()

    @given(rs.run_event_streams(strict=strict))
    def check(events: list[tuple[str, Any]]) -> None:
        report = validate_trace(events, strict=strict)
        assert bad(report) == [], [e[0] for e in events]

    check()


def test_rule_breaks_from_the_strategies_are_found_alone() -> None:
    rs = _strategies()

    @given(rs.rule_breaks(), rs.wire_objects())
    def check(broken: Any, valid: dict[str, Any]) -> None:
        report = validate_trace([broken.obj])
        assert [(f.rule, f.severity) for f in report.findings] == [(broken.code, broken.severity)]
        assert validate_trace([valid]).findings == []

    check()
