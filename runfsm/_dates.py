"""Days and periods: the calendar arithmetic behind dated rows (``held``), by hand.

Importing ``datetime`` would cost a third of ``import runfsm``, so days are counted here; a
property test holds this arithmetic against ``datetime`` for every day from year 1 to 9999.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from . import spec

__all__ = ["ALL_DATES", "Period", "as_of_day", "day_seconds", "parse_held"]

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


# Calendar arithmetic by hand: importing datetime would cost a third of ``import runfsm``.
def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> str:
    """The ISO day ``z`` days after 1970-01-01."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (m <= 2)
    return f"{y:04d}-{m:02d}-{d:02d}"


class Period(NamedTuple):
    """The days ``[start, end)`` (UTC, ISO dates) over which one set of rules held; ``None`` is open."""

    start: str | None
    end: str | None

    @property
    def label(self) -> str:
        """``"2024-04-29 to 2024-06-03"``, ``"before 2024-04-29"``, ``"from 2024-06-03"`` or ``"all dates"``."""
        if self.start is None:
            return f"before {self.end}" if self.end is not None else "all dates"
        return f"from {self.start}" if self.end is None else f"{self.start} to {self.end}"

    @property
    def start_seconds(self) -> float:
        """The start as Unix seconds (minus infinity when open)."""
        return float("-inf") if self.start is None else day_seconds(self.start)


ALL_DATES = Period(None, None)


def day_seconds(day: str) -> int:
    """Unix seconds at 00:00 UTC of the ISO ``day``."""
    return _days_from_civil(int(day[:4]), int(day[5:7]), int(day[8:10])) * 86400


def parse_held(held: str, versions: Sequence[str] = spec.VERSIONS) -> tuple[str | None, str | None, str | None]:
    """``"[version: ]START..END"`` -> (version it restricts or None, start or None, end or None).

    Raises :class:`ValueError` naming what is wrong."""
    version: str | None = None
    text = held.strip()
    if not text:
        return None, None, None
    if ":" in text:
        version, _, text = (part.strip() for part in text.partition(":"))
        if version not in versions:
            raise ValueError(f"names unknown version {version!r} (known: {', '.join(versions)})")
    start, dots, end = text.partition("..")
    if not dots:
        raise ValueError("is not START..END (either side may be empty)")
    for day in (start, end):
        if day and (not _DAY.fullmatch(day) or not _valid_day(day)):
            raise ValueError(f"has {day!r}, not a YYYY-MM-DD date")
    if start and end and start >= end:
        raise ValueError(f"ends ({end}) before it starts ({start})")
    if not start and not end:
        raise ValueError("is open on both sides: leave it empty instead")
    return version, start or None, end or None


def _valid_day(day: str) -> bool:
    try:
        y, m, d = int(day[:4]), int(day[5:7]), int(day[8:10])
        if not (y >= 1 and 1 <= m <= 12 and 1 <= d <= 31) or _civil_from_days(_days_from_civil(y, m, d)) != day:
            raise ValueError(day)
    except ValueError:
        return False
    return True


def _holds(since: str, held: str, version: str, period: Period, versions: Sequence[str] = spec.VERSIONS) -> bool:
    """Is a row (introduced in ``since``, held over ``held``) in force in ``version`` over ``period``?"""
    if versions.index(since) > versions.index(version):
        return False
    if not held:
        return True
    only, start, end = parse_held(held, versions)
    if only is not None and only != version:
        return True
    return ((start is None or (period.start is not None and period.start >= start))
            and (end is None or (period.end is not None and period.end <= end)))


def _boundaries(helds: Iterable[str], version: str, versions: Sequence[str] = spec.VERSIONS) -> list[str]:
    days: set[str] = set()
    for held in helds:
        if held:
            only, start, end = parse_held(held, versions)
            if only is None or only == version:
                days.update(d for d in (start, end) if d is not None)
    return sorted(days)


def _periods_of(days: Sequence[str]) -> list[Period]:
    edges: list[str | None] = [None, *days, None]
    return [Period(a, b) for a, b in itertools.pairwise(edges)]


# NamedTuples, not dataclasses: importing dataclasses (and inspect) would double


def as_of_day(value: object) -> str:
    """An ISO day from ``"2024-04-27"``, a :class:`datetime.date` or datetime, or Unix seconds.

    Raises :class:`ValueError` naming what it cannot read."""
    if type(value).__module__ == "datetime":  # the caller has imported datetime already
        import datetime as dt

        if isinstance(value, dt.datetime):
            return (value if value.tzinfo is None else value.astimezone(dt.timezone.utc)).date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
    if isinstance(value, str) and _DAY.fullmatch(value.strip()) and _valid_day(value.strip()):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 2**53:
        day = _civil_from_days(int(value // 86400))
        if len(day) == 10 and day[0] != "-" and day[:4] != "0000":  # years 1 to 9999, as days are written
            return day
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise ValueError(f"as_of takes a day as YYYY-MM-DD, a date or Unix seconds, not {shown}")
