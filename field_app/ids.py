"""New ids on the device: the pure UUIDv7 rule (`core/ids.py`) fed by the one clock and the
system's randomness."""
from __future__ import annotations

import os

from field_app.core import ids
from schemas import clock


def uuid7(now_ms: int | None = None) -> str:
    """A fresh UUIDv7, at `now_ms` (milliseconds since the epoch) or now on the installed clock."""
    return ids.uuid7(clock.now_ms() if now_ms is None else now_ms, os.urandom(10))
