"""Noticing a client that will never stop, so its test fails instead of hanging.

A poll loop that does not treat some final status as final keeps retrieving a
run that can no longer change; a loop waiting for a reply that an ended run will
never write keeps listing messages.  Against the real API both hang forever;
here the simulator counts what such loops do and raises
:class:`~runfsm.errors.ClientStuck` inside the client's own call:

* ``terminal_polls``: a run retrieved more than this many times after the
  retrieve that first showed it ended;
* ``horizon`` / ``idle_calls``: once every run has ended, reads that go on for
  more than ``horizon`` simulated seconds (and more than ``terminal_polls``
  reads, so one late look is fine), or more than ``idle_calls`` reads at all
  (for loops that never let time pass).

The bookkeeping is a counter per ended run that is read again, and two numbers
the engine keeps anyway (runs active, when the last one ended): nothing scans
runs.  The Responses backend keeps the same numbers for its responses and joins
the watch (:meth:`Watch.join`), so "every run has ended" means every run and
every response of the simulator.  Once raised, every later watched call raises the same error again, so a
loop that catches it cannot carry on as if nothing happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ClientStuck
from ._errors import ConfigError

if TYPE_CHECKING:
    from typing import Any, Protocol

    from ._clock import Clock
    from ._engine import Engine

    class Source(Protocol):
        """What the watch asks of an engine: the Assistants one, or the Responses backend."""

        clock: Clock
        terminal: frozenset[str]
        active_runs: int
        last_ended: Any
        idle_since: float
        idle_epoch: int

__all__ = ["Liveness", "Watch"]


def _limit(name: str, value: object, *, whole: bool) -> None:
    if value is None:
        return
    kinds = (int,) if whole else (int, float)
    finite = not isinstance(value, float) or math.isfinite(value)  # (math.isfinite overflows on a huge int)
    if isinstance(value, bool) or not isinstance(value, kinds) or not finite or value < 1:
        what = "a whole number >= 1" if whole else "a number of seconds >= 1"
        raise ConfigError(f"Liveness.{name} must be {what} or None (off), got {value!r}")


@dataclass(frozen=True, slots=True)
class Liveness:
    """When the simulator decides a client is stuck (``None`` turns a check off).

    The defaults never interrupt a client that stops once its runs end: the SDK's
    poll helpers read a finished run once; a program may look at it a few times more.
    """

    terminal_polls: int | None = 10
    horizon: float | None = 86_400
    idle_calls: int | None = 1000

    def __post_init__(self) -> None:
        _limit("terminal_polls", self.terminal_polls, whole=True)
        _limit("horizon", self.horizon, whole=False)
        _limit("idle_calls", self.idle_calls, whole=True)

    @classmethod
    def off(cls) -> Liveness:
        """No liveness checks at all (a client may poll forever, as against the real API)."""
        return cls(terminal_polls=None, horizon=None, idle_calls=None)


def _ago(seconds: float) -> str:
    return f"{seconds:g} s"


class Watch:
    """The liveness state of one simulator (see the module docstring)."""

    __slots__ = ("_engine", "_idle_mark", "_idle_reads", "_polls", "_sources", "settings", "stuck")

    def __init__(self, settings: Liveness, engine: Engine) -> None:
        self.settings = settings
        self._engine = engine
        self._sources: list[tuple[Source, str]] = [(engine, "run")]  # (what keeps the numbers, what it calls a run)
        self._polls: dict[str, int] = {}  # ended run id -> retrieves since the first that showed it ended
        self._idle_mark = -1  # the engine's idle epoch the idle counter belongs to
        self._idle_reads = 0
        self.stuck: ClientStuck | None = None

    def join(self, source: Source, noun: str) -> None:
        """Watch the objects of another engine on the same clock too (``noun``: what messages call them)."""
        self._sources.append((source, noun))

    def retrieved(self, run: Any, source: Source | None = None) -> None:
        """A client retrieves ``run`` (of ``source``, default the engine): count it if it ended; raise if too often."""
        if self.stuck is not None:
            raise self.stuck
        src, noun = next((s for s in self._sources if s[0] is source), self._sources[0])
        limit = self.settings.terminal_polls
        if limit is not None and run.status in src.terminal:
            polls = self._polls.get(run.id, -1) + 1
            self._polls[run.id] = polls
            if polls > limit:
                self._raise_polled(run, polls, src.terminal, noun)
        self.read()

    def read(self) -> None:
        """A client reads something (a run, its steps, messages, a thread): raise if every run ended long ago."""
        if self.stuck is not None:
            raise self.stuck
        sources = self._sources
        if len(sources) == 1:  # the common case, without building lists on every read
            engine, noun = sources[0]
            if engine.active_runs or engine.last_ended is None:
                return
            epoch, since = engine.idle_epoch, engine.idle_since
        else:
            if any(src.active_runs for src, _ in sources):
                return
            ended = [(src.idle_since, i) for i, (src, _) in enumerate(sources) if src.last_ended is not None]
            if not ended:
                return
            since, last = max(ended)
            engine, noun = sources[last]
            epoch = sum(src.idle_epoch for src, _ in sources)  # grows whenever any of them goes idle
        if self._idle_mark != epoch:
            self._idle_mark = epoch
            self._idle_reads = 0
        self._idle_reads += 1
        s = self.settings
        idle_for = engine.clock.now - since
        too_long = s.horizon is not None and idle_for > s.horizon and self._idle_reads > (s.terminal_polls or 0)
        if too_long or (s.idle_calls is not None and self._idle_reads > s.idle_calls):
            self._raise_idle(engine.last_ended, idle_for, noun)

    def _raise_polled(self, run: Any, polls: int, terminal: frozenset[str], noun: str) -> None:
        since = run.history[-2]
        final = ", ".join(sorted(terminal))
        self.stuck = ClientStuck(
            f"{noun} {run.id} has been {run.status!r} since {_ago(since - run.created_at)} after it was created, "
            f"and the client retrieved it {polls} more times since it first saw that.\n"
            f"Likely bug: the loop does not treat {run.status!r} as final (a {noun} ends in one of: {final}).",
            reason="polled_after_end", run_id=run.id, status=run.status, since=since, polls=polls,
        )
        raise self.stuck

    def _raise_idle(self, run: Any, idle_for: float, noun: str) -> None:
        since = run.history[-2]
        self.stuck = ClientStuck(
            f"every {noun} has ended: the last, {run.id}, became {run.status!r} {_ago(since - run.created_at)} after "
            f"it was created; the client went on reading for {_ago(idle_for)} of simulated time "
            f"({self._idle_reads} calls) without starting another {noun}.\n"
            f"Likely bug: the loop waits for something a {noun} that ended {run.status!r} never produces "
            "(a reply, a status it does not check for).",
            reason="idle", run_id=run.id, status=run.status, since=since, polls=self._idle_reads,
        )
        raise self.stuck
