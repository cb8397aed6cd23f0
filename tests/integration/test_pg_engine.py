"""The PostgreSQL engine (sync_server/db/postgres.py) on the run's real PostgreSQL server: the
query modules' placeholders and rows as sqlite3 gives them, flags stored as integers, JSON kept as
written, a target naming an office's schema, the one-writer lock, and a really full disk (a
tablespace on a small tmpfs) answered with 507 with nothing lost."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from sync_server.db.connection import office_target, open_db, transaction
from sync_server.db.dialect import POSTGRES, dialect_of
from sync_server.db.postgres import PgConnection, lock_key, translate
from tests.integration.conftest import FAST_RETRY, Admin, County, server_rows
from tests.support import engine, postgres
from tests.support.disk import fill
from tests.support.records import record, sign_record
from tests.support.server import ServerProcess


@pytest.fixture
def url() -> Iterator[str]:
    cluster = postgres.cluster()
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def conn(url: str) -> Iterator[PgConnection]:
    opened = open_db(url)
    yield opened
    opened.close()


def test_placeholders_are_translated_outside_literals_names_and_casts() -> None:
    assert translate("SELECT a FROM t WHERE b = ? AND c = :c") == "SELECT a FROM t WHERE b = %s AND c = %(c)s"
    assert translate("SELECT '?', ':x', '50%', \"odd?\" FROM t WHERE x LIKE ?") == \
        "SELECT '?', ':x', '50%%', \"odd?\" FROM t WHERE x LIKE %s"
    assert translate("SELECT x::text, 'it''s ?' FROM t WHERE y = ? -- why?") == \
        "SELECT x::text, 'it''s ?' FROM t WHERE y = %s -- why?"
    assert translate("SELECT 1 % 2") == "SELECT 1 %% 2"


def test_rows_and_values_as_sqlite3_gives_them(conn: PgConnection) -> None:
    assert dialect_of(conn) is POSTGRES
    row = conn.execute("SELECT CAST(? AS text) AS a, CAST(? AS bigint) AS b, '50%' AS pct, '?' AS q", ("x", 7)).fetchone()
    assert (row["a"], row[1], row["pct"], row["q"]) == ("x", 7, "50%", "?")
    assert row.keys() == ["a", "b", "pct", "q"] and dict(row) == {"a": "x", "b": 7, "pct": "50%", "q": "?"}
    assert tuple(row) == ("x", 7, "50%", "?")
    with pytest.raises(IndexError):
        row["missing"]
    named = conn.execute("SELECT CAST(:n AS bigint) + 1 AS m", {"n": 41}).fetchone()
    assert named["m"] == 42
    assert conn.execute("UPDATE meta SET value = 'v' WHERE key = 'nothing'").fetchone() is None


def test_flags_are_integers_and_json_keeps_its_text(conn: PgConnection) -> None:
    written = '[ "公共场所",  "tag\\u00e9" ]'   # spaces and an escape, as a signed document may hold them
    with transaction(conn):
        conn.execute("INSERT INTO units (id, name, address, specialty, tags, covered, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", ("u1", "单位", "地址", "public_places", written, True, "t"))
        conn.execute("INSERT INTO units (id, name, address, specialty, tags, covered, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", ("u2", "单位二", "地址", "public_places", "[]", False, "t"))
    rows = conn.execute("SELECT id, tags, covered FROM units ORDER BY id").fetchall()
    assert [(r["id"], r["tags"], r["covered"]) for r in rows] == [("u1", written, 1), ("u2", "[]", 0)]
    tags = conn.execute(f"SELECT j.value FROM units u, {POSTGRES.json_each('u.tags', 'j')} WHERE u.id = 'u1'")
    assert [r[0] for r in tags] == ["公共场所", "tagé"]
    assert conn.execute("SELECT count(*) FROM units WHERE covered = 1").fetchone()[0] == 1


def test_an_office_target_names_its_own_schema(url: str) -> None:
    office = office_target(url, "370102-jd")
    assert office == url + "?office=370102-jd" and office_target(url) == url
    root, other = open_db(url), open_db(office)
    try:
        with transaction(other):
            other.execute("INSERT INTO meta (key, value) VALUES ('body_name', '街道办')")
        assert root.execute("SELECT count(*) FROM meta WHERE key = 'body_name'").fetchone()[0] == 0
        assert other.execute("SELECT value FROM meta WHERE key = 'body_name'").fetchone()[0] == "街道办"
        assert other.execute("SELECT current_schema()").fetchone()[0] == "office_370102-jd"
        assert lock_key("office_370102-jd") != lock_key("public"), "offices write beside each other"
    finally:
        root.close()
        other.close()


def test_a_write_waits_for_the_other_writer_of_its_office(url: str) -> None:
    """Two connections (two processes' worth): the second writer of the office starts only after
    the first commits, so it reads what the first wrote (the next number, as SQLite's one writer)."""
    first, second = open_db(url), open_db(url)
    order: list[str] = []
    try:
        with transaction(first):
            first.execute("INSERT INTO meta (key, value) VALUES ('n', '1')")
            waiting = threading.Thread(target=lambda: _bump(second, order))
            waiting.start()
            waiting.join(timeout=1.0)
            assert waiting.is_alive(), "the second writer waits for the lock"
            order.append("first commits")
        waiting.join()
        assert order == ["first commits", "second wrote 2"]
    finally:
        first.close()
        second.close()


def _bump(conn: PgConnection, order: list[str]) -> None:
    with transaction(conn):
        n = int(conn.execute("SELECT value FROM meta WHERE key = 'n'").fetchone()[0]) + 1
        conn.execute("UPDATE meta SET value = ? WHERE key = 'n'", (str(n),))
    order.append(f"second wrote {n}")


# --- a full disk ------------------------------------------------------------------------------------

@pytest.fixture
def small_tablespace() -> Iterator[Path]:
    """A real 24 MiB file system (tmpfs), owned by the PostgreSQL server's user, for a tablespace
    (in a folder of its own that the server's user may enter: the test's tmp_path is private)."""
    outer = Path(tempfile.mkdtemp(prefix="suijian-pgdisk-"))
    os.chmod(outer, 0o755)
    disk = outer / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"this test needs a small tmpfs: `mount -t tmpfs` failed (run the suite as root, with mounts "
                    f"permitted): {mounted.stderr.strip() or mounted.returncode}")
    (disk / "ts").mkdir()
    if os.geteuid() == 0:
        shutil.chown(disk, postgres.SERVER_USER, postgres.SERVER_USER)
        shutil.chown(disk / "ts", postgres.SERVER_USER, postgres.SERVER_USER)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)
    shutil.rmtree(outer, ignore_errors=True)


@pytest.mark.skipif(not engine.ON_POSTGRES, reason="PostgreSQL's disk_full: runs in make test's PostgreSQL pass "
                                                   "(SQLite's SQLITE_FULL: test_hardening_sync.py)")
def test_a_full_disk_under_postgresql_is_a_507_and_nothing_is_lost(county: County, small_tablespace: Path,
                                                                   tmp_path: Path) -> None:
    """The records and the audit log live in a tablespace on the small disk: when it is full,
    PostgreSQL's disk_full (53100) is the API's 507 (storage.full); what was acknowledged before
    stays, and the same batch is accepted once there is room again."""
    target = str(county.db)
    cluster = postgres.cluster()
    space = f"small_{engine.database_of(target)}"
    cluster.psql(f"CREATE TABLESPACE {space} LOCATION '{small_tablespace / 'ts'}'")
    try:
        for table in ("records", "audit_log", "record_photos", "record_missing_photos"):
            cluster.psql(f"ALTER TABLE {table} SET TABLESPACE {space}", database=engine.database_of(target))
        server = ServerProcess(county.db).start()
        home = tmp_path / "tablet"
        device = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
        admin = Admin(server.url, county.admin_token)
        device.code_for = admin.code_for
        try:
            device.enroll(admin.code_for(county.inspector), "tablet")
            device.sync()
            assignments = device.store.list_assignments()
            texts = [sign_record(device, record(assignments[i % len(assignments)], [county.inspector])).decode()
                     for i in range(6)]
            post = lambda batch: device.http.post("/v1/records/batch", json={"envelopes": batch},  # noqa: E731
                                                  headers=device._auth(), timeout=60)
            earlier = post(texts[:2]).json()["receipts"]
            assert {r["status"] for r in earlier} == {"accepted"}
            filler = small_tablespace / "filler"
            fill(filler)
            # PostgreSQL fills the pages it already has first: write until it must extend a file.
            full = None
            for attempt in range(40):
                answer = post([sign_record(device, record(assignments[attempt % len(assignments)],
                                                          [county.inspector])).decode() for _ in range(20)])
                if answer.status_code == 507:
                    full = answer
                    break
                assert answer.status_code == 200, answer.text
            assert full is not None, "the tablespace filled up"
            body = full.json()
            assert body["code"] == "storage.full" and "存储空间已满" in body["message_zh"], body
            assert httpx.get(f"{server.url}/healthz").status_code == 200, "the server is still up"
            size_full = server_rows(target, "SELECT count(*) AS n FROM audit_log")[0]["n"]
            assert post(texts[2:]).status_code == 507
            assert server_rows(target, "SELECT count(*) AS n FROM audit_log")[0]["n"] == size_full, \
                "nothing of a refused request is kept"
            filler.unlink()
            again = post(texts[2:])
            assert again.status_code == 200 and {r["status"] for r in again.json()["receipts"]} == {"accepted"}
            for receipt in earlier:
                kept = device.http.get(f"/v1/records/{receipt['id']}/receipt", headers=device._auth()).json()
                assert kept["log_index"] == receipt["log_index"], "acknowledged before the disk filled, still there"
        finally:
            device.close()
            device.store.close()
            admin.http.close()
            server.stop()
    finally:
        cluster.drop_database(engine.database_of(target))
        cluster.psql(f"DROP TABLESPACE IF EXISTS {space}")
