"""A device's last sync on a real server: its first sync written before the answer, a later one
(a minute or more after the stored stamp) written beside the answer and, at the latest, when the
server stops (sync_server/accounts/last_seen.py)."""
from __future__ import annotations

from schemas.clock import utc_now
from sync_server.db.connection import open_db, transaction
from tests.integration.conftest import server_rows

OLD = "2000-01-01T00:00:00.000Z"


def last_seen(db, device_id: str) -> str | None:
    return server_rows(db, "SELECT last_seen_at FROM devices WHERE id = ?", device_id)[0]["last_seen_at"]


def test_a_first_sync_is_written_at_once_and_later_ones_by_shutdown(county, server, make_device) -> None:
    tablets = [make_device(county.inspector, f"tablet {n}") for n in range(3)]
    ids = [t.keys.credentials()["device_id"] for t in tablets]
    assert all(last_seen(county.db, d) is None for d in ids)
    for tablet, device_id in zip(tablets, ids):
        assert tablet.sync().error is None
        assert last_seen(county.db, device_id) is not None, "a first sync is written before the answer"

    conn = open_db(county.db)
    with transaction(conn):
        conn.execute("UPDATE devices SET last_seen_at = ? WHERE id IN (?, ?, ?)", (OLD, *ids))
    conn.close()
    before = utc_now()
    for tablet in tablets:
        assert tablet.sync().error is None
    server.stop()   # a graceful stop writes what was noted and not yet written

    stamps = [last_seen(county.db, d) for d in ids]
    assert all(s is not None and s >= before[:19] for s in stamps), stamps
    untouched = server_rows(county.db, "SELECT count(*) AS n FROM devices WHERE last_seen_at = ?", OLD)
    assert untouched[0]["n"] == 0
