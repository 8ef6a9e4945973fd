"""Scenario files: assistants, threads, scripts, client actions and clock moves as TOML data.

The format is documented in ``docs/simulator.md``.  In short::

    name = "greeting"
    seed = 0                      # ids
    start = 1712030293            # clock start (Unix seconds)
    [config]                      # SimConfig fields (queue_latency, deadline, inferred, ...)

    [[files]]                     # name, text, purpose
    [[assistants]]                # name, model, instructions, tools, script = [ {say = "..."}, ... ]
    [[threads]]                   # name, messages = [{role, content, attach = ["file name"]}]
    [[client]]                    # do = "create_run" | "poll" | "submit_tool_outputs" | "cancel" | "advance" | ...
    [[expect]]                    # run, status, history, steps, message

:func:`load_scenario` parses and checks a file (every problem is a
:class:`ScenarioError` naming the file and the entry); :func:`format_scenario` writes a
:class:`Scenario` back as text that parses to an equal one; :func:`run_scenario` plays it
in a fresh :class:`Simulator` and checks its expectations.
"""

from __future__ import annotations

from ._player import MAX_TOTAL_POLLS as MAX_TOTAL_POLLS
from ._player import ScenarioResult, run_scenario
from ._scenario_format import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_POLLS,
    Scenario,
    format_scenario,
    load_scenario,
    parse_scenario,
)

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_POLLS", "Scenario", "ScenarioResult", "format_scenario", "load_scenario",
           "parse_scenario", "run_scenario"]
