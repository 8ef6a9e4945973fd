"""Run a user's function against every behaviour of the catalogue and judge each run.

For each behaviour a fresh simulator is built (seeded, on its own clock), with an
assistant that has the caller's tools and the built-in tools the behaviour needs,
and a real openai client bound to it.  The function is called with what it asks
for by parameter name (see :data:`PROVIDED`), with sleeping patched to advance
the simulated clock, the simulator's liveness checks on and a wall-clock
watchdog armed.  Then the run is judged, without any expectation written by the
user, in this order:

``stuck``      the simulator or the watchdog stopped a client that would never stop;
``refused``    the API refused one of its calls (quoted), caught by the client or not;
``crashed``    it raised something not declared in ``raises=``;
``abandoned``  it returned while a run was still active (only with ``must_finish=True``), or
               (Responses API) without resuming or reading a response whose stream was cut;
``unexpected`` an ``expect=`` check failed;
``skipped``    the behaviour cannot apply to this client (its own assistant lacks a tool);
``ok``         none of the above.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from .. import responses_spec as rspec
from .. import spec
from .._protocols import PROTOCOLS, protocol_info
from ..errors import ClientStuck, IllegalTransition, RunfsmError
from ..sim import Clock, Liveness, SimConfig, Simulator
from ..sim._clock import DEFAULT_START
from ..sim._errors import ScriptError
from ..validate._refusals import template_patterns as _refusal_pattern
from ._catalogue import Behaviour, CheckError, catalogue, default_tools, refuse_misfit, select
from ._report import ABANDONED, CRASHED, OK, REFUSED, SKIPPED, STUCK, UNEXPECTED, ClientReport, Outcome, clean
from ._time import WallClockStuck, simulated_sleep, watchdog

__all__ = ["PROVIDED", "BehaviourCase", "Options", "acheck_client", "check_behaviour", "check_client", "options"]

PROVIDED = tuple(dict.fromkeys(name for p in PROTOCOLS.values() for name in p.provides))
"""What the checked function can ask for, by parameter name (its first parameter always gets the client);
each protocol provides some of these (``runfsm._protocols``)."""

Expect = Callable[[Outcome], object]


@dataclass(frozen=True)
class Options:
    """The settings of one check (see :func:`check_client` for each)."""

    version: str = spec.DEFAULT_VERSION
    strict: bool = False
    tools: tuple[dict[str, Any], ...] = ()
    arguments: Mapping[str, Any] | None = None
    raises: tuple[type[BaseException], ...] = ()
    must_finish: bool = False
    expect: Expect | Mapping[str, Expect] | None = None
    message: str = "What is the weather in Paris?"
    model: str = "gpt-4o"
    poll_interval: float = 1.0
    poll_after_ms: int = 1000
    liveness: Liveness = field(default_factory=Liveness)
    wall_timeout: float | None = 10.0
    start: int = DEFAULT_START
    seed: int = 0
    sdk: str = "openai"
    protocol: str = "assistants"

    def describe(self) -> str:
        sdk = "" if self.sdk == "openai" else f", {self.sdk} SDK"
        if self.protocol == "responses":
            return f"responses, {'strict' if self.strict else 'tolerant'}{sdk}"
        return f"{self.version}, {'strict' if self.strict else 'tolerant'}{sdk}"


SDKS = ("openai", "azure")
"""The SDKs whose clients ``check_client(..., sdk=...)`` hands the function."""


def options(**given: Any) -> Options:
    """Validate keyword options into :class:`Options` (a :class:`CheckError` names what is wrong)."""
    known = {f for f in Options.__dataclass_fields__}
    unknown = sorted(set(given) - known)
    if unknown:
        raise CheckError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if given.get("sdk", "openai") not in SDKS:
        raise CheckError(f"sdk must be one of {', '.join(SDKS)}, got {given['sdk']!r}")
    info = protocol_info(given.get("protocol", "assistants"), CheckError)
    if given.get("sdk", "openai") not in info.sdks:
        raise CheckError(f"protocol={info.name!r} needs sdk={' or '.join(map(repr, info.sdks))} "
                         f"(the {given['sdk']} SDK's client does not speak it)")
    if given.get("version", spec.DEFAULT_VERSION) not in spec.VERSIONS:
        raise CheckError(f"version must be one of {', '.join(spec.VERSIONS)}, got {given['version']!r}")
    raises = given.get("raises", ())
    if isinstance(raises, type):
        raises = (raises,)
    if not isinstance(raises, (tuple, list)) or not all(isinstance(r, type) and issubclass(r, BaseException)
                                                        for r in raises):
        raise CheckError(f"raises= takes an exception class or a tuple of them, got {raises!r}")
    given["raises"] = tuple(raises)
    tools = given.get("tools")
    if tools is not None:
        if not isinstance(tools, (list, tuple)) or not all(isinstance(t, dict) for t in tools):
            raise CheckError(f"tools= takes a list of tool definitions (dicts), got {tools!r}")
        given["tools"] = tuple(tools)
    expect = given.get("expect")
    if expect is not None and not callable(expect) and not (
            isinstance(expect, Mapping) and all(callable(v) for v in expect.values())):
        raise CheckError("expect= takes a function of the outcome, or a mapping of behaviour name patterns to them")
    if isinstance(expect, Mapping) and not callable(expect):
        for pattern in expect:
            if not isinstance(pattern, str):
                raise CheckError("expect= takes a function of the outcome, or a mapping of behaviour name patterns "
                                 f"to them; got a key {pattern!r}")
    timeout = given.get("wall_timeout", 10.0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0):
        raise CheckError(f"wall_timeout must be a positive number of seconds or None, got {timeout!r}")
    poll = given.get("poll_interval", 1.0)
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not 0 <= poll < float("inf"):
        raise CheckError(f"poll_interval must be a number of seconds >= 0, got {poll!r}")
    after = given.get("poll_after_ms", 1000)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise CheckError(f"poll_after_ms must be a whole number of milliseconds >= 0, got {after!r}")
    try:  # refused now, not once per behaviour
        Clock(given.get("start", DEFAULT_START))
    except RunfsmError as exc:
        raise CheckError(f"start: {exc}") from None
    seed = given.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CheckError(f"seed must be an int, got {seed!r}")
    liveness = given.get("liveness")
    if liveness is not None and not isinstance(liveness, Liveness):
        raise CheckError(f"liveness= takes a runfsm.sim.Liveness, got {type(liveness).__name__}")
    if liveness is None:
        given.pop("liveness", None)
    return Options(**given)


# --- calling the function ----------------------------------------------------------------------


def _plan_for(fn: object, opts: Options) -> tuple[Callable[..., Any], list[str], bool]:
    """:func:`_plan`, refusing what the protocol of ``opts`` cannot provide."""
    target, names, is_async = _plan(fn)
    provides = protocol_info(opts.protocol, CheckError).provides
    wrong = [n for n in names if n in PROVIDED and n not in provides]
    if wrong:
        raise CheckError(f"{getattr(fn, '__qualname__', fn)!s}: protocol={opts.protocol!r} provides "
                         f"{', '.join(provides)}, not {', '.join(wrong)}")
    return target, names, is_async


def _plan(fn: object) -> tuple[Callable[..., Any], list[str], bool]:
    """The parameters to pass ``fn`` (by name) and whether it is a coroutine function."""
    if not callable(fn):
        raise CheckError(f"check_client needs a function to call, got {type(fn).__name__} {fn!r:.60}")
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn, ["client"], inspect.iscoroutinefunction(fn)
    names: list[str] = []
    for i, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in PROVIDED or (i == 0 and p.kind is not p.KEYWORD_ONLY):
            names.append(p.name)
        elif p.default is p.empty:
            raise CheckError(f"{getattr(fn, '__qualname__', fn)!s}: parameter {p.name!r} is not something runfsm can "
                             f"provide; it provides {', '.join(PROVIDED)} (the first parameter always gets the client)")
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)
    return fn, names, is_async


class _Case:
    """One behaviour's world: the simulator, the client, the outside party and what was seen."""

    def __init__(self, behaviour: Behaviour, opts: Options, *, asynchronous: bool) -> None:
        if opts.sdk == "azure":
            from ..azure import async_client, client, router_of
        else:
            from ..openai import async_client, client, router_of  # type: ignore[assignment]

        self.behaviour = behaviour
        self.opts = opts
        self.responses = opts.protocol == "responses"
        # The Responses backend takes the behaviour's config; the Assistants engine is left as it is.
        sim_config = {} if self.responses else dict(behaviour.config)
        config = SimConfig(inferred=not opts.strict, trace=True, **sim_config)
        self.sim = sim = Simulator(clock=Clock(opts.start), seed=opts.seed, config=config,
                                   script=None if self.responses else behaviour.script,  # type: ignore[arg-type]
                                   version=opts.version, liveness=opts.liveness)
        self.assistant_id = ""
        if self.responses:
            from ..sim import responses_of

            self.backend = responses_of(sim)
            self.backend.set_script(behaviour.script)
            self.backend.streamed = []
            for name, value in behaviour.config.items():  # names checked by refuse_misfit before any run
                setattr(self.backend, name, value)
        else:
            kinds = sim.profile.tool_names
            tools = list(opts.tools or default_tools())
            tools += [{"type": kinds[k]} for k in sorted(behaviour.needs - {spec.PAUSING_TOOL_CALL_TYPE})]
            self.assistant_id = sim.create_assistant(model=opts.model, name="runfsm-check", tools=tools)["id"]
        self._thread_id: str | None = None
        factory = async_client if asynchronous else client
        poll = behaviour.poll_interval if behaviour.poll_interval is not None else opts.poll_interval
        extra = {"poll_after_ms": opts.poll_after_ms} if opts.sdk == "openai" else {}
        self.client: Any = factory(sim, poll_interval=poll, **extra)
        self.router = router_of(self.client)
        self.router.calls = []
        self.notes: list[str] = []
        self._cancel_planned: set[str] = set()
        if behaviour.cancel_in is not None:
            if self.responses:
                self.backend.on_status = self._on_response_status
            else:
                sim._engine.on_status = self._on_status

    @property
    def thread_id(self) -> str:
        if self._thread_id is None:
            self._thread_id = self.sim.create_thread(messages=[{"role": "user", "content": self.opts.message}])["id"]
        return self._thread_id

    def arguments(self, names: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:  # the thread is created only when asked for; a first parameter of another name is the client
            provided = name if name in PROVIDED else "client"
            out[name] = self.thread_id if provided == "thread_id" else {
                "client": self.client, "sim": self.sim, "assistant_id": self.assistant_id, "behaviour": self.behaviour,
            }[provided]
        return out

    # -- another party cancels --

    def _on_status(self, run: Any, status: str) -> None:
        if status == self.behaviour.cancel_in and run.id not in self._cancel_planned:
            self._cancel_planned.add(run.id)
            self.sim.clock.call_later(self.behaviour.cancel_after, self._outside_cancel, run, status)

    def _outside_cancel(self, run: Any, status: str) -> None:
        if run.status == status:
            self.sim._engine.cancel(run)
        else:
            self.notes.append(f"the outside cancel of {run.id} did not land: the run had left {status!r} "
                              f"for {run.status!r} when it came")

    def _on_response_status(self, response_id: str, status: str) -> None:
        if status == self.behaviour.cancel_in and response_id not in self._cancel_planned:
            self._cancel_planned.add(response_id)
            self.sim.clock.call_later(self.behaviour.cancel_after, self._outside_response_cancel, response_id, status)

    def _outside_response_cancel(self, response_id: str, status: str) -> None:
        now = self.backend.timelines()[response_id][-1][1]
        if now == status:
            self.backend.cancel(response_id)  # straight to the backend: not one of the client's calls
        else:
            self.notes.append(f"the outside cancel of {response_id} did not land: the response had left {status!r} "
                              f"for {now!r} when it came")

    def progress(self) -> int:
        return self.router.requests + self.sim.clock.pending + int(self.sim.clock.now * 1000)

    @contextmanager
    def running(self) -> Iterator[None]:
        with ExitStack() as stack:
            stack.enter_context(simulated_sleep(self.sim.advance, self.sim._watch.read))
            stack.enter_context(watchdog(self.opts.wall_timeout, self.progress))
            yield


# --- judging ------------------------------------------------------------------------------------

_ID = re.compile(r"\b(thread|run|step|msg|call|asst|file|resp|fc)_[A-Za-z0-9]+")


def _named(text: str, run_names: Mapping[str, str]) -> str:
    """``text`` with run ids replaced by ``run1``, ``run2``... and other ids by their kind (``{thread}``)."""
    return _ID.sub(lambda m: run_names.get(m.group(), "{" + m.group(1) + "}"), text)


def _calls(case: _Case, run_names: Mapping[str, str]) -> list[str]:
    return [_named(str(c), run_names) for c in case.router.calls or []]


def _expectations(expect: Expect | Mapping[str, Expect] | None, name: str) -> list[Expect]:
    import fnmatch

    if expect is None:
        return []
    if callable(expect):
        return [expect]
    return [check for pattern, check in expect.items() if fnmatch.fnmatchcase(name, pattern)]


def _judge(case: _Case, returned: Any, error: BaseException | None) -> Outcome:
    sim, opts = case.sim, case.opts
    start = opts.start
    info = protocol_info(opts.protocol, CheckError)
    noun = info.noun
    if case.responses:
        active_statuses = info.profile().primary.active
        runs = {rid: [(t - start, status) for t, status in h] for rid, h in case.backend.timelines().items()}
        events = list(case.backend.streamed or ())
    else:
        active_statuses = sim.profile.run.active
        runs = {run_id: [(t - start, status) for t, status in sim.timeline(run_id)] for run_id, _ in sim.iter_runs()}
        events = [r["event"] for r in sim.trace if isinstance(r, dict) and "event" in r and "stream" in r]
    run_names = {run_id: f"{noun}{i}" for i, run_id in enumerate(runs, 1)}
    outcome = Outcome(case.behaviour, OK, returned=returned, error=error, runs=runs,
                      calls=_calls(case, run_names), events=events, notes=list(case.notes), noun=noun)
    # A call keeps the refusal's rendered message, not its key: match the message against each template.
    # tolerated= names keys of responses_spec.REFUSALS (the Responses declaration carries no refusal rows)
    tolerated = [_refusal_pattern(r.template)[0] for r in rspec.REFUSALS if r.key in case.behaviour.tolerated]
    refusals = [c for c in (case.router.calls or []) if c.status >= 400]
    handled = [c for c in refusals if any(p.match(c.note) for p in tolerated)]
    if handled and not (error is not None and not isinstance(error, opts.raises)):
        # the behaviour provokes these refusals from any client; this one carried on
        refusals = [c for c in refusals if c not in handled]
        outcome.notes.append(f"the API refused {handled[0].method} {_named(handled[0].path, run_names)}"
                             f" ({handled[0].status}: {handled[0].note}), as this behaviour means it to; "
                             "the client carried on")
    if isinstance(error, ClientStuck):
        outcome.verdict = STUCK
        outcome.detail = _stuck_detail(case, error, runs, run_names, noun)
        name = run_names.get(error.run_id or "", f"a {noun}")
        outcome.headline = {
            "polled_after_end": f"does not treat {error.status!r} as final ({name} read {error.polls} more times)",
            "idle": f"kept calling after every {noun} ended ({error.polls} calls; the last ended {error.status!r})",
        }.get(error.reason, "spins without calling the API (wall clock)")
    elif refusals:
        first = refusals[0]
        outcome.verdict = REFUSED
        outcome.detail = f"the API refused {first.method} {_named(first.path, run_names)} ({first.status}): {first.note}"
        outcome.headline = f"{first.status}: {first.note}"
        if len(refusals) > 1:
            outcome.detail += f" (and {len(refusals) - 1} more refusal{'s' if len(refusals) > 2 else ''})"
    elif isinstance(error, IllegalTransition):
        outcome.verdict = REFUSED
        outcome.detail = f"strict mode refuses this move (the spec grades it inferred): {error}"
    elif isinstance(error, ScriptError):
        outcome.verdict = SKIPPED
        outcome.detail = (f"{error}. The behaviour needs the run to have these tools; give check_client "
                          "tools= (your function definitions), or create runs with the assistant_id it provides")
    elif error is not None and not isinstance(error, opts.raises):
        outcome.verdict = CRASHED
        outcome.detail = clean(f"{type(error).__name__}: {error}", 500)  # the client's words: one escaped line
    else:
        active = [run_id for run_id, h in runs.items() if h and h[-1][1] in active_statuses]
        dropped = [(rid, seq) for rid, seq in case.backend.cuts.items()
                   if rid not in case.backend.followed] if case.responses else []
        if opts.must_finish and active:
            outcome.verdict = ABANDONED
            last = runs[active[0]][-1][1]
            outcome.detail = (f"returned while {run_names[active[0]]} ({active[0]}) was still {last!r}: "
                              f"the client stopped watching a {noun} that had not ended")
        elif dropped:
            rid, seq = dropped[0]
            outcome.verdict = ABANDONED
            outcome.headline = f"ignored a cut stream ({run_names[rid]} after sequence_number {seq})"
            outcome.detail = (f"the stream of {run_names[rid]} ({rid}) was cut after sequence_number {seq}, "
                              "with no terminal event; the client returned without resuming it or retrieving "
                              f"the response (now {runs[rid][-1][1]!r}), so it never saw how it ended.\n"
                              f"Likely bug: a stream that ends without response.completed, response.failed or "
                              f"response.incomplete is not treated as dropped (resume with starting_after={seq}, "
                              "or poll).")
        else:
            for check in _expectations(opts.expect, case.behaviour.name):
                try:
                    verdict = check(outcome)
                except AssertionError as exc:
                    outcome.verdict = UNEXPECTED
                    outcome.detail = clean(f"expect failed: {exc}" if str(exc) else "expect failed", 500)
                    break
                if verdict is False:
                    outcome.verdict = UNEXPECTED
                    outcome.detail = f"expect returned False ({getattr(check, '__name__', 'check')})"
                    break
    return outcome


def _stuck_detail(case: _Case, error: ClientStuck, runs: Mapping[str, Sequence[tuple[float, str]]],
                  run_names: Mapping[str, str], noun: str) -> str:
    if isinstance(error, WallClockStuck) and not error.run_id:
        last = [(rid, h[-1][1]) for rid, h in runs.items() if h][-1:]
        where = (f"; its last {noun} {run_names[last[0][0]]} ({last[0][0]}) is {last[0][1]!r}" if last
                 else f"; it never created a {noun}")
        return (f"the client made no API call and did not sleep for {case.opts.wall_timeout:g} s of wall time{where}.\n"
                "Likely bug: a loop that spins on a value it never re-reads (a status it fetched once).")
    return str(error)


# --- the public entry points ---------------------------------------------------------------------


def _behaviours(opts: Options, only: str | Sequence[str] | None,
                behaviours: Sequence[Behaviour] | None) -> tuple[Behaviour, ...]:
    pool = behaviours if behaviours is not None else catalogue(
        opts.version, strict=opts.strict, tools=list(opts.tools) or None, arguments=opts.arguments,
        protocol=opts.protocol)
    if behaviours is not None and not all(isinstance(b, Behaviour) for b in behaviours):
        raise CheckError("behaviours= takes runfsm.testing.Behaviour values (see runfsm.testing.catalogue())")
    chosen = select(pool, only)
    for b in chosen:
        refuse_misfit(b, opts.protocol, opts.version)
    return chosen


def _refuse_misfit(behaviour: object, opts: Options) -> None:
    if not isinstance(behaviour, Behaviour):
        raise CheckError(f"check_behaviour takes a runfsm.testing.Behaviour, got {type(behaviour).__name__}")
    refuse_misfit(behaviour, opts.protocol, opts.version)


def _target(fn: object) -> str:
    module = getattr(fn, "__module__", None)
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}:{name}" if module else str(name)


def _run_sync(fn: Callable[..., Any], names: list[str], behaviour: Behaviour, opts: Options) -> Outcome:
    case = _Case(behaviour, opts, asynchronous=False)
    returned: Any = None
    error: BaseException | None = None
    try:
        with case.running():
            returned = fn(**case.arguments(names))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the client's own errors are the verdict, whatever they are
        error = exc
    return _judge(case, returned, error)


async def _run_async(fn: Callable[..., Awaitable[Any]], names: list[str], behaviour: Behaviour,
                     opts: Options) -> Outcome:
    case = _Case(behaviour, opts, asynchronous=True)
    returned: Any = None
    error: BaseException | None = None
    try:
        with case.running():
            returned = await fn(**case.arguments(names))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        error = exc
    finally:
        await case.client.close()
    return _judge(case, returned, error)


def check_behaviour(fn: Callable[..., Any], behaviour: Behaviour, **kwargs: Any) -> Outcome:
    """Run ``fn`` under one behaviour (sync functions; see :func:`check_client` for the options)."""
    opts = options(**kwargs)
    target, names, is_async = _plan_for(fn, opts)
    _refuse_misfit(behaviour, opts)
    if is_async:
        outcome: Outcome = _in_new_loop(lambda: _run_async(target, names, behaviour, opts))
        return outcome
    return _run_sync(target, names, behaviour, opts)


def _in_new_loop(make: Callable[[], Awaitable[Any]]) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise CheckError("an event loop is already running in this thread: use `await acheck_client(...)`")

    async def main() -> Any:
        return await make()

    return asyncio.run(main())


def check_client(fn: Callable[..., Any], *, only: str | Sequence[str] | None = None,
                 behaviours: Sequence[Behaviour] | None = None, **kwargs: Any) -> ClientReport:
    """Run ``fn`` once per behaviour of the catalogue and judge each run; returns a :class:`ClientReport`.

    ``fn(client, ...)`` gets a real ``openai.OpenAI`` bound to a fresh simulator
    (an ``openai.AsyncOpenAI`` if ``fn`` is a coroutine function; with ``sdk="azure"``
    an ``AgentsClient``, sync or async), plus, by
    parameter name, ``sim``, ``assistant_id`` (an assistant with ``tools``),
    ``thread_id`` (a thread with one user ``message``) and ``behaviour``.

    Options: ``only`` (name patterns, e.g. ``"fails_*"``) or ``behaviours`` (your
    own list); ``version`` and ``strict`` (leave out behaviours the spec grades
    inferred, and refuse inferred moves of the client); ``tools`` (function tools
    the model calls; default one ``get_weather``) and ``arguments`` (function name
    -> arguments); ``raises`` (exceptions ``fn`` may raise); ``must_finish``
    (returning while a run is active is ``abandoned``); ``expect`` (a function of
    the :class:`Outcome`, or a mapping of behaviour name patterns to such
    functions, that raises ``AssertionError`` or returns False when wrong);
    ``poll_interval`` (simulated seconds per run retrieve), ``poll_after_ms``
    (what the openai SDK's poll helpers are told to sleep), ``sdk`` (``"openai"``,
    or ``"azure"``: ``fn`` gets an ``azure.ai.agents`` ``AgentsClient`` instead), ``liveness``
    (:class:`~runfsm.sim.Liveness`), ``wall_timeout`` (seconds without an API
    call before the client is declared stuck; None: off), ``start``, ``seed``;
    ``protocol`` (``"assistants"``, or ``"responses"``: the behaviours of the
    Responses API's background mode, and ``fn`` gets ``client``, ``sim`` and
    ``behaviour`` only).
    """
    opts = options(**kwargs)
    target, names, is_async = _plan_for(fn, opts)
    chosen = _behaviours(opts, only, behaviours)
    if is_async:
        async def every() -> list[Outcome]:
            return [await _run_async(target, names, b, opts) for b in chosen]

        outcomes: list[Outcome] = _in_new_loop(every)
    else:
        outcomes = [_run_sync(target, names, b, opts) for b in chosen]
    return ClientReport(_target(fn), outcomes, opts.describe())


async def acheck_client(fn: Callable[..., Awaitable[Any]], *, only: str | Sequence[str] | None = None,
                        behaviours: Sequence[Behaviour] | None = None, **kwargs: Any) -> ClientReport:
    """:func:`check_client` for a coroutine function, awaited in the running event loop."""
    opts = options(**kwargs)
    target, names, is_async = _plan_for(fn, opts)
    if not is_async:
        raise CheckError(f"acheck_client needs a coroutine function (async def); {_target(fn)} is not one: "
                         "use check_client")
    chosen = _behaviours(opts, only, behaviours)
    outcomes = [await _run_async(target, names, b, opts) for b in chosen]
    return ClientReport(_target(fn), outcomes, opts.describe())



@dataclass(frozen=True)
class BehaviourCase:
    """One behaviour of a parametrized test (the ``runfsm_behaviour`` parameter of the pytest plugin)."""

    behaviour: Behaviour
    version: str = spec.DEFAULT_VERSION
    strict: bool = False

    def __str__(self) -> str:
        return self.behaviour.name

    def check(self, fn: Callable[..., Any], **kwargs: Any) -> Outcome:
        """Run ``fn`` under this behaviour; ``AssertionError`` with the outcome unless it passed."""
        __tracebackhide__ = True  # pytest shows the verdict, not runfsm's frames
        outcome = check_behaviour(fn, self.behaviour, version=self.version, strict=self.strict, **kwargs)
        if not outcome.ok:
            raise AssertionError(str(outcome))
        return outcome

    async def acheck(self, fn: Callable[..., Awaitable[Any]], **kwargs: Any) -> Outcome:
        """:meth:`check` for a coroutine function, in the running event loop."""
        __tracebackhide__ = True
        opts = options(version=self.version, strict=self.strict, **kwargs)
        target, names, is_async = _plan_for(fn, opts)
        if not is_async:
            raise CheckError("acheck needs a coroutine function (async def): use check")
        _refuse_misfit(self.behaviour, opts)
        outcome = await _run_async(target, names, self.behaviour, opts)
        if not outcome.ok:
            raise AssertionError(str(outcome))
        return outcome
