"""When a device's last sync is written down (pure): at most once a minute per device, so an
authenticated request costs a write only when the stored time is a minute old or more."""
from __future__ import annotations

from datetime import datetime, timedelta

EVERY = timedelta(minutes=1)


def due(last_seen_at: str | None, now: str) -> bool:
    """Whether a request at `now` should record itself (RFC 3339 stamps, as the clock writes them)."""
    if last_seen_at is None:
        return True
    return datetime.fromisoformat(now.replace("Z", "+00:00")) - \
        datetime.fromisoformat(last_seen_at.replace("Z", "+00:00")) >= EVERY
