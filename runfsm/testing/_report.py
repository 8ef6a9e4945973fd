"""What a check found: one :class:`Outcome` per behaviour, gathered in a :class:`ClientReport`.

Everything printed is short and escaped: statuses with their simulated times,
the client's calls with repeats folded (``x12``), the stream events it read,
and the one line that says what went wrong.  Never a wire dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._catalogue import Behaviour

__all__ = ["FAILING", "VERDICTS", "ClientReport", "Outcome"]

OK, STUCK, REFUSED, CRASHED, ABANDONED, UNEXPECTED, SKIPPED = (
    "ok", "stuck", "refused", "crashed", "abandoned", "unexpected", "skipped")
VERDICTS = (OK, STUCK, REFUSED, CRASHED, ABANDONED, UNEXPECTED, SKIPPED)
"""Every verdict, most serious first after ``ok``."""
FAILING = frozenset((STUCK, REFUSED, CRASHED, ABANDONED, UNEXPECTED))

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(text: str, limit: int = 300) -> str:
    """``text`` with control characters and lone surrogates escaped, cut to ``limit`` characters."""
    out = _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)
    return out if len(out) <= limit else out[: limit - 3] + "..."


def fold(items: Iterable[str]) -> list[str]:
    """Consecutive repeats folded into one item with a count: ``["a", "b x3"]``."""
    out: list[tuple[str, int]] = []
    for item in items:
        if out and out[-1][0] == item:
            out[-1] = (item, out[-1][1] + 1)
        else:
            out.append((item, 1))
    return [f"{item} x{n}" if n > 1 else item for item, n in out]


def _short(items: list[str], keep: int = 12) -> str:
    if len(items) <= keep:
        return "; ".join(items)
    head, tail = items[: keep // 2], items[-keep // 2:]
    return "; ".join([*head, f"... {len(items) - keep} more ...", *tail])


@dataclass
class Outcome:
    """How the client fared under one behaviour.

    ``runs``: run id -> ``[(seconds since the check began, status), ...]``;
    ``calls``: the requests the client made, as short strings (ids replaced by
    ``{thread}``, ``run1``, ...); ``events``: the stream events it read;
    ``returned``: what the function returned; ``error``: what it raised (or the
    :class:`~runfsm.errors.ClientStuck` that stopped it); ``detail``: what went
    wrong, in full; ``headline``: the same in a few words, for tables.
    """

    behaviour: Behaviour
    verdict: str
    detail: str = ""
    headline: str = ""
    returned: Any = None
    error: BaseException | None = None
    runs: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    noun: str = "run"  # what the protocol calls the objects in ``runs``

    @property
    def ok(self) -> bool:
        """True unless the verdict is one that fails a test (``skipped`` does not)."""
        return self.verdict not in FAILING

    def history(self, run: int | str = 0) -> list[str]:
        """The statuses of a run (by id, or by creation order: 0 is the first) in order."""
        key = run if isinstance(run, str) else list(self.runs)[run]
        return [status for _, status in self.runs[key]]

    def summary(self) -> str:
        """One line: verdict, behaviour and what happened."""
        return f"{self.verdict:<10} {self.behaviour.name}" + (f": {clean(self.detail, 160)}" if self.detail else "")

    def __str__(self) -> str:
        lines = [f"{self.verdict}: {self.behaviour.name} ({self.behaviour.description})"]
        for i, (run_id, history) in enumerate(self.runs.items(), 1):
            path = ", ".join(f"{status} +{t:g}s" for t, status in history)
            lines.append(f"  {self.noun}{i} ({clean(run_id, 40)}): {path}")
        if self.calls:
            lines.append(f"  calls ({len(self.calls)}): {_short(fold(self.calls))}")
        if self.events:
            lines.append(f"  events read ({len(self.events)}): {_short(fold(self.events))}")
        for note in self.notes:
            lines.append(f"  note: {clean(note)}")
        if self.detail:
            for i, line in enumerate(self.detail.splitlines()):
                lines.append(("  => " if i == 0 else "     ") + clean(line))
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary (no wire objects)."""
        return {
            "behaviour": self.behaviour.name,
            "description": self.behaviour.description,
            "verdict": self.verdict,
            "detail": self.detail,
            "returned": clean(repr(self.returned), 200),
            "error": None if self.error is None else f"{type(self.error).__name__}: {self.error}",
            "runs": {run_id: [[t, s] for t, s in h] for run_id, h in self.runs.items()},
            "calls": fold(self.calls),
            "events": fold(self.events),
            "notes": list(self.notes),
        }


@dataclass
class ClientReport:
    """Every outcome of one check, in catalogue order."""

    target: str
    outcomes: Sequence[Outcome]
    settings: str = ""

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def __getitem__(self, name: str) -> Outcome:
        for o in self.outcomes:
            if o.behaviour.name == name:
                return o
        raise KeyError(f"no behaviour named {name!r}; known: {', '.join(o.behaviour.name for o in self.outcomes)}")

    def verdicts(self) -> dict[str, str]:
        """Behaviour name -> verdict."""
        return {o.behaviour.name: o.verdict for o in self.outcomes}

    def counts(self) -> str:
        tally: dict[str, int] = {}
        for o in self.outcomes:
            tally[o.verdict] = tally.get(o.verdict, 0) + 1
        return ", ".join(f"{tally[v]} {v}" for v in VERDICTS if v in tally)

    def table(self) -> str:
        """One line per behaviour, then the details of each failing one."""
        width = max((len(o.behaviour.name) for o in self.outcomes), default=10)
        lines = [f"{clean(self.target)}: {len(self.outcomes)} behaviours{f' ({self.settings})' if self.settings else ''}"]
        for o in self.outcomes:
            first = clean(o.headline or (o.detail.splitlines()[0] if o.detail else ""), 100)
            lines.append(f"  {o.behaviour.name:<{width}}  {o.verdict:<10} {first}".rstrip())
        lines.append(self.counts())
        for o in self.failures:
            lines += ["", str(o)]
        return "\n".join(lines)

    __str__ = table

    def as_json(self) -> str:
        return json.dumps({"target": self.target, "settings": self.settings, "ok": self.ok,
                           "outcomes": [o.as_json() for o in self.outcomes]}, ensure_ascii=True, indent=1)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` with the table and every failure's details unless every behaviour passed."""
        if not self.ok:
            raise AssertionError(self.table())
