"""A device's last sync, written beside the request instead of inside it.

`device_of` used to write a device's last sync in its own transaction before answering, once a
minute per device: on a province's platform, where each of thousands of tablets syncs a few
times a day, that is almost every pull, and each such GET waited for the single writer (behind
the pushes' transactions) and a commit's fsync — it doubled the feed's median and quadrupled
its p90 (docs/BENCHMARKS.md, "Open-loop load"). Now a device's first sync after enrollment is
still written before the answer (the office sees at once that a new tablet works); later ones
are noted here and written by one transaction for every device noted meanwhile, queued on the
writer at once and not awaited. A stamp noted but not yet written when the process ends is
written at shutdown (`flush`); one lost to a crash is a "last sync" a minute old, nothing more.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from sync_server.accounts.queries import users as q
from sync_server.db import Connection

log = logging.getLogger("sync_server.last_seen")


class LastSeen:
    """Devices seen and not yet written, per database; at most one write in flight per database."""

    def __init__(self) -> None:
        self.pending: dict[Any, dict[str, str]] = {}
        self.writing: dict[Any, asyncio.Task[None]] = {}

    def note(self, db: Any, device_id: str, now: str) -> None:
        self.pending.setdefault(db, {})[device_id] = now
        if db not in self.writing:
            self.writing[db] = asyncio.get_running_loop().create_task(self._write(db))

    async def _write(self, db: Any) -> None:
        try:
            while self.pending.get(db):
                stamps = self.pending.pop(db)
                try:
                    await db.write(write_stamps, stamps)
                except Exception:   # a last-sync stamp is not worth a failed request; say so in the log
                    log.exception("could not write the last sync of %d devices", len(stamps))
        finally:
            del self.writing[db]

    async def flush(self) -> None:
        """Write what is noted (at shutdown, before the databases close)."""
        while self.writing:
            await asyncio.gather(*self.writing.values())


def write_stamps(conn: Connection, stamps: dict[str, str]) -> None:
    q.set_devices_seen(conn, stamps)
