"""The strategies and the simulator cannot drift apart: their objects have the same keys in the same
order for every status, and their streams keep the one declared event order."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runfsm import _wire_shapes as shapes
from runfsm import spec
from runfsm import strategies as rs
from runfsm.explore import behaviours
from runfsm.explore._behaviours import tools_for
from runfsm.lifecycle import profile
from runfsm.sim import Clock, SimConfig, Simulator
from runfsm.validate import validate_trace

VERSIONS = ("v1", "v2")
KIND_OF = {v: k for k, v in spec.OBJECT_TYPES.items()}
Events = list[tuple[str, Any]]


def _streams(version: str) -> Iterator[Events]:
    """Every behaviour of the catalogue, streamed: left alone, and cancelled after its fifth event; one run's
    streams one after the other (a paused run is resumed by a streamed submit)."""
    for b in behaviours(version, inferred=True):
        for cancel_at in (None, 4):
            sim = Simulator(clock=Clock(start=1_700_000_000), script=list(b.script), version=version,
                            config=SimConfig(inferred=True))
            asst = sim.create_assistant(model="gpt-4o", tools=tools_for(b.script, version))
            thread = sim.create_thread(messages=[{"role": "user", "content": "Hi"}])
            stream = sim.create_run(thread["id"], assistant_id=asst["id"], stream=True)
            events: Events = []
            while stream is not None:
                for i, (name, data) in enumerate(stream):
                    events.append((name, data))
                    if i == cancel_at and sim.peek_run(stream.run_id)["status"] in profile(version).run.active:
                        sim.cancel_run(thread["id"], stream.run_id)
                run = sim.peek_run(stream.run_id)
                stream = None
                if run["required_action"] is not None:
                    calls = run["required_action"]["submit_tool_outputs"]["tool_calls"]
                    stream = sim.submit_tool_outputs(thread["id"], run["id"], stream=True, tool_outputs=[
                        {"tool_call_id": c["id"], "output": "ok"} for c in calls])
            yield events


@cache
def simulated(version: str) -> tuple[tuple[Events, ...], dict[tuple[str, str], tuple[str, ...]]]:
    """The simulated streams of ``version``, and the key order of each (kind, status) they show."""
    streams = tuple(_streams(version))
    keys: dict[tuple[str, str], tuple[str, ...]] = {}
    for events in streams:
        for _, data in events:
            if isinstance(data, dict) and data.get("object") in KIND_OF and "status" in data:
                key = (KIND_OF[data["object"]], data["status"])
                assert keys.setdefault(key, tuple(data)) == tuple(data), key  # one shape per status
    return streams, keys


def _cases() -> list[tuple[str, str, str]]:
    return [(v, k, s) for v in VERSIONS for k in rs.KINDS for s in profile(v).lifecycle(k).order]


def test_the_simulator_shows_every_status_of_every_kind() -> None:
    for version, kind, status in _cases():
        if (kind, status) not in simulated(version)[1]:
            # v1 has no incomplete run; any other status unseen would leave the key check below vacuous
            assert kind == "run" and status == "incomplete" and version == "v1"


@pytest.mark.parametrize(("version", "kind", "status"), _cases())
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_drawn_objects_have_the_simulators_keys_in_its_order(version: str, kind: str, status: str,
                                                            data: st.DataObject) -> None:
    want = simulated(version)[1].get((kind, status))
    if want is None:
        return  # a status this version's simulator never shows (checked above)
    if kind == "run_step":  # the wire's spelling of the expiry (the strategy can also draw the schema's)
        obj = data.draw(rs.run_steps(status, version=version, expiry_key=spec.STEP_EXPIRY_KEYS[0]))
    else:
        obj = data.draw(rs.wire_objects(kind, status, version=version))
    assert tuple(obj) == want


def test_v1_runs_have_no_token_budget_options() -> None:
    for version in VERSIONS:
        keys = simulated(version)[1][("run", "completed")]
        assert (set(shapes.BUDGET_KEYS) <= set(keys)) is shapes.has_budgets(profile(version).run)
    assert not shapes.has_budgets(profile("v1").run) and shapes.has_budgets(profile("v2").run)


@pytest.mark.parametrize("version", VERSIONS)
def test_simulated_streams_keep_the_declared_order_and_the_validator_agrees(version: str) -> None:
    order = shapes.EventOrder(profile(version))
    streams = simulated(version)[0]
    assert sum(n == order.done for events in streams for n, _ in events) > len(streams)  # resumed ones too
    for events in streams:  # each simulation's ids start afresh: each is validated on its own
        assert shapes.order_problems(order, events) == []
        report = validate_trace(events, strict=False, version=version)
        assert [str(f) for f in report.findings if f.severity == "error"] == []


@pytest.mark.parametrize("version", VERSIONS)
@settings(deadline=None)
@given(data=st.data())
def test_drawn_streams_keep_the_declared_order(version: str, data: st.DataObject) -> None:
    events = data.draw(rs.run_event_streams(version=version))
    assert shapes.order_problems(shapes.EventOrder(profile(version)), events) == []


# --- the order declaration has teeth ------------------------------------------------------------


def _broken(events: Events, how: str, order: shapes.EventOrder) -> Events | None:
    """``events`` with one order rule broken, or None if it has nothing to break that way."""
    out = list(events)
    names = [n for n, _ in out]
    if how == "swap_opening":
        i = next((i for i, n in enumerate(names) if n in (order.step_created, order.message_created)), None)
        if i is None:
            return None
        out[i], out[i + 1] = out[i + 1], out[i]
    elif how == "drop_done":
        out.pop(names.index(order.done))
    elif how == "done_early":
        out.insert(0, (order.done, shapes.DONE_DATA))
    elif how == "event_after_close":
        close = order.step_close | order.message_close
        i = next((i for i, n in enumerate(names) if n in close), None)
        if i is None:
            return None
        out.insert(i + 1, out[i])
    elif how == "message_before_step":
        i = next((i for i, n in enumerate(names) if n == order.message_created), None)
        if i is None:
            return None
        step_at = max(j for j in range(i) if names[j] == order.step_created)
        out[step_at:i + 2] = out[i:i + 2] + out[step_at:i]
    return out


@pytest.mark.parametrize("how", ["swap_opening", "drop_done", "done_early", "event_after_close",
                                 "message_before_step"])
@settings(deadline=None)
@given(data=st.data())
def test_a_stream_that_breaks_the_order_is_caught(how: str, data: st.DataObject) -> None:
    order = shapes.EventOrder(profile())
    events = data.draw(rs.run_event_streams(thread_created=False))
    broken = _broken(events, how, order)
    if broken is None:
        return
    assert shapes.order_problems(order, broken) != []
