"""The draw ceremony in tests: a planned task on the database file, times on the suite's clock as
the console's fields take them, and the server restarted with its clock moved past the beacon."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from schemas import clock
from sync_server.db.connection import open_db, transaction
from sync_server.planning import plans
from tests.support import dates
from tests.support.server import ServerProcess


def commitment(nonce: str) -> str:
    """DRAW_SPEC §2, computed here: hex(SHA-256(the nonce's bytes))."""
    return hashlib.sha256(bytes.fromhex(nonce)).hexdigest()


def add_task(db: Path, number: str, team_size: int = 2) -> str:
    """A planned public-places task over the next 40 days, written to the database file; its id."""
    today = dates.today()
    spec = plans.TaskSpec(today.year, number, "公共场所卫生专项抽查", ("public_places",), today.isoformat(),
                          (today + timedelta(days=40)).isoformat(), team_size=team_size)
    conn = open_db(db)
    try:
        with transaction(conn):
            return plans.add_task(conn, spec)["id"]
    finally:
        conn.close()


def beijing_local(hours: float) -> str:
    """A time `hours` from the suite's now as a datetime-local field takes it (Beijing time)."""
    return (clock.beijing_now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def moved_env(hours: float) -> dict[str, str]:
    return {"SUIJIAN_CLOCK": clock.Clock(clock.current().offset + timedelta(hours=hours)).setting()}


def restart(server: ServerProcess, hours: float) -> ServerProcess:
    """The same database and port, the server's clock moved `hours` ahead of the suite's."""
    server.stop()
    return ServerProcess(server.db, port=server.port, env=moved_env(hours)).start()
