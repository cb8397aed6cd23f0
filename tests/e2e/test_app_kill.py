"""The app process killed (SIGKILL) in the middle of a background sync, twice (while photos go
up, and just after the server stored the records but maybe before the tablet saw the receipts):
after a restart every record reaches the server exactly once and every photo once."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from field_app.app_state import AppState, Settings
from field_app.camera import scene_jpeg
from tests.support.records import PIN, team_signers

PHOTOS_PER_RECORD = 3


def fill_tablet(home: Path, server_url: str, code: str, code_for) -> list[str]:
    """Enroll, pull, then finish every visit offline with photos: the outbox a day's work leaves."""
    state = AppState(Settings(home, server_url, sync_interval=0))
    assert state.session.enroll(server_url, code, PIN, PIN) is None
    state.code_for = code_for   # the teammate registers their signing key on this tablet too
    state.syncing.now()
    ids = []
    for n, row in enumerate(state.work.rows()):
        visit = state.work.open_visit(row.assignment_id)
        for item, _ in visit.items():
            visit.set_outcome(f"{item['task_id']}/{item['code']}", "compliant")
        first = f"{visit.assignment['items'][0]['task_id']}/{visit.assignment['items'][0]['code']}"
        for k in range(PHOTOS_PER_RECORD):
            visit.add_photo(first, scene_jpeg((1024, 768), seed=n * 10 + k))
        visit.refuse("当事人拒绝签字")
        ids.append(visit.submit(team_signers(state, visit)).record_id)
    state.close()
    return ids


def server_count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_killed_mid_sync_nothing_lost_or_doubled(county, server, apps, tmp_path: Path) -> None:
    home = tmp_path / "tablet"
    ids = fill_tablet(home, server.url, county.code_for(county.inspector), county.code_for)
    assert len(ids) >= 10
    photos_before = server_count(county.db, "SELECT count(*) FROM photos")

    app = apps(home, server.url, sync_interval=0.5).start()
    deadline = time.monotonic() + 30
    while server_count(county.db, "SELECT count(*) FROM photos") == photos_before:
        assert time.monotonic() < deadline, "the background sync never started"
        time.sleep(0.005)
    app.kill9()
    records_at_kill = server_count(county.db, "SELECT count(*) FROM records")
    photos_at_kill = server_count(county.db, "SELECT count(*) FROM photos") - photos_before
    print(f"at the kill: {records_at_kill} records, {photos_at_kill} photos of {len(ids)} and {len(ids) * PHOTOS_PER_RECORD}")
    assert records_at_kill < len(ids) or photos_at_kill < len(ids) * PHOTOS_PER_RECORD, "killed mid-sync"

    # Again, this time as soon as the records are stored: the receipts may not be on the tablet yet.
    app.start()
    deadline = time.monotonic() + 30
    while server_count(county.db, "SELECT count(*) FROM records") == 0:
        assert time.monotonic() < deadline, "the restarted app did not push"
        time.sleep(0.002)
    app.kill9()
    unacknowledged = _local_count(home, "SELECT count(*) FROM outbox WHERE state = 'pending'")
    print(f"second kill: {unacknowledged} records stored on the server but not yet acknowledged on the tablet")

    app.start()
    deadline = time.monotonic() + 60
    conn = sqlite3.connect(home / "app.db")
    try:
        while conn.execute("SELECT count(*) FROM outbox WHERE state != 'accepted'").fetchone()[0]:
            assert time.monotonic() < deadline, "the restarted app did not finish the sync"
            time.sleep(0.2)
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == len(ids)
        assert conn.execute("SELECT count(*) FROM photos WHERE uploaded = 0").fetchone()[0] == 0
    finally:
        conn.close()
        app.stop()
    mine = ",".join(f"'{i}'" for i in ids)
    assert server_count(county.db, f"SELECT count(*) FROM records WHERE id IN ({mine})") == len(ids)
    assert server_count(county.db, "SELECT count(*) FROM records") == len(ids), "no record twice, none extra"
    images = "SELECT count(*) FROM photos WHERE media_type != 'application/pdf'"
    assert server_count(county.db, images) - photos_before == len(ids) * PHOTOS_PER_RECORD
    # and each inspected visit's papers, once (kept beside the photos: docs/SYNC.md, "The PDF handed over on site")
    papers = "SELECT count(*) FROM photos WHERE media_type = 'application/pdf'"
    assert server_count(county.db, papers) == len(ids)


def _local_count(home: Path, sql: str) -> int:
    conn = sqlite3.connect(home / "app.db")
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()
