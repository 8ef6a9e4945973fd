"""The lifecycle as of a date: each object judged by the rules in force on the day it was created."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runfsm import spec
from runfsm.errors import SpecError
from runfsm.lifecycle import Lifecycle, as_of_day, day_seconds, periods, profile, profile_at
from runfsm.validate import Tracker, validate_paths, validate_trace

DATA = Path(__file__).parents[1] / "data" / "dated"
APRIL_27 = DATA / "2024-04-27_max_prompt_tokens.jsonl"  # run completed, with incomplete_details
APRIL_29 = DATA / "2024-04-29_max_prompt_tokens.jsonl"  # run incomplete, inside thread.run.completed
CHANGE = day_seconds("2024-04-29")


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _restamped(path: Path, shift: int) -> list[dict[str, Any]]:
    """The same stream with every timestamp moved by ``shift`` seconds."""
    out = []
    for rec in _records(path):
        data = rec["data"]
        if isinstance(data, dict):
            data = {k: (v + shift if k.endswith("_at") and isinstance(v, int) else v) for k, v in data.items()}
        out.append({"event": rec["event"], "data": data})
    return out


# -- the recorded shapes of late April 2024 ------------------------------------------------------

@pytest.mark.parametrize("version", spec.VERSIONS)
def test_april_27_out_of_tokens_run_completed_is_clean_on_its_day(version: str) -> None:
    report = validate_paths([APRIL_27], version=version)
    assert report.findings == []
    assert report.histories and list(report.histories.values()) == [["queued", "in_progress", "completed"]]
    assert report.periods == {"2024-04-17 to 2024-04-29": 1}


def test_april_27_shape_is_an_error_by_todays_rules() -> None:
    report = validate_paths([APRIL_27], as_of="2024-07-01")
    assert report.codes() == ["run.field.incomplete_details"]
    assert report.as_of == "2024-07-01"
    v1 = validate_paths([APRIL_27], version="v1", as_of=date(2024, 7, 1))
    assert "message.unknown_status" in v1.codes()  # today's v1 has no incomplete messages
    assert not v1.ok


def test_april_29_incomplete_inside_completed_event_is_clean_on_its_day() -> None:
    report = validate_paths([APRIL_29])
    assert report.findings == []
    assert list(report.histories.values()) == [["queued", "in_progress", "incomplete"]]
    assert report.periods == {"2024-04-29 to 2024-06-03": 1}
    today = validate_paths([APRIL_29], as_of="2024-06-03")
    assert today.codes() == ["stream.event_status"]


def test_one_log_with_both_days_names_both_periods() -> None:
    report = validate_paths([APRIL_27, APRIL_29])
    assert report.ok
    assert report.periods == {"2024-04-17 to 2024-04-29": 1, "2024-04-29 to 2024-06-03": 1}
    assert "(1 run), 2024-04-29 to 2024-06-03 (1 run)" in report.rules_applied


def test_todays_traffic_keeps_todays_rules() -> None:
    """The April shape, stamped in 2025, is judged by today's rules and is an error there."""
    shift = day_seconds("2025-03-01") - day_seconds("2024-04-27")
    report = validate_trace(_restamped(APRIL_27, shift))
    assert report.codes() == ["run.field.incomplete_details"]
    assert report.periods == {"from 2024-06-03": 1}
    assert report.rules_applied == ""  # today's rules go unsaid


def test_the_change_takes_effect_at_midnight_utc_to_the_second() -> None:
    """A run created one second before 2024-04-29 00:00 UTC is judged by the older rules, one at it by the newer."""
    base = _records(APRIL_27)[0]["data"]["created_at"]
    before = validate_trace(_restamped(APRIL_27, CHANGE - 1 - base))
    at = validate_trace(_restamped(APRIL_27, CHANGE - base))
    assert before.ok and before.periods == {"2024-04-17 to 2024-04-29": 1}
    assert at.codes() == ["run.field.incomplete_details"]
    assert at.periods == {"2024-04-29 to 2024-06-03": 1}
    base29 = _records(APRIL_29)[0]["data"]["created_at"]
    end = day_seconds("2024-06-03")
    assert validate_trace(_restamped(APRIL_29, end - 1 - base29)).ok
    assert validate_trace(_restamped(APRIL_29, end - base29)).codes() == ["stream.event_status"]


def test_a_stamp_before_the_version_existed_is_judged_by_todays_rules() -> None:
    """v2 began on 2024-04-17: a v2 object stamped earlier is synthetic, not a recording of an older API."""
    base = _records(APRIL_29)[0]["data"]["created_at"]
    for stamp in (1, day_seconds("2024-04-17") - 1):
        report = validate_trace(_restamped(APRIL_29, stamp - base))
        assert report.codes() == ["stream.event_status"]
        assert report.periods == {"from 2024-06-03": 1}


def test_a_runs_rules_are_fixed_when_it_is_first_seen() -> None:
    """Later snapshots of an April run are judged by April's rules, even one whose created_at was edited."""
    recs = _records(APRIL_27)
    final = recs[-2]["data"]
    assert final["status"] == "completed" and final["incomplete_details"] is not None
    t = Tracker()
    t.feed(dict(recs[0]["data"]))
    t.feed(dict(final, created_at=day_seconds("2025-01-01")))
    codes = t.report().codes()
    assert "run.immutable.created_at" in codes and "run.field.incomplete_details" not in codes
    fresh = Tracker()
    fresh.feed(dict(final, created_at=day_seconds("2025-01-01")))
    assert "run.field.incomplete_details" in fresh.report().codes()


# -- the compiled periods ------------------------------------------------------------------------

@pytest.mark.parametrize("version", spec.VERSIONS)
def test_periods_start_on_the_versions_first_day_and_tile_the_timeline(version: str) -> None:
    ps = periods(version)
    assert ps[0].period.start == spec.VERSION_FIRST_DAY[version]
    assert ps[-1].period.end is None and ps[-1] is profile(version)
    for a, b in itertools.pairwise(ps):
        assert a.period.end == b.period.start
    # adjacent periods differ (a date that changes nothing in a version is merged away)
    for a, b in itertools.pairwise(ps):
        assert (a.run.transitions, a.message.order, a.run.field_rules, a.event_aliases) != (
            b.run.transitions, b.message.order, b.run.field_rules, b.event_aliases)


@given(st.integers(-(2**37), 2**37), st.sampled_from(spec.VERSIONS))
def test_profile_at_picks_the_period_containing_the_second(seconds: int, version: str) -> None:
    p = profile_at(version, seconds)
    if seconds < day_seconds(spec.VERSION_FIRST_DAY[version]):
        assert p is profile(version)
        return
    assert p.period.start is not None and day_seconds(p.period.start) <= seconds
    assert p.period.end is None or seconds < day_seconds(p.period.end)
    assert p is profile(version, seconds)


def test_dated_rows_hold_exactly_in_their_periods() -> None:
    early, mid, today = periods("v2")
    assert [t.dest for t in early.run.transitions if t.trigger == "run_out_of_tokens"] == ["completed"]
    assert "incomplete" not in early.run.statuses and "thread.run.incomplete" not in early.event_names()
    for p in (mid, today):
        assert [t.dest for t in p.run.transitions if t.trigger == "run_out_of_tokens"] == ["incomplete"]
    assert mid.event_aliases == {"thread.run.completed": {"completed", "incomplete"}}
    assert today.event_aliases == {} and early.event_aliases == {}
    v1_before, v1_april, v1_today = periods("v1")
    assert "incomplete" in v1_april.message.statuses
    assert "incomplete" not in v1_before.message.statuses and "incomplete" not in v1_today.message.statuses


def test_as_of_reads_days_dates_datetimes_and_seconds() -> None:
    assert as_of_day("2024-04-27") == as_of_day(date(2024, 4, 27)) == "2024-04-27"
    assert as_of_day(datetime(2024, 4, 27, 23, 30, tzinfo=timezone.utc)) == "2024-04-27"
    assert as_of_day(day_seconds("2024-04-27") + 86399) == "2024-04-27"
    assert as_of_day(day_seconds("2024-04-28")) == "2024-04-28"
    for bad in ("2024-02-30", "yesterday", None, True, float("nan"), 10**400, "x" * 100):
        with pytest.raises(ValueError, match="as_of takes a day"):
            as_of_day(bad)
    with pytest.raises(ValueError, match="first served on 2024-04-17"):
        profile("v2", "2024-01-01")
    with pytest.raises(ValueError, match=r"Tracker\(as_of=...\)"):
        Tracker(as_of="soon")


@pytest.mark.parametrize(("held", "complaint"), [
    ("2024-13-01..", "not a YYYY-MM-DD date"),
    ("2024-05-01..2024-04-01", "ends (2024-04-01) before it starts"),
    ("2024-05-01", "is not START..END"),
    ("..", "open on both sides"),
    ("v3: 2024-05-01..", "unknown version 'v3'"),
])
def test_a_bad_held_range_is_refused_when_the_spec_is_compiled(held: str, complaint: str) -> None:
    rows = (spec.StatusRow("a", spec.ACTIVE), spec.StatusRow("b", spec.TERMINAL))
    edges = (spec.TransitionRow("go", "a", "b", "server", "doc", "test", "v1", held),)
    with pytest.raises(SpecError) as info:
        Lifecycle("thing", rows, "a", edges)
    assert complaint in str(info.value) and "transition go: a -> b" in str(info.value)


def test_dated_rows_are_listed_in_lifecycle_md_section_7() -> None:
    """Every row that held only for a while appears in the dated table with its dates and grade."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "LIFECYCLE.md").read_text(encoding="utf-8")
    section = doc[doc.index("## 7. API versions"):doc.index("\n## 8.")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and ".." in cells[0]:
            rows[cells[0].strip("`")] = cells
    dated = [(r.held, r.evidence if hasattr(r, "evidence") else "") for table in (
        spec.RUN_STATUSES, spec.RUN_TRANSITIONS, spec.RUN_FIELD_RULES, spec.MESSAGE_STATUSES,
        spec.MESSAGE_TRANSITIONS, spec.EVENT_ALIASES) for r in table if r.held]
    assert {h for h, _ in dated} == set(rows)
    for held, grade in dated:
        for g in grade.split():
            assert g in rows[held][3], (held, g)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_the_calendar_arithmetic_agrees_with_datetime(day: date) -> None:
    """runfsm counts days by hand (to keep datetime out of ``import runfsm``): it must agree everywhere."""
    seconds = (day.toordinal() - date(1970, 1, 1).toordinal()) * 86400
    assert day_seconds(day.isoformat()) == seconds
    assert as_of_day(seconds) == as_of_day(seconds + 86399) == as_of_day(day) == day.isoformat()


def test_a_time_of_day_or_an_impossible_day_is_no_day() -> None:
    from datetime import time

    for bad in (time(12), "2023-02-29", "2024-00-10", "0000-01-01", -62135596801, 253402300800):
        with pytest.raises(ValueError, match="as_of takes a day"):
            as_of_day(bad)
    assert as_of_day("2024-02-29") == "2024-02-29" and as_of_day(-62135596800) == "0001-01-01"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_cli_as_of_judges_by_that_day_in_one_process_or_several(jobs: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from runfsm import _cli as cli

    assert cli.main(["validate", "--jobs", jobs, str(APRIL_27)]) == 0
    assert "rules in force 2024-04-17 to 2024-04-29" in capsys.readouterr().out
    assert cli.main(["validate", "--jobs", jobs, "--as-of", "2024-07-01", str(APRIL_27)]) == 1
    out = capsys.readouterr().out
    assert "run.field.incomplete_details" in out and "rules as of 2024-07-01" in out
