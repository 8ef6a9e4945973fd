"""The catalogue of behaviours a client is checked against, derived from the spec.

Theory of operation
-------------------
A :class:`Behaviour` is everything the client under test does not control: what
the model does (a script), how the server is tuned (``SimConfig`` overrides) and
whether another party cancels the run, and when.  :func:`catalogue` walks the
run transitions of the spec's profile and, for each, adds the behaviours that
make the simulator take it: one per error code for ``fail``, one per reason for
``run_out_of_tokens``, one per source status for ``cancel`` and ``expire``, and
so on.  Each transition's recipe is the one piece written here, keyed by its
trigger; the values (statuses, error codes, reasons, tool types, the deadline)
come from the spec.  A transition the spec gains later without a recipe is
reached by no behaviour, and ``tests/testing/test_catalogue.py`` fails.

Run-step and message transitions are reached as their run moves (LIFECYCLE.md
section 4), except a message ended by a content filter: no source says what
the run does then, so the simulator has no action for it (:data:`UNREACHABLE`).

Timings are chosen so that a client which reads a run before acting on it never
races the server: the outside cancel of a paused run lands half a second after
the run paused, before any poll can show the pause.  The Hypothesis mode
(:func:`runfsm.testing.behaviour_variants`) varies every timing, races included.

The Responses API (``protocol="responses"``) has a catalogue of its own, built
the same way from :mod:`runfsm.responses_spec`: one recipe per trigger of its
transitions, one behaviour per observed move (a cancel that loses the race),
and the stream faults a resuming client must survive (a cut stream, and one cut
too late to resume).  There ``config`` sets attributes of the Responses backend
(:class:`~runfsm.sim.ResponsesBackend`) rather than :class:`~runfsm.sim.SimConfig`.

The explorer's :func:`runfsm.explore.behaviours` is a different, smaller list on
purpose: there the client's moves are what is explored, and the few model scripts
that reach every target with them keep the breadth-first search small.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import responses_spec as rspec
from .. import spec
from .._protocols import NAMES, protocol_info
from .._protocols import PROTOCOLS as PROTOCOLS_INFO
from ..errors import CheckError
from ..lifecycle import Profile, Transition
from ..lifecycle import profile as get_profile
from ..sim._config import SimConfig
from ..sim._responses import FilterContent
from ..sim._script import (
    Action,
    CallFunctions,
    CodeInterpreter,
    Fail,
    FileSearch,
    FunctionCall,
    QueueDelay,
    QueueStall,
    RunOutOfTokens,
    Say,
    step_action,
)

__all__ = ["PROTOCOLS", "SETTINGS", "UNREACHABLE", "Behaviour", "CheckError", "catalogue", "default_tools",
           "refuse_misfit", "select"]

PROTOCOLS = NAMES
"""The protocols a check can exercise (``check_client(..., protocol=...)``)."""

SETTINGS: Mapping[str, frozenset[str]] = {
    # inferred and trace are the check's own (its strict option, and the report's events)
    "assistants": frozenset(SimConfig.__dataclass_fields__) - {"inferred", "trace"},
    # attributes of the Responses backend a behaviour may set: the rest is its state
    "responses": frozenset({"cut_streams_after", "lose_cancel_race", "cancel_finished"}),
}
"""Protocol -> the names a behaviour's ``config`` may set on that protocol's simulator."""

Json = dict[str, Any]

UNREACHABLE: Mapping[tuple[str, str], str] = {
    ("message", "filter_content"): "no source says what a run does when its message is cut by a content filter",
}
"""``(kind, trigger)`` of transitions no behaviour reaches, and why."""

REPLY = "The answer is 42."


@dataclass(frozen=True)
class Behaviour:
    """What the model, the server and other parties do to the runs of one check.

    ``script``: the model's actions, for every run the client creates.
    ``config``: :class:`~runfsm.sim.SimConfig` fields to override.
    ``cancel_in`` / ``cancel_after``: another party cancels each run this many
    simulated seconds after it first enters that status (if it is still there).
    ``inferred``: takes an edge the spec grades inferred (left out by ``strict``).
    ``poll_interval``: simulated seconds a run retrieve takes (default: the check's option).
    ``tolerated``: keys of refusals (``responses_spec.REFUSALS``) the behaviour makes the
    server give a correct client; one the client handles is no ``refused`` verdict.
    ``protocol``: the API the behaviour is written for (:data:`PROTOCOLS`); a check of
    another protocol refuses it.
    """

    name: str
    description: str
    script: tuple[Action | FilterContent, ...]
    config: Mapping[str, Any] = field(default_factory=dict)
    cancel_in: str | None = None
    cancel_after: float = 0.5
    inferred: bool = False
    poll_interval: float | None = None
    tolerated: tuple[str, ...] = ()
    protocol: str = "assistants"

    def __str__(self) -> str:
        return self.name

    @property
    def needs(self) -> frozenset[str]:
        """The tool types (as in API v2) the run must have for the script: function, code_interpreter, file_search."""
        # FilterContent (Responses only) declares no TOOL: its step is a message's
        return frozenset({getattr(step_action(a), "TOOL", "") for a in self.script}) - {""}  # type: ignore[arg-type]

    def replace(self, **changes: Any) -> Behaviour:
        return dataclasses.replace(self, **changes)


def default_tools() -> list[Json]:
    """The function tool a check gives its assistant when the caller names none."""
    return [{
        "type": spec.PAUSING_TOOL_CALL_TYPE,
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }]


_SAMPLE = {"string": "Paris", "integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}


def _arguments(tool: Json, arguments: Mapping[str, Any] | None) -> Any:
    fn = tool["function"]
    if arguments is not None and fn["name"] in arguments:
        return arguments[fn["name"]]
    params = fn.get("parameters")
    params = params if isinstance(params, dict) else {}
    props = params.get("properties")
    props = props if isinstance(props, dict) else {}
    out: dict[str, Any] = {}
    for name in params.get("required") or ():
        prop = props.get(name) if isinstance(name, str) else None
        kind = prop.get("type") if isinstance(prop, dict) else None
        out[str(name)] = _SAMPLE.get(kind, "x") if isinstance(kind, str) else "x"
    return out


@dataclass(frozen=True)
class _Ctx:
    """What the recipes need, all derived from the profile and the caller's tools."""

    prof: Profile
    deadline: int
    latency: float
    queued: str
    working: str
    cancelling: str
    calls: tuple[FunctionCall, ...]  # one call per function tool, cycled for parallel calls

    def call(self, i: int) -> FunctionCall:
        return self.calls[i % len(self.calls)]


def _ctx(prof: Profile, tools: Sequence[Json], arguments: Mapping[str, Any] | None) -> _Ctx:
    run = prof.run
    working = run.require_working()
    functions = [t for t in tools if isinstance(t, dict) and t.get("type") == spec.PAUSING_TOOL_CALL_TYPE
                 and isinstance(t.get("function"), dict) and isinstance(t["function"].get("name"), str)]
    if not functions:
        raise CheckError("check_client: tools must include at least one function tool "
                         "({'type': 'function', 'function': {'name': ...}}) for the requires_action behaviours")
    return _Ctx(
        prof=prof,
        deadline=spec.RUN_DEADLINE_SECONDS,
        latency=SimConfig().queue_latency,  # the timings below assume the simulator's own default
        queued=run.initial,
        working=working,
        cancelling=run.by_trigger[(working, "cancel")].dest,
        calls=tuple(FunctionCall(t["function"]["name"], _arguments(t, arguments)) for t in functions),
    )


# --- the recipes: how to make the simulator take each run transition ---------------------------

_Recipe = Callable[[Transition, _Ctx], list[Behaviour]]


def _say(seconds: float = 2) -> Say:
    return Say(REPLY, duration=seconds)


def _start(t: Transition, c: _Ctx) -> list[Behaviour]:
    return [Behaviour("completes", "writes one message and completes", (_say(),))]


def _complete(t: Transition, c: _Ctx) -> list[Behaviour]:
    if t.source == c.working:
        return _start(t, c)
    # from cancelling: the cancel loses the race to the model's last step
    return [Behaviour(
        "cancel_loses_to_completion", "another party cancels while the last message is written; the run completes anyway",
        (_say(2),), config={"cancel_race": True, "cancel_delay": 3}, cancel_in=c.working, cancel_after=1,
        inferred=t.inferred)]


def _require_action(t: Transition, c: _Ctx) -> list[Behaviour]:
    one = CallFunctions((c.call(0),), duration=1)
    parallel = CallFunctions(tuple(c.call(i) for i in range(3)), duration=1)
    again = CallFunctions((c.call(1), c.call(2)), duration=1)
    return [
        Behaviour("requires_action", "calls one function, then answers with its output", (one, _say())),
        Behaviour("requires_action_parallel", "calls three functions in parallel, then answers", (parallel, _say())),
        Behaviour("requires_action_twice", "asks for tool outputs in two rounds (the second with parallel calls)",
                  (one, again, _say())),
    ]


def _fail(t: Transition, c: _Ctx) -> list[Behaviour]:
    if t.source == c.working:
        # A step can only fail with the step error codes; the others fail the run before any step.
        return [Behaviour(f"fails_{code}", f"fails with {code} while writing its reply",
                          (Fail(code, during=Say(REPLY, duration=4), duration=2),))
                if code in spec.STEP_ERROR_CODES else
                Behaviour(f"fails_{code}", f"fails with {code} before writing anything", (Fail(code, duration=2),))
                for code in spec.RUN_ERROR_CODES]
    if t.source == c.queued:
        return [Behaviour(f"fails_in_queue_{code}", f"fails with {code} before it starts",
                          (Fail(code, in_queue=True, duration=1),), inferred=t.inferred)
                for code in spec.RUN_ERROR_CODES]
    return [Behaviour(
        "cancel_loses_to_failure", "another party cancels; the run fails before the cancel takes effect",
        (Fail(spec.RUN_ERROR_CODES[0], during=Say(REPLY, duration=4), duration=2),),
        config={"cancel_race": True, "cancel_delay": 3}, cancel_in=c.working, cancel_after=1, inferred=t.inferred)]


def _out_of_tokens(t: Transition, c: _Ctx) -> list[Behaviour]:
    return [Behaviour(f"incomplete_{reason}", f"runs out of tokens ({reason}) while writing",
                      (RunOutOfTokens(reason, during=Say(REPLY, duration=4), duration=2),))
            for reason in spec.RUN_INCOMPLETE_REASONS]


def _cancel(t: Transition, c: _Ctx) -> list[Behaviour]:
    if t.source == c.queued:
        script: tuple[Action, ...] = (QueueDelay(30), _say())
    elif t.source in c.prof.run.paused:
        script = (CallFunctions((c.call(0),), duration=1), _say())
    else:
        script = (Say(REPLY, duration=10),)
    return [Behaviour(f"cancelled_while_{t.source}", f"another party cancels the run while it is {t.source}",
                      script, cancel_in=t.source, cancel_after=0.5 if t.source != c.working else 2,
                      inferred=t.inferred)]


def _expire(t: Transition, c: _Ctx) -> list[Behaviour]:
    if t.source == c.working:
        return [Behaviour("expires_in_progress", "is still writing when the deadline passes",
                          (Say(REPLY, duration=c.deadline + 60),))]
    if t.source in c.prof.run.paused:
        # The model asks for outputs half a second before the deadline: a poller next sees the run expired.
        late = CallFunctions((c.call(0),), duration=c.deadline - c.latency - 0.5)
        return [Behaviour(f"expires_in_{t.source}", "asks for tool outputs too late: the run expires before they can come",
                          (late, _say()))]
    if t.source == c.queued:
        return [Behaviour("stalls_in_queue", "is never started: the run expires in the queue", (QueueStall(),),
                          inferred=t.inferred)]
    return [Behaviour(
        "cancel_loses_to_deadline", "another party cancels one second before the deadline; the run expires first",
        (Say(REPLY, duration=c.deadline + 60),), config={"cancel_race": True, "cancel_delay": 3},
        cancel_in=c.working, cancel_after=c.deadline - c.latency - 1, inferred=t.inferred)]


def _none(t: Transition, c: _Ctx) -> list[Behaviour]:
    return []  # reached by the behaviours of other transitions (the client's own submit, the end of a cancel)


RECIPES: Mapping[str, _Recipe] = {
    "start": _start,
    "complete": _complete,
    "require_action": _require_action,
    "submit_tool_outputs": _none,
    "fail": _fail,
    "run_out_of_tokens": _out_of_tokens,
    "cancel": _cancel,
    "finish_cancel": _none,
    "expire": _expire,
}
"""Run trigger -> the behaviours that take its transitions."""


def _tool_steps(c: _Ctx) -> list[Behaviour]:
    """The built-in tools of the profile: each runs in a tool step before the reply."""
    kinds = c.prof.tool_names
    out = []
    if "code_interpreter" in kinds:
        out.append(Behaviour("code_interpreter", "runs the code interpreter, then answers",
                             (CodeInterpreter("print(6 * 7)", logs="42\n", duration=1), _say())))
    if "file_search" in kinds:
        out.append(Behaviour(kinds["file_search"], "searches the attached files, then answers",
                             (FileSearch(duration=1), _say())))
    return out


# --- the Responses API: the same recipes, keyed by the triggers of responses_spec.TRANSITIONS ---------

_ResponseRecipe = Callable[[Any], list[Behaviour]]  # a TransitionRow -> its behaviours


def _r_start(t: Any) -> list[Behaviour]:
    return [*_r_complete(t), Behaviour("slow_queue", "waits four minutes in the queue, then completes",
                                       (QueueDelay(240), _say()))]


def _r_complete(t: Any) -> list[Behaviour]:
    return [Behaviour("completes", "writes one message and completes", (_say(),))]


def _r_fail(t: Any) -> list[Behaviour]:
    return [Behaviour("fails", "fails with server_error while working", (Fail("server_error", duration=2),))]


def _r_incomplete(t: Any) -> list[Behaviour]:
    reason = rspec.REASON_BY_TRIGGER[t.trigger]
    during = Say(REPLY, duration=4)
    action: RunOutOfTokens | FilterContent = RunOutOfTokens(during=during, duration=2) if t.trigger == "run_out_of_tokens" else \
        FilterContent(duration=2, during=during)
    return [Behaviour(f"incomplete_{reason}", f"ends incomplete ({reason}) while writing", (action,))]


def _r_cancel(t: Any) -> list[Behaviour]:
    if t.source == rspec.INITIAL:  # a stalled queue: nothing but a cancel ends it
        return [Behaviour(f"cancelled_while_{t.source}", "is never started; another party cancels it after 30 s",
                          (QueueStall(),), cancel_in=t.source, cancel_after=30)]
    return [Behaviour(f"cancelled_while_{t.source}", f"another party cancels the response while it is {t.source}",
                      (Say(REPLY, duration=10),), cancel_in=t.source, cancel_after=2)]


RESPONSE_RECIPES: Mapping[str, _ResponseRecipe] = {
    "start": _r_start,
    "complete": _r_complete,
    "fail": _r_fail,
    "run_out_of_tokens": _r_incomplete,
    "filter_content": _r_incomplete,
    "cancel": _r_cancel,
}
"""Response trigger -> the behaviours that take its transitions."""


def _observed(move: Any) -> list[Behaviour]:
    """A status read after a terminal one (``responses_spec.OBSERVED_MOVES``), tolerant mode only."""
    if (move.source, move.dest) == ("cancelled", "completed"):
        return [Behaviour("cancel_loses_to_completion", "another party cancels; the response completes anyway",
                          (Say(REPLY, duration=10),), config={"lose_cancel_race": True}, cancel_in="in_progress",
                          cancel_after=2, inferred=True)]
    return []


def _stream_faults() -> list[Behaviour]:
    """What a streaming client meets: a dropped stream, and one dropped too late to resume."""
    too_old = next(r for r in rspec.REFUSALS if r.key == "resume_too_old")
    wait = rspec.RESUME_WINDOW_SECONDS + 100
    return [
        Behaviour("stream_cut", "its first stream drops mid-text: resume it (starting_after) or poll",
                  (_say(),), config={"cut_streams_after": 6}),
        Behaviour(too_old.key, f"queued {wait} s, then its first stream drops: a resume is refused, poll instead",
                  (QueueDelay(wait), _say()), config={"cut_streams_after": 3}, tolerated=(too_old.key,)),
    ]


def responses_catalogue(version: str, strict: bool, tools: Sequence[Json] | None = None,
                        arguments: Mapping[str, Any] | None = None) -> tuple[Behaviour, ...]:
    """The Responses API's behaviours (its one version; function tools and arguments do not apply)."""
    out: dict[str, Behaviour] = {}
    for t in rspec.TRANSITIONS:
        recipe = RESPONSE_RECIPES.get(t.trigger)
        for b in recipe(t) if recipe is not None else ():  # none: the coverage test names the transition
            out.setdefault(b.name, b)
    for move in rspec.OBSERVED_MOVES:
        for b in _observed(move):
            out.setdefault(b.name, b)
    for b in _stream_faults():
        out.setdefault(b.name, b)
    return tuple(b.replace(protocol="responses") for b in out.values() if not (strict and b.inferred))


def catalogue(version: str = spec.DEFAULT_VERSION, *, strict: bool = False, tools: Sequence[Json] | None = None,
              arguments: Mapping[str, Any] | None = None, protocol: str = "assistants") -> tuple[Behaviour, ...]:
    """Every behaviour of the catalogue for API ``version``, in the spec's transition order.

    ``strict`` leaves out the behaviours that take an edge graded ``inferred``.
    ``tools``: the function tools whose names the scripted calls use (default
    :func:`default_tools`); ``arguments``: function name -> the arguments to call
    it with (default: a sample value for each required parameter).
    ``protocol="responses"``: the Responses API's behaviours instead (``version``,
    ``tools`` and ``arguments`` do not apply).
    """
    build = protocol_info(protocol, CheckError).entry("catalogue")
    found: tuple[Behaviour, ...] = build(version, strict, tools, arguments)
    return found


def assistants_catalogue(version: str, strict: bool, tools: Sequence[Json] | None = None,
                         arguments: Mapping[str, Any] | None = None) -> tuple[Behaviour, ...]:
    """The Assistants behaviours of API ``version`` (see :func:`catalogue`)."""
    prof = get_profile(version)
    ctx = _ctx(prof, tools if tools is not None else default_tools(), arguments)
    out: dict[str, Behaviour] = {}
    for t in prof.run.transitions:
        recipe = RECIPES.get(t.trigger)
        if recipe is None:
            continue  # no behaviour reaches it: the catalogue's coverage test names it
        for b in recipe(t, ctx):
            out.setdefault(b.name, b)
        if t.trigger == "start":
            for b in _tool_steps(ctx):
                out.setdefault(b.name, b)
    return tuple(b for b in out.values() if not (strict and b.inferred))


def select(behaviours: Iterable[Behaviour], only: str | Sequence[str] | None) -> tuple[Behaviour, ...]:
    """The behaviours whose names match ``only`` (shell-style patterns, e.g. ``"fails_*"``); all when None."""
    import fnmatch

    pool = tuple(behaviours)
    if only is None:
        return pool
    if not isinstance(only, (str, Sequence)):
        raise CheckError(f"only= takes a name pattern or a list of them, got {only!r}")
    patterns = [only] if isinstance(only, str) else list(only)
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise CheckError(f"only= takes a name pattern or a list of them, got {only!r}")
    chosen = tuple(b for b in pool if any(fnmatch.fnmatchcase(b.name, p) for p in patterns))
    if not chosen:
        raise CheckError(f"no behaviour matches {', '.join(map(repr, patterns))}; known: "
                         + ", ".join(b.name for b in pool))
    return chosen


def refuse_misfit(behaviour: Behaviour, protocol: str, version: str = spec.DEFAULT_VERSION) -> None:
    """A :class:`CheckError` unless ``behaviour`` can run in a check of ``protocol`` (and API ``version``).

    Called before anything runs: a behaviour of the other API, a setting its
    simulator lacks or a status its objects never take would otherwise stop a
    check midway, or never fire.
    """
    info = protocol_info(protocol, CheckError)
    if behaviour.protocol != protocol:
        own = PROTOCOLS_INFO.get(behaviour.protocol)
        article = own.article if own is not None else f"a {behaviour.protocol!r}"
        raise CheckError(f"behaviour {behaviour.name} is {article} behaviour; check it with "
                         f"protocol={behaviour.protocol!r} (this check's protocol is {protocol!r})")
    settable = SETTINGS[protocol]
    for name in behaviour.config:
        if name not in settable:
            raise CheckError(f"behaviour {behaviour.name}: the {info.simulator} has no setting {name!r}; "
                             f"it has {', '.join(sorted(settable))}")
    if behaviour.cancel_in is not None:
        # the Responses check runs its one version whatever the Assistants ``version`` says
        statuses = list(info.profile(version if version in info.versions else None).primary.order)
        if behaviour.cancel_in not in statuses:
            raise CheckError(f"behaviour {behaviour.name}: cancel_in={behaviour.cancel_in!r} is not a status of a "
                             f"{info.noun}; its statuses are {', '.join(statuses)}")
