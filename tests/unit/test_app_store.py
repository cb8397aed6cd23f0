"""The tablet's app.db is kept across app updates: a file made by an older app opens and is
brought forward in place, its outbox intact (real SQLite files in tmp_path)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from field_app import store
from field_app.store import LocalStore


def old_app_db(path: Path) -> None:
    """An app.db as the app made it before records could be parked (SCHEMA is that first version)."""
    conn = sqlite3.connect(path)
    conn.executescript(store.SCHEMA)
    conn.execute("INSERT INTO outbox (id, kind, envelope, envelope_sha256, created_at) VALUES (?,?,?,?,?)",
                 ("r1", "record", "{}", "0" * 64, "2026-11-20T10:00:00Z"))
    conn.commit()
    conn.close()


def columns(local: LocalStore) -> list[str]:
    return [row[1] for row in local.conn.execute("PRAGMA table_info(outbox)")]


def test_an_app_db_from_before_parking_opens_and_is_brought_forward(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    old_app_db(path)
    local = LocalStore(path)
    assert "parked_at" in columns(local)
    assert local.conn.execute("PRAGMA user_version").fetchone()[0] == store.UPGRADES[-1][0]
    assert [row["id"] for row in local.sendable(10)] == ["r1"], "the queued record is still there, still pending"

    error = {"code": "internal.error", "message_zh": "服务器内部错误", "status": 500}
    local.park("r1", error, "2026-11-20T11:00:00Z")
    assert local.sendable(10) == [] and [row["id"] for row in local.parked()] == ["r1"]
    assert local.parked(before="2026-11-20T10:59:59Z") == [], "parked after that moment"
    local.close()

    again = LocalStore(path)   # opening an up-to-date file again changes nothing
    assert columns(again).count("parked_at") == 1 and again.outbox_counts() == {"parked": 1}
    again.close()


def test_a_new_app_db_goes_through_the_same_steps(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "app.db")
    second = LocalStore(tmp_path / "app.db")    # the sync thread's own connection to the same file
    assert "parked_at" in columns(local) and "parked_at" in columns(second)
    assert second.conn.execute("PRAGMA user_version").fetchone()[0] == store.UPGRADES[-1][0]
    local.close()
    second.close()
