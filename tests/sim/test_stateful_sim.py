"""The simulator and the validator check each other: a rule-based state machine of client calls.

Rules are what a client can do (create runs with any model script, streamed or not; add
messages; cancel; submit tool outputs, including too few, wrong and duplicate ones; poll
and list) and what time does.  After every rule, every object and event the simulator
produced so far has been fed to the validator, which must find nothing (terminal
statuses leaving included), and ``invariant_violations`` must be empty (the thread lock
and each run's history judged by the validator; deadlines and the couplings it cannot
see, by the explorer's own checks).  Refusals must come exactly when the spec says, with
the spec's words.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from runfsm import spec
from runfsm import strategies as rs
from runfsm.errors import IllegalTransition
from runfsm.explore import invariant_violations
from runfsm.lifecycle import profile
from runfsm.sim import APIError, Clock, EventStream, SimConfig, Simulator
from runfsm.validate import Tracker

STEPS = st.sampled_from((1, 0, 2, 5, 30, 300, spec.RUN_DEADLINE_SECONDS + 1))


class SimulatorMachine(RuleBasedStateMachine):
    """One simulated API, one client; subclasses choose the version and the mode."""

    version = "v2"
    inferred = False

    def __init__(self) -> None:
        super().__init__()
        config = SimConfig(inferred=self.inferred, cancel_race=self.inferred, cancel_delay=2)
        self.sim = Simulator(clock=Clock(), seed=0, config=config, version=self.version)
        self.lc = profile(self.version).run
        self.tracker = Tracker(strict=not self.inferred, version=self.version)
        self.fed = 0
        self.thread = self.sim.create_thread(messages=[{"role": "user", "content": "Hello"}])["id"]
        self.runs: list[str] = []
        self.streams: list[EventStream] = []  # streams the client reads later, after polling

    # -- helpers --

    def _active(self) -> str | None:
        for run_id in self.runs:
            if self.sim.peek_run(run_id)["status"] in self.lc.active:
                return run_id
        return None

    def _refused(self, exc: APIError, template: str, **fmt: Any) -> None:
        assert exc.status == 400
        assert exc.message == spec.REFUSALS[template].format(**fmt), exc.message
        assert exc.body()["error"]["type"] == "invalid_request_error"

    def _read(self, out: Any, how: str) -> None:
        """Read a stream to its end, read what is there and the rest later, or close it (the run goes on)."""
        if not isinstance(out, EventStream):
            return
        if how == "all":
            events = list(out)
            assert events[-1] == (spec.EVENT_DONE, "[DONE]")
        elif how == "later":
            out.available()
            self.streams.append(out)
        else:
            out.close()  # closing a stream does not cancel its run

    # -- client calls --

    def create_run(self, actions: tuple[Any, ...], stream: bool, read: str) -> None:
        asst = self.sim.create_assistant(model="gpt-4o", tools=rs.script_tools(actions, version=self.version))
        self.sim.set_script(actions, assistant_id=asst["id"])
        active = self._active()
        try:
            out = self.sim.create_run(self.thread, assistant_id=asst["id"], stream=stream)
        except APIError as exc:
            assert active is not None, f"refused with the thread unlocked: {exc}"
            self._refused(exc, "thread_locked_run", thread_id=self.thread, run_id=active)
            return
        assert active is None, f"a second run was created while {active} is active"
        run_id = out.run_id if isinstance(out, EventStream) else out["id"]
        self.runs.append(run_id)
        if not isinstance(out, EventStream):
            assert out["status"] == self.lc.initial
        self._read(out, read)

    @rule(text=st.sampled_from(("One more thing.", "", "Thanks!")))
    def add_message(self, text: str) -> None:
        active = self._active()
        try:
            msg = self.sim.create_message(self.thread, role="user", content=text or "?")
        except APIError as exc:
            assert active is not None, f"refused with the thread unlocked: {exc}"
            self._refused(exc, "thread_locked_message", thread_id=self.thread, run_id=active)
            return
        assert active is None, f"a message was added while {active} is active"
        assert "status" not in msg and msg["run_id"] is None

    @precondition(lambda self: bool(self.runs))
    @rule(pick=st.integers(0, 3))
    def cancel(self, pick: int) -> None:
        run_id = self.runs[-1 - pick % len(self.runs)]
        before = self.sim.peek_run(run_id)["status"]
        edge = self.lc.by_trigger.get((before, "cancel"))
        try:
            run = self.sim.cancel_run(self.thread, run_id)
        except APIError as exc:
            assert before in self.lc.terminal
            self._refused(exc, "cancel_terminal", status=before)
            return
        except IllegalTransition:
            assert edge is not None and edge.inferred and not self.inferred  # strict mode refuses inferred edges
            return
        assert before not in self.lc.terminal
        assert run["status"] == (edge.dest if edge is not None else before)

    @precondition(lambda self: bool(self.runs))
    @rule(how=st.sampled_from(("all", "all_twice", "missing_one", "wrong_id", "none")), stream=st.booleans())
    def submit_tool_outputs(self, how: str, stream: bool) -> None:
        run_id = self.runs[-1]
        run = self.sim.peek_run(run_id)
        calls = [c["id"] for c in (run["required_action"] or {}).get(spec.REQUIRED_ACTION_TYPE, {}).get("tool_calls", [])]
        ids = {"all": calls, "all_twice": calls, "missing_one": calls[1:], "wrong_id": [*calls[1:], "call_bogus"],
               "none": []}[how]
        outputs = [{"tool_call_id": c, "output": "42"} for c in ids]
        try:
            out = self.sim.submit_tool_outputs(self.thread, run_id, tool_outputs=outputs, stream=stream)
        except APIError as exc:
            if run["status"] not in self.lc.paused:
                self._refused(exc, "submit_wrong_status", status=run["status"])
            else:
                assert ids != calls
                self._refused(exc, "submit_missing_calls", expected=calls, got=ids)
            return
        assert run["status"] in self.lc.paused and sorted(ids) == sorted(calls)
        self._read(out, "all")
        if how == "all_twice":  # a duplicate submit: refused, whatever the run does by now
            now = self.sim.peek_run(run_id)
            try:
                self.sim.submit_tool_outputs(self.thread, run_id, tool_outputs=outputs)
            except APIError as exc:
                if now["status"] in self.lc.paused:  # (a streamed submit ran on to the next function call)
                    pending = [c["id"] for c in now["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]]
                    self._refused(exc, "submit_missing_calls", expected=pending, got=ids)
                else:
                    self._refused(exc, "submit_wrong_status", status=now["status"])
            else:
                raise AssertionError("a duplicate submit was accepted")

    @precondition(lambda self: bool(self.runs))
    @rule(pick=st.integers(0, 3))
    def poll(self, pick: int) -> None:
        run_id = self.runs[-1 - pick % len(self.runs)]
        self.sim.retrieve_run(self.thread, run_id)
        self.sim.list_run_steps(self.thread, run_id, order="asc")

    @rule()
    def list_messages(self) -> None:
        page = self.sim.list_messages(self.thread)
        assert len(page["data"]) <= 20

    # -- time --

    @rule(seconds=STEPS)
    def advance(self, seconds: int) -> None:
        self.sim.advance(seconds)

    @rule()
    def next_event(self) -> None:
        self.sim.clock.run_next()

    @precondition(lambda self: bool(self.streams))
    @rule(read_to_end=st.booleans())
    def read_streams_late(self, read_to_end: bool) -> None:
        for s in self.streams:
            if read_to_end:
                assert list(s)[-1] == (spec.EVENT_DONE, "[DONE]")
            else:
                s.available()
        self.streams = [s for s in self.streams if not s.finished]

    # -- after every rule --

    @invariant()
    def the_validator_finds_nothing(self) -> None:
        trace = self.sim.trace
        found = []
        for record in trace[self.fed:]:
            found += [f for f in self.tracker.feed_record(record) if f.severity != "info"]
        self.fed = len(trace)
        assert not found, "\n".join(map(str, found))

    @invariant()
    def the_spec_invariants_hold(self) -> None:
        problems = invariant_violations(self.sim)
        assert not problems, "\n".join(problems)


def _machine(version: str, inferred: bool) -> type[SimulatorMachine]:
    """The machine for one version and mode, its create_run rule drawing that mode's model scripts."""
    scripts = rs.model_scripts(inferred=inferred, version=version, max_actions=3)

    class Machine(SimulatorMachine):
        @rule(actions=scripts, stream=st.booleans(), read=st.sampled_from(("all", "later", "close")))
        def create_a_run(self, actions: tuple[Any, ...], stream: bool, read: str) -> None:
            self.create_run(actions, stream, read)

    Machine.version = version
    Machine.inferred = inferred
    Machine.__name__ = Machine.__qualname__ = f"Simulator{version.upper()}{'Tolerant' if inferred else 'Strict'}"
    return Machine


TestStrictV2 = _machine("v2", False).TestCase
TestTolerantV2 = _machine("v2", True).TestCase
TestStrictV1 = _machine("v1", False).TestCase


def test_a_stream_read_after_polling_validates() -> None:
    from runfsm.sim import CallFunctions, FunctionCall, Say
    from runfsm.validate import validate_trace

    script = (CallFunctions((FunctionCall("get_weather", {"x": "0"}),)), Say("Hello"))
    sim = Simulator(clock=Clock(), script=script)
    asst = sim.create_assistant(model="gpt-4o", tools=rs.script_tools(script))
    thread = sim.create_thread()["id"]
    stream = sim.create_run(thread, assistant_id=asst["id"], stream=True)
    assert isinstance(stream, EventStream)
    sim.advance(5)
    run = sim.retrieve_run(thread, stream.run_id)
    calls = run["required_action"][spec.REQUIRED_ACTION_TYPE]["tool_calls"]
    sim.submit_tool_outputs(thread, stream.run_id, tool_outputs=[{"tool_call_id": c["id"], "output": "x"} for c in calls])
    sim.advance(5)
    assert sim.retrieve_run(thread, stream.run_id)["status"] in sim.profile.run.terminal
    list(stream)  # the client reads the first stream only now
    report = validate_trace(sim.trace)
    assert report.ok, [str(f) for f in report.errors]
