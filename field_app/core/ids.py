"""UUIDv7 (RFC 9562): time-ordered ids made on the device, no coordination needed."""
from __future__ import annotations

import os
import uuid

from schemas import clock


def uuid7(now_ms: int | None = None) -> str:
    ms = clock.now_ms() if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))
