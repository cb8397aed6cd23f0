"""The official working-day calendar: years from the maintained `chinesecalendar` package, and
a year's State Council notice loaded from a small file when it is published (docs/CALENDAR.md).

Loading a notice returns its year; the disclosure service (`load_calendar_notice`) then counts the
list's provisional due dates again on the official calendar. This module imports nothing of it.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sync_server.audit import service as audit
from schemas.clock import utc_now
from sync_server.db import Connection
from sync_server.disclosure.core.workdays import Calendar, NoticeDay, NoticeError, parse_notice
from sync_server.errors import BadRequest
from sync_server.disclosure.queries import calendar as q

PACKAGE = "chinesecalendar 1.11.0"


def load_package_years(conn: Connection) -> list[int]:
    """Years the package covers (holidays and swapped working days), unless a notice replaced them."""
    from chinese_calendar import constants

    loaded = {row["year"] for row in q.list_years(conn)}
    years = sorted({d.year for d in constants.holidays} - loaded)
    now = utc_now()
    for year in years:
        days = [(d.isoformat(), 0, str(constants.holidays[d])) for d in constants.holidays if d.year == year]
        days += [(d.isoformat(), 1, str(constants.workdays[d])) for d in constants.workdays if d.year == year]
        q.replace_year(conn, year, days, PACKAGE, now)
    return years


def parse(text: str) -> tuple[int, list[NoticeDay]]:
    """A notice's year and days, or BadRequest with the reason in Chinese (line and date)."""
    try:
        return parse_notice(text)
    except NoticeError as exc:
        raise BadRequest(exc.code, str(exc), exc.message_zh) from exc


def load_notice(conn: Connection, text: str, source: str, by: str | None = None) -> int:
    """Load a year's notice; on a calendar never used before, the package's years first (else a
    notice loaded first would leave them unofficial: `official` loads them only when none is)."""
    year, days = parse(text)
    if not q.list_years(conn):
        load_package_years(conn)
    now = utc_now()
    q.replace_year(conn, year, [(d.day.isoformat(), int(d.is_workday), d.name) for d in days], source, now)
    audit.append(conn, "calendar.loaded", str(year), now, source=source, days=len(days), **({"by": by} if by else {}))
    return year


def loaded_years(conn: Connection) -> list[dict[str, Any]]:
    """The years whose official arrangement is loaded, with their source and when."""
    return [dict(r) for r in q.list_years(conn)]


def current(conn: Connection) -> Calendar:
    """The calendar as deadlines would be counted now, read only: the package's years stand in
    when nothing is loaded yet (they are written on first use, see `official`)."""
    calendar = calendar_from_db(conn)
    if calendar.official_years:
        return calendar
    from chinese_calendar import constants

    days = {**{d: False for d in constants.holidays}, **{d: True for d in constants.workdays}}
    return Calendar(days, frozenset(d.year for d in constants.holidays))


def official(conn: Connection) -> Calendar:
    """The calendar for deadlines, inside a write transaction: the package's years are loaded on
    first use."""
    if not q.list_years(conn):
        load_package_years(conn)
    return calendar_from_db(conn)


def calendar_from_db(conn: Connection) -> Calendar:
    return Calendar({date.fromisoformat(r["day"]): bool(r["is_workday"]) for r in q.list_days(conn)},
                    frozenset(r["year"] for r in q.list_years(conn)))
