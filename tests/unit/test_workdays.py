"""Deadlines in working days on real official calendars (from the chinesecalendar package's data)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from chinese_calendar import constants
from hypothesis import given, strategies as st

from sync_server.disclosure.core.workdays import Calendar, NoticeError, parse_notice

OFFICIAL = Calendar({**{d: False for d in constants.holidays}, **{d: True for d in constants.workdays}},
                    frozenset(range(2004, 2027)))


def test_national_day_2025_with_its_swapped_weekend_days() -> None:
    assert OFFICIAL.is_workday(date(2025, 9, 28)) and OFFICIAL.is_workday(date(2025, 10, 11))  # Sun, Sat
    assert not any(OFFICIAL.is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert OFFICIAL.add(date(2025, 9, 26), 20) == OFFICIAL.add(date(2025, 9, 26), 20)
    assert OFFICIAL.add(date(2025, 9, 26), 20).day == date(2025, 10, 30)


def test_spring_festival_2024() -> None:
    assert OFFICIAL.is_workday(date(2024, 2, 4)) and OFFICIAL.is_workday(date(2024, 2, 18))  # both Sundays
    assert not any(OFFICIAL.is_workday(date(2024, 2, d)) for d in range(10, 18))
    assert OFFICIAL.add(date(2024, 2, 8), 1).day == date(2024, 2, 9)
    assert OFFICIAL.add(date(2024, 2, 9), 1).day == date(2024, 2, 18), "the holiday week is skipped"


def test_penalty_7_days_and_the_2026_calendar() -> None:
    # 2026: Mid-Autumn 9-25..27 and National Day 10-01..07 off; Saturday 10-10 a swapped working day.
    # From 9-25: 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (Sat), 10-12 -> the 7th working day.
    deadline = OFFICIAL.add(date(2026, 9, 25), 7)
    assert deadline.day == date(2026, 10, 12) and not deadline.provisional


def test_a_year_boundary_into_an_unannounced_year_is_provisional() -> None:
    deadline = OFFICIAL.add(date(2026, 12, 20), 20)
    assert (deadline.day, deadline.provisional, deadline.unofficial_years) == (date(2027, 1, 15), True, (2027,))


def test_zero_days_and_fridays() -> None:
    assert OFFICIAL.add(date(2026, 11, 20), 0).day == date(2026, 11, 20)
    assert OFFICIAL.add(date(2026, 11, 20), 1).day == date(2026, 11, 23)


days = st.dates(date(2005, 1, 1), date(2026, 6, 30))


@given(days, st.integers(0, 60), st.integers(0, 60))
def test_counting_adds_up(start: date, a: int, b: int) -> None:
    once = OFFICIAL.add(start, a + b).day
    assert OFFICIAL.add(OFFICIAL.add(start, a).day, b).day == once
    if a + b:
        assert OFFICIAL.is_workday(once)
        assert once > OFFICIAL.add(start, a + b - 1).day


NOTICE = """# 示例格式（并非真实的 2027 年安排）
2027-01-01,休,元旦
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-13,班,春节调休
"""


def test_a_notice_makes_its_year_official() -> None:
    year, entries = parse_notice(NOTICE)
    assert year == 2027 and len(entries) == 4
    loaded = Calendar({e.day: e.is_workday for e in entries}, frozenset({2026, 2027}))
    assert loaded.is_workday(date(2027, 2, 13)) and not loaded.is_workday(date(2027, 1, 1))
    assert not loaded.add(date(2026, 12, 30), 5).provisional


@pytest.mark.parametrize("text,code", [
    ("2027-01-01,休,元旦\n2027-01-01,班,元旦", "calendar.duplicate_day"),
    ("2027-01-04,班,周一调休", "calendar.not_a_weekend"),
    ("2027-01-01,休,元旦\n2028-01-01,休,元旦", "calendar.years"),
    ("# nothing", "calendar.years"),
    ("2027/01/01 休", "calendar.bad_line"),
    ("2027-02-30,休,x", "calendar.bad_date"),
])
def test_contradictions_are_refused(text: str, code: str) -> None:
    with pytest.raises(NoticeError) as caught:
        parse_notice(text)
    assert caught.value.code == code and caught.value.message_zh


def test_sanity_of_the_reference_data() -> None:
    assert date(2026, 1, 1) in constants.holidays and date(2026, 10, 10) in constants.workdays
    assert (date(2026, 10, 10) - date(2026, 10, 3)) == timedelta(days=7)
