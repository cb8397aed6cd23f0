"""Wall-clock time as the API writes it: RFC 3339, UTC, milliseconds."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utc_now() -> str:
    return format_time(datetime.now(timezone.utc))


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def hours_from_now(hours: int) -> str:
    return format_time(datetime.now(timezone.utc) + timedelta(hours=hours))
