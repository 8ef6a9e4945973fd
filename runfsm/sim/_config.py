"""Simulator settings: timing, which inferred edges it may take, and what it records."""

from __future__ import annotations

from dataclasses import dataclass

from .. import spec
from ._clock import MAX_TIME
from ._errors import ConfigError, describe

__all__ = ["SimConfig"]


def _seconds(name: str, value: object, *, positive: bool = False) -> None:
    # A comparison, not math.isfinite: that overflows on a huge int; NaN fails it too.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -MAX_TIME <= value <= MAX_TIME:
        raise ConfigError(f"SimConfig.{name} must be a number of seconds, got {describe(value)}")
    if value < 0 or (positive and value == 0):
        raise ConfigError(f"SimConfig.{name} must be {'positive' if positive else '>= 0'}, got {describe(value)}")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How the simulated server behaves.

    Timing (seconds of simulated time):

    * ``queue_latency``: from ``queued`` to ``in_progress`` (after create and after each submit).
    * ``deadline``: ``expires_at = created_at + deadline``; a run still active then expires.
    * ``cancel_delay``: from ``cancelling`` to ``cancelled`` (so ``cancelling`` is observable).

    Uncertain behaviour (LIFECYCLE.md grades it ``inferred``), off by default (strict):

    * ``inferred``: the simulator may take the spec's inferred edges: cancel a run that is
      ``queued`` or ``requires_action``, fail or expire a run in the queue
      (:class:`~runfsm.sim.Fail` ``in_queue``, :class:`~runfsm.sim.QueueStall`).  Without it,
      asking for one raises :class:`~runfsm.IllegalTransition`.
    * ``cancel_race``: (needs ``inferred``) a cancel does not stop the model; if the run
      completes, fails or expires before ``cancel_delay`` has passed, the cancel loses.
    * ``keep_deadline_when_ended``: keep ``expires_at`` on runs that ended other than
      ``completed`` (the recordings only show it null on completed runs; the spec's
      disputed rule, and this default, null it on every terminal status).

    Output: ``delta_chars`` characters per streamed text delta; ``trace=False`` stops
    recording ``Simulator.trace`` (for large simulations).
    """

    queue_latency: float = 1
    deadline: int = spec.RUN_DEADLINE_SECONDS
    cancel_delay: float = 1
    inferred: bool = False
    cancel_race: bool = False
    keep_deadline_when_ended: bool = False
    delta_chars: int = 8
    trace: bool = True

    def __post_init__(self) -> None:
        _seconds("queue_latency", self.queue_latency)
        _seconds("cancel_delay", self.cancel_delay)
        if isinstance(self.deadline, bool) or not isinstance(self.deadline, int) or not 0 < self.deadline <= MAX_TIME:
            raise ConfigError(f"SimConfig.deadline must be a positive whole number of seconds, got {describe(self.deadline)}")
        if isinstance(self.delta_chars, bool) or not isinstance(self.delta_chars, int) or self.delta_chars < 1:
            raise ConfigError(f"SimConfig.delta_chars must be a positive int, got {describe(self.delta_chars)}")
        for name in ("inferred", "cancel_race", "keep_deadline_when_ended", "trace"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"SimConfig.{name} must be true or false, got {describe(getattr(self, name))}")
        if self.cancel_race and not self.inferred:
            raise ConfigError(
                "SimConfig.cancel_race needs inferred=True: a cancel that loses the race moves the run "
                "from cancelling to completed/failed/expired, which the spec grades inferred"
            )
