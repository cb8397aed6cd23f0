"""Dates for tests, taken from the suite's clock (tests/conftest.py), never from the day a test was
written; and an oracle for working days that is independent of the code under test.

The oracle reads the `chinesecalendar` package's tables directly (the official holidays and the
swapped working days it ships) and counts weekends alone in the years it does not cover, which is
the rule of DOMAIN.md; sync_server/disclosure/core/workdays.py and workcalendar.py are not used here.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from chinese_calendar import constants

from schemas import clock

BEIJING = timezone(timedelta(hours=8))
KNOWN_YEARS = frozenset(d.year for d in constants.holidays)


def today() -> date:
    """Today in Beijing on the suite's clock."""
    return clock.beijing_today()


def days_from_today(n: int) -> date:
    return today() + timedelta(days=n)


def stamp(day: date, hour: int = 10, minute: int = 0) -> str:
    """An RFC 3339 UTC time at `hour:minute` Beijing time on `day` (the form the tablet writes)."""
    moment = datetime.combine(day, time(hour, minute), BEIJING)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_stamp() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def is_workday(day: date) -> bool:
    if day in constants.workdays:
        return True
    if day in constants.holidays:
        return False
    return day.weekday() < 5


def workdays_after(start: date, n: int) -> date:
    """The n-th working day after `start` (start itself is day 0)."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_workday(day)
    return day


def provisional(start: date, end: date) -> bool:
    """Whether counting from `start` to `end` crosses a year the package's tables do not cover."""
    return any(year not in KNOWN_YEARS for year in range(start.year, end.year + 1))


def inspection_day() -> date:
    """The day the tests' inspections took place: three days before today."""
    return days_from_today(-3)
