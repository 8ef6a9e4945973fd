"""Playing a scenario: a fresh :class:`Simulator` set up as the file says, its client actions, its expectations."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, cast

from .. import spec
from ..errors import IllegalTransition
from ._backend import Simulator
from ._clock import Clock
from ._errors import APIError, ScenarioError, SimError
from ._scenario_format import FILE_ID, MAX_POLLS, Json, Scenario, file_name
from ._script import Action
from ._stream import EventStream

__all__ = ["MAX_TOTAL_POLLS", "ScenarioResult", "run_scenario"]

MAX_TOTAL_POLLS = 100_000
"""The most retrieves all the ``poll`` actions of one scenario may make together: the trace stays finite."""


@dataclass
class ScenarioResult:
    """What playing a scenario produced."""

    scenario: Scenario
    sim: Simulator
    runs: dict[str, str] = field(default_factory=dict)
    """Run name -> run id (unnamed runs are called run1, run2, ...)."""
    threads: dict[str, str] = field(default_factory=dict)
    """Thread name -> thread id."""
    assistants: dict[str, str] = field(default_factory=dict)
    """Assistant name -> assistant id."""
    failures: list[str] = field(default_factory=list)
    """Expectations that did not hold (empty: all passed)."""
    checked: int = 0
    """How many expectations were checked."""

    @property
    def ok(self) -> bool:
        return not self.failures


class _Player:
    def __init__(self, scenario: Scenario, stream: bool | None, version: str | None) -> None:
        self.sc = scenario
        self.force_stream = stream
        self.sim = Simulator(clock=Clock(scenario.start), seed=scenario.seed, config=scenario.config,
                             version=version or scenario.version)
        # Scenario files name tools as in v2; map them to the simulated version's names.
        self.tool_names = self.sim.profile.tool_names
        self.result = ScenarioResult(scenario, self.sim)
        self.files: dict[str, str] = {}
        self.streams: dict[str, EventStream] = {}  # run id -> its open stream
        self.last_thread: str | None = None
        self.last_run: str | None = None
        self.polls = 0  # retrieves made by poll actions so far (bounded by MAX_TOTAL_POLLS)

    def error(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.sc.source}: {where}: {message}")

    # -- references ------------------------------------------------------------------

    def _resolve_file(self, ref: str) -> str:
        name = file_name(ref, self.files)  # a placeholder no [[files]] entry declares is an id as it is
        return self.files[name] if name is not None else ref

    def _resolve_action(self, a: Action) -> Action:
        return cast("Action", self._resolve(a))

    def _resolve(self, value: object) -> object:
        """``value`` (an action, or a part of one: a ``during`` action, a citation...) with the ``file_id`` fields
        that name a scenario file by placeholder given the uploaded file's id; ``value`` itself if none does."""
        if isinstance(value, tuple):
            items = tuple(self._resolve(v) for v in value)
            return items if any(x is not y for x, y in zip(items, value, strict=True)) else value
        if isinstance(value, type) or not dataclasses.is_dataclass(value):
            return value
        changes = {}
        for f in dataclasses.fields(value):
            if f.init:
                v = getattr(value, f.name)
                new = self._resolve_file(v) if f.name == FILE_ID and isinstance(v, str) else self._resolve(v)
                if new is not v:
                    changes[f.name] = new
        return dataclasses.replace(cast(Any, value), **changes) if changes else value

    def _tool_name(self, kind: object) -> object:
        return self.tool_names.get(kind, kind) if isinstance(kind, str) else kind

    def _wire_messages(self, messages: list[Json]) -> list[Json]:
        return [{"role": m["role"], "content": m["content"],
                 **({"attachments": [{"file_id": self._resolve_file(f), "tools": [{"type": self.sim.search_tool_type}]}
                                     for f in m["attach"]]} if m.get("attach") else {})}
                for m in messages]

    def _thread(self, c: Json, where: str) -> str:
        name = c.get("thread")
        if name is None:
            if self.last_thread is None:
                raise self.error(where, "no thread yet: create one ([[threads]] or do = \"create_thread\")")
            return self.last_thread
        if name not in self.result.threads:
            raise self.error(where, f"no thread named {name!r} (known: {', '.join(self.result.threads) or 'none'})")
        return self.result.threads[name]

    def _run(self, c: Json, where: str) -> str:
        name = c.get("run")
        if name is None:
            if self.last_run is None:
                raise self.error(where, "no run yet")
            return self.last_run
        if name not in self.result.runs:
            raise self.error(where, f"no run named {name!r} (known: {', '.join(self.result.runs) or 'none'})")
        return self.result.runs[name]

    def _assistant(self, c: Json, where: str) -> str:
        name = c.get("assistant")
        if name is None:
            if not self.result.assistants:
                raise self.error(where, "no [[assistants]] declared")
            return next(iter(self.result.assistants.values()))
        if name not in self.result.assistants:
            raise self.error(where, f"no assistant named {name!r} (known: {', '.join(self.result.assistants)})")
        return self.result.assistants[name]

    def _stream(self, c: Json) -> bool:
        return bool(c.get("stream", False)) if self.force_stream is None else self.force_stream

    # -- playing ---------------------------------------------------------------------

    def setup(self) -> None:
        sim = self.sim
        where = "setup"
        try:
            for i, f in enumerate(self.sc.files):
                where = f"files[{i}]"
                self.files[f["name"]] = sim.upload_file(filename=f["name"], content=f["text"].encode("utf-8"),
                                                        purpose=f["purpose"])["id"]
            for i, a in enumerate(self.sc.assistants):
                where = f"assistants[{i}]"
                tools = [{**t, "type": self._tool_name(t.get("type"))} if isinstance(t, dict) else t for t in a["tools"]]
                made = sim.create_assistant(model=a["model"], name=a["name"], instructions=a["instructions"],
                                            description=a["description"], tools=tools, metadata=a["metadata"])
                self.result.assistants[a["name"]] = made["id"]
                sim.set_script([self._resolve_action(x) for x in a["script"]], assistant_id=made["id"])
            for i, t in enumerate(self.sc.threads):
                where = f"threads[{i}]"
                made = sim.create_thread(messages=self._wire_messages(t["messages"]), metadata=t["metadata"])
                self.result.threads[t["name"]] = self.last_thread = made["id"]
        except APIError as exc:
            raise self.error(where, f"the API refused: {exc}") from None
        except SimError as exc:
            raise self.error(where, str(exc)) from None

    def _drain(self) -> None:
        for run_id, s in list(self.streams.items()):
            s.available()
            if s.finished:
                del self.streams[run_id]

    def _open(self, run_id: str, out: object) -> None:
        if isinstance(out, EventStream):
            self.streams[run_id] = out

    def _name_run(self, c: Json, run_id: str) -> None:
        name = c.get("run") or f"run{len(self.result.runs) + 1}"
        self.result.runs[name] = self.last_run = run_id

    def step(self, i: int, c: Json) -> None:
        where = f"client[{i}] ({c['do']})"
        expect_error = c.get("expect_error")
        try:
            self._do(c, where)
        except IllegalTransition as exc:  # e.g. cancelling a queued run without SimConfig(inferred=True)
            raise self.error(where, f"the simulator refused: {exc}") from None
        except APIError as exc:
            if expect_error is None:
                raise self.error(where, f"the API refused: {exc}") from None
            if exc.status != expect_error:
                raise self.error(where, f"expected HTTP {expect_error}, got {exc}") from None
        except ScenarioError:
            raise
        except SimError as exc:  # a clock move it cannot make, a script error: name the entry
            raise self.error(where, str(exc)) from None
        else:
            if expect_error is not None:
                raise self.error(where, f"expected HTTP {expect_error}, but the request succeeded")
        self._drain()

    def _do(self, c: Json, where: str) -> None:
        sim = self.sim
        do = c["do"]
        if do == "create_thread":
            made = sim.create_thread(messages=self._wire_messages(c["messages"]), metadata=c.get("metadata"))
            self.result.threads[c.get("thread") or f"thread{len(self.result.threads) + 1}"] = made["id"]
            self.last_thread = made["id"]
        elif do == "create_message":
            atts = [{"file_id": self._resolve_file(f), "tools": [{"type": sim.search_tool_type}]}
                    for f in c.get("attach", [])]
            sim.create_message(self._thread(c, where), role=c.get("role", "user"), content=c["content"],
                               attachments=atts or None)
        elif do == "create_run":
            thread_id = self._thread(c, where)
            out = sim.create_run(thread_id, assistant_id=self._assistant(c, where), stream=self._stream(c),
                                 **c.get("params", {}))
            run_id = out.run_id if isinstance(out, EventStream) else out["id"]
            self._name_run(c, run_id)
            self._open(run_id, out)
        elif do == "create_thread_and_run":
            out = sim.create_thread_and_run(assistant_id=self._assistant(c, where),
                                            thread={"messages": self._wire_messages(c["messages"])},
                                            stream=self._stream(c), **c.get("params", {}))
            run_id = out.run_id if isinstance(out, EventStream) else out["id"]
            thread_id = sim.peek_run(run_id)["thread_id"]
            self.result.threads[c.get("thread") or f"thread{len(self.result.threads) + 1}"] = thread_id
            self.last_thread = thread_id
            self._name_run(c, run_id)
            self._open(run_id, out)
        elif do in ("poll", "retrieve_run", "cancel", "submit_tool_outputs", "list_run_steps"):
            run_id = self._run(c, where)
            thread_id = sim.peek_run(run_id)["thread_id"]
            if do == "poll":
                self._poll(c, where, thread_id, run_id)
            elif do == "retrieve_run":
                sim.retrieve_run(thread_id, run_id)
            elif do == "cancel":
                sim.cancel_run(thread_id, run_id)
            elif do == "list_run_steps":
                sim.list_run_steps(thread_id, run_id, order=c.get("order", "desc"), limit=c.get("limit", 20))
            else:
                self._submit(c, where, thread_id, run_id)
        elif do == "advance":
            sim.advance(c["seconds"])
        elif do == "list_messages":
            sim.list_messages(self._thread(c, where), order=c.get("order", "desc"), limit=c.get("limit", 20))

    def _submit(self, c: Json, where: str, thread_id: str, run_id: str) -> None:
        sim = self.sim
        snapshot = sim.peek_run(run_id)  # what the client read last (not traced again)
        required = snapshot.get("required_action") or {}
        calls = required.get(spec.REQUIRED_ACTION_TYPE, {}).get("tool_calls", [])
        outputs = c["outputs"]
        if len(outputs) > len(calls) and calls:
            raise self.error(where, f"{len(outputs)} outputs for {len(calls)} pending calls")
        payload = [{"tool_call_id": call["id"], "output": out} for call, out in zip(calls, outputs, strict=False)]
        out = sim.submit_tool_outputs(thread_id, run_id, tool_outputs=payload, stream=self._stream(c))
        self._open(run_id, out)

    def _poll(self, c: Json, where: str, thread_id: str, run_id: str) -> None:
        sim = self.sim
        lc = sim.profile.run
        stop = lc.terminal if c.get("until", "stop") == "terminal" else lc.stops
        open_stream = self.streams.get(run_id)
        if open_stream is not None:  # a streaming client reads its stream to the end instead of polling
            for _ in open_stream:
                pass
            del self.streams[run_id]
            if sim.peek_run(run_id)["status"] in stop:
                return
        every = c.get("every", 1)
        max_polls = c.get("max_polls", MAX_POLLS)
        for _ in range(max_polls):
            if self.polls >= MAX_TOTAL_POLLS:
                raise self.error(where, f"the scenario's polls made {MAX_TOTAL_POLLS:,} retrieves: the most it may make")
            self.polls += 1
            if sim.retrieve_run(thread_id, run_id)["status"] in stop:
                return
            sim.advance(every)
        raise self.error(where, f"run {run_id} did not stop after {max_polls:,} polls")

    def finish(self) -> None:
        for s in self.streams.values():  # read what is there; the runs go on without a client
            s.available()
        for i, e in enumerate(self.sc.expect):
            self._check(i, e)

    def _check(self, i: int, e: Json) -> None:
        where = f"expect[{i}]"
        run_id = self._run(e, where)
        sim = self.sim
        res = self.result
        name = e.get("run") or next((n for n, rid in res.runs.items() if rid == run_id), run_id)
        history = [s for _, s in sim.timeline(run_id)]
        if "status" in e:
            res.checked += 1
            if history[-1] != e["status"]:
                res.failures.append(f"{where}: run {name} ended {history[-1]!r}, expected {e['status']!r}")
        if "history" in e:
            res.checked += 1
            if history != e["history"]:
                res.failures.append(f"{where}: run {name} went {' -> '.join(history)}, "
                                    f"expected {' -> '.join(e['history'])}")
        if "steps" in e:
            res.checked += 1
            steps = [s["type"] for s in sim.peek_steps(run_id)]
            if steps != e["steps"]:
                res.failures.append(f"{where}: run {name} made steps {steps}, expected {e['steps']}")
        if "message" in e:
            res.checked += 1
            texts = ["".join(p["text"]["value"] for p in m["content"] if p["type"] == "text")
                     for m in sim.run_messages(run_id)]
            last = texts[-1] if texts else None
            if last != e["message"]:
                res.failures.append(f"{where}: run {name} wrote {last!r}, expected {e['message']!r}")


def run_scenario(scenario: Scenario, *, stream: bool | None = None, version: str | None = None) -> ScenarioResult:
    """Play ``scenario`` in a fresh simulator; ``stream`` forces streaming on (True) or off (False).

    ``version`` overrides the scenario's API version.

    API refusals the scenario did not announce (``expect_error``) raise
    :class:`ScenarioError`; failed expectations are listed in ``result.failures``.
    """
    player = _Player(scenario, stream, version)
    player.setup()
    for i, c in enumerate(scenario.client):
        player.step(i, c)
    player.finish()
    return player.result
