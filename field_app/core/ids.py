"""UUIDv7 (RFC 9562): time-ordered ids made on the device, no coordination needed (pure: the time
and the random bits are arguments; `field_app/ids.py` reads the clock and the system's randomness)."""
from __future__ import annotations

import uuid


def uuid7(now_ms: int, random10: bytes) -> str:
    """The UUIDv7 for a Unix time in milliseconds and 10 random bytes."""
    rand = int.from_bytes(random10, "big")
    value = (now_ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | (rand & (2**62 - 1))
    return str(uuid.UUID(int=value))
