"""kill -9 of the server in the middle of a push: what was acknowledged is there, the rest comes on retry."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.integration.conftest import County, server_rows
from tests.support.records import queue_record, record
from tests.support.server import ServerProcess


@pytest.fixture
def server(county: County) -> Iterator[ServerProcess]:
    """This server is `python -m sync_server serve` started afresh, as in production (the others
    in the suite are forked from a launcher that imported the server once: tests/support/preload.py)."""
    proc = ServerProcess(county.db, preloaded=False).start()
    assert proc.proc is not None and proc.proc.args[:3] == [proc.proc.args[0], "-m", "sync_server"]
    yield proc
    proc.stop()


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def assert_gone(pids: set[int], timeout: float = 10.0) -> None:
    """A killed server's worker processes exit too: none is left running, orphaned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)}
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"orphaned worker processes left running: {alive}")


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"


def test_kill9_during_push(make_device, county, server) -> None:
    client = make_device(county.inspector)
    client.sync()
    assignments = client.store.list_assignments()
    total = 3000
    for n in range(total):
        doc = record(assignments[n % len(assignments)], [county.inspector])
        queue_record(client, doc, [], "2026-11-20T10:00:00Z")

    pusher = threading.Thread(target=client.sync)
    pusher.start()
    deadline = time.monotonic() + 60
    while client.store.outbox_counts().get("accepted", 0) < 300 and time.monotonic() < deadline:
        time.sleep(0.005)
    workers = children_of(server.proc.pid)
    assert workers, "the server checks envelopes in worker processes"
    server.kill9()
    pusher.join()
    assert_gone(workers)

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
