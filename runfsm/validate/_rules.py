"""The rules a tracker judges by: what it compiles from one profile, and which period's rules apply when.

An object is judged by the rules in force on the day of its ``created_at``
(LIFECYCLE.md section 7) unless the tracker fixes one day or one model; each
period's rules are compiled once, when first needed.
"""

from __future__ import annotations

from ..lifecycle import Period, Profile, profile_at
from ._checks import STARTED_AT, Anchors, ObjectChecks

__all__ = ["RuleBook", "Rules"]


class Rules:
    """What the tracker compiles from one profile: one API version's rules over one period."""

    __slots__ = ("aliases", "anchors", "checks", "msg_lc", "profile", "rc", "run_lc", "run_stop", "started_rule",
                 "step_ends_with_run", "step_lc")

    def __init__(self, prof: Profile) -> None:
        self.profile = prof
        self.run_lc, self.step_lc, self.msg_lc = prof.run, prof.run_step, prof.message
        self.checks = {k: ObjectChecks(prof, k) for k in ("run", "run_step", "message")}
        self.rc = self.checks["run"]
        self.anchors = anchors = Anchors(prof)
        self.aliases = prof.event_aliases  # event name -> statuses it may carry besides its own
        self.run_stop = prof.run.stops
        # run end statuses a step is documented to end with (completes before; expires with)
        self.step_ends_with_run = anchors.ordered_end["run_step"] | (
            {anchors.run_clock_end} if anchors.run_clock_end else set())
        self.started_rule = frozenset(s for s, (must_set, _) in self.rc.rules.items() if STARTED_AT in must_set)


class RuleBook:
    """The rules of every period of one version, compiled when first needed.

    ``dated`` is False when one profile judges everything (a fixed day or model)."""

    __slots__ = ("default", "rules", "today_from", "version")

    def __init__(self, prof: Profile, version: str, dated: bool) -> None:
        self.version = version
        self.rules: dict[Period, Rules] = {}
        self.default = self.of(prof)
        self.today_from = prof.period.start_seconds if dated else None

    def of(self, prof: Profile) -> Rules:
        rules = self.rules.get(prof.period)
        if rules is None:
            rules = self.rules[prof.period] = Rules(prof)
        return rules

    def at(self, created: object) -> Rules:
        """The rules for an object created at ``created`` (Unix seconds)."""
        today = self.today_from
        if (today is None or created.__class__ not in (int, float) or created >= today
                or created != created):  # NaN
            return self.default
        return self.of(profile_at(self.version, created))
