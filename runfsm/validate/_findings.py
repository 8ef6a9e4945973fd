"""What the validator reports: :class:`Finding`, :class:`Report` and :class:`InputError`.

A finding is one observation about the input: a broken rule, a transition the
lifecycle does not allow, an event out of order, or input that could not be
read.  Every finding has a stable dotted ``code``, a ``severity`` and one
sentence a person understands, plus where it was seen (file and line, or the
position in the fed sequence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import InputError
from ..spec import DEFAULT_VERSION

__all__ = ["ERROR", "INFO", "SEVERITIES", "WARNING", "Finding", "InputError", "Report"]

ERROR = "error"
"""A rule the sources agree on is broken: the input is wrong."""
WARNING = "warning"
"""A rule the sources disagree on is broken, or something unusual but tolerated happened."""
INFO = "info"
"""Accepted, but worth knowing (for instance an inferred transition in tolerant mode)."""
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the validator noticed.

    ``code`` is stable and dotted (``"run.illegal_transition"``,
    ``"run.field.required_action"``, ``"input.json"``); ``rule`` is the spec's
    :class:`~runfsm.spec.FieldRule` code when the finding comes from a field
    rule.  ``index`` is the position of the record or event in the fed
    sequence (0-based); ``source`` and ``line`` (1-based) say where it was read.
    """

    code: str
    severity: str
    message: str
    object_id: str | None = None
    kind: str | None = None
    source: str | None = None
    line: int | None = None
    index: int | None = None
    rule: str | None = None

    @property
    def where(self) -> str:
        """``file:line``, ``file``, ``line N`` or ``#index``: where the finding was seen."""
        if self.source is not None:
            return f"{self.source}:{self.line}" if self.line is not None else self.source
        if self.line is not None:
            return f"line {self.line}"
        return f"#{self.index}" if self.index is not None else "-"

    def to_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict."""
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.severity} {self.code}: {self.message}"


@dataclass
class Report:
    """The result of checking a whole trace or set of files.

    ``histories`` maps each run id to its observed statuses (consecutive repeats
    collapsed); ``transitions`` maps it to the observed moves
    ``(source, dest, legal)`` in order; ``unknown_statuses`` maps a run id to the
    statuses the lifecycle does not know that it was seen in, with counts.
    """

    findings: list[Finding] = field(default_factory=list)
    histories: dict[str, list[str]] = field(default_factory=dict)
    transitions: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    strict: bool = False
    version: str = DEFAULT_VERSION
    unknown_statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    #: runs judged by the rules of each period (its label, e.g. ``"from 2024-06-03"``), in the order first used
    periods: dict[str, int] = field(default_factory=dict)
    #: the day every object was judged as of, or None (each by its own created_at)
    as_of: str | None = None

    def add_periods(self, periods: Mapping[str, int]) -> None:
        """Count more runs judged per period (merging reports)."""
        for label, n in periods.items():
            self.periods[label] = self.periods.get(label, 0) + n

    @property
    def rules_applied(self) -> str:
        """Which period's rules judged the runs, in a few words; empty when all were today's."""
        if self.as_of is not None:
            return f"rules as of {self.as_of}"
        if all(label.startswith("from ") for label in self.periods):  # today's period is the open one
            return ""
        if len(self.periods) == 1:
            return f"rules in force {next(iter(self.periods))}"
        return "rules in force " + ", ".join(f"{label} ({n} run{'s' if n != 1 else ''})"
                                             for label, n in self.periods.items())

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity ``error`` (input errors included)."""
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Findings of severity ``warning``."""
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def infos(self) -> list[Finding]:
        """Findings of severity ``info``."""
        return [f for f in self.findings if f.severity == INFO]

    @property
    def input_errors(self) -> list[Finding]:
        """Findings about unreadable input (code ``input.*``)."""
        return [f for f in self.findings if f.code.startswith("input.")]

    @property
    def ok(self) -> bool:
        """True when there is no ``error`` finding."""
        return not any(f.severity == ERROR for f in self.findings)

    def codes(self) -> list[str]:
        """The codes of all findings, in order (handy in tests)."""
        return [f.code for f in self.findings]

    def counts(self) -> dict[str, int]:
        """Number of findings per severity, plus ``input`` for unreadable input."""
        out = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        out["input"] = len(self.input_errors)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "version": self.version,
            "as_of": self.as_of,
            "periods": self.periods,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "histories": self.histories,
            "transitions": {k: [list(t) for t in v] for k, v in self.transitions.items()},
        }

    @classmethod
    def build(
        cls,
        findings: Iterable[Finding],
        histories: Mapping[str, list[str]],
        transitions: Mapping[str, list[tuple[str, str, bool]]],
        *,
        strict: bool,
        version: str,
    ) -> Report:
        """Assemble a report (used by the one-shot functions)."""
        return cls(list(findings), dict(histories), dict(transitions), strict, version)
