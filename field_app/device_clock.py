"""How the tablet reads the one clock (schemas/clock.py): made once at start with the services and
passed in; a test may pass fixed functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from schemas import clock


@dataclass(frozen=True)
class DeviceClock:
    stamp: Callable[[], str] = clock.utc_stamp          # RFC 3339 UTC, to the second (drafts, outbox)
    local_stamp: Callable[[], str] = clock.local_stamp  # with the device's offset (a record's signed_at)
    today: Callable[[], date] = clock.beijing_today     # the date on site (rectification deadlines)
