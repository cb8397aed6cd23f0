"""kill -9 of the server in the middle of a push: what was acknowledged is there, the rest comes on retry."""
from __future__ import annotations

import threading
import time

from field_app.outbox import sign_and_queue
from tests.integration.conftest import server_rows
from tests.support.records import record


def test_kill9_during_push(make_device, county, server) -> None:
    client = make_device(county.inspector)
    client.sync()
    assignments = client.store.list_assignments()
    total = 3000
    for n in range(total):
        doc = record(assignments[n % len(assignments)], [county.inspector])
        sign_and_queue(client.store, client.keys, "record", doc, [], "2026-11-20T10:00:00Z")

    pusher = threading.Thread(target=client.sync)
    pusher.start()
    deadline = time.monotonic() + 60
    while client.store.outbox_counts().get("accepted", 0) < 300 and time.monotonic() < deadline:
        time.sleep(0.005)
    server.kill9()
    pusher.join()

    acked = {row["id"] for row in client.store.outbox_rows() if row["state"] == "accepted"}
    assert 300 <= len(acked) < total, "the kill landed in the middle of the push"
    stored = {row["id"] for row in server_rows(county.db, "SELECT id FROM records")}
    assert acked <= stored, "everything acknowledged survived kill -9"

    server.start()
    result = client.sync()
    assert not result.offline and result.error is None
    assert client.store.outbox_counts() == {"accepted": total}
    rows = server_rows(county.db, "SELECT count(*) AS n, count(DISTINCT id) AS d FROM records")[0]
    assert rows["n"] == rows["d"] == total, "nothing lost, nothing doubled"
    log = server_rows(county.db, "SELECT count(*) AS n FROM audit_log WHERE kind = 'record.received'")[0]
    assert log["n"] == total, "one log entry per stored record"
