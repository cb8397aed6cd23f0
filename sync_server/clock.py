"""Wall-clock time as the API writes it: RFC 3339, UTC, milliseconds, on the product's one clock
(`schemas.clock`: real time, or moved by the SUIJIAN_CLOCK setting)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schemas import clock


def utc_now() -> str:
    return format_time(clock.now())


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def hours_from_now(hours: int) -> str:
    return format_time(clock.now() + timedelta(hours=hours))
