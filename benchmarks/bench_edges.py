"""Case 1: one edge check. ``RUN.is_legal`` vs a bare frozenset vs firing triggers."""

from __future__ import annotations

from typing import Any

from harness import Row, compare

import runfsm

# A realistic mix of checks: every (src, dst) pair of the run lifecycle, legal or not.
PAIRS = [(a, b) for a in runfsm.RUN.order for b in runfsm.RUN.order]
CYCLE = ("require_action", "submit_tool_outputs", "start")  # in_progress -> ... -> in_progress


def _statemachine_class() -> Any:
    """The same run lifecycle as a python-statemachine class, built from the spec."""
    from statemachine import State, StateMachine

    lc = runfsm.RUN
    states = {s: State(s, initial=s == lc.initial, final=s in lc.terminal) for s in lc.order}
    attrs: dict[str, Any] = dict(states)
    for t in lc.transitions:
        edge = states[t.source].to(states[t.dest])
        attrs[t.trigger] = attrs[t.trigger] | edge if t.trigger in attrs else edge
    return type("RunStateMachine", (StateMachine,), attrs)


def run(repeats: int, scale: float) -> list[Row]:
    n = max(1, int(20_000 * scale))
    pairs = PAIRS * n
    fs = frozenset((t.source, t.dest) for t in runfsm.RUN.transitions)
    is_legal = runfsm.RUN.is_legal

    def bench_is_legal() -> int:
        for a, b in pairs:
            is_legal(a, b)
        return len(pairs)

    def bench_frozenset() -> int:
        for a, b in pairs:
            (a, b) in fs  # noqa: B015 - the membership test is what is measured
        return len(pairs)

    def bench_loop() -> int:  # loop overhead alone, subtracted from both
        for _a, _b in pairs:
            pass
        return len(pairs)

    best = compare({"is_legal": bench_is_legal, "frozenset": bench_frozenset, "loop": bench_loop}, repeats)
    loop = best["loop"]
    is_l, fset = best["is_legal"] - loop, best["frozenset"] - loop

    run_obj = runfsm.Run("run_bench")
    run_obj.start()
    m_trig = max(1, int(3_000 * scale))

    def bench_transitions() -> int:
        for _ in range(m_trig):
            for trig in CYCLE:
                getattr(run_obj, trig)()
        return m_trig * 3

    sm_cls = _statemachine_class()
    sm = sm_cls()
    sm.send("start")
    m_sm = max(1, int(300 * scale))

    def bench_statemachine() -> int:
        for _ in range(m_sm):
            for trig in CYCLE:
                sm.send(trig)
        return m_sm * 3

    t_trig = compare({"t": bench_transitions, "s": bench_statemachine}, max(2, repeats // 2))
    ratio = is_l / fset
    return [
        Row("edge check", "frozenset membership", fset * 1e9, 1 / fset),
        Row("edge check", "RUN.is_legal", is_l * 1e9, 1 / is_l, ratio, "frozenset", "<= 1.5x frozenset", ratio <= 1.5),
        Row("edge check", "transitions trigger (runfsm.Run)", t_trig["t"] * 1e9, 1 / t_trig["t"],
            t_trig["t"] / fset, "frozenset"),
        Row("edge check", "python-statemachine send", t_trig["s"] * 1e9, 1 / t_trig["s"],
            t_trig["s"] / fset, "frozenset"),
    ]
