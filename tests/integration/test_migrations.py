"""Migrations: a database made by an earlier version is upgraded in place; running them again
changes nothing; the durability settings hold.

sqlite_only: an old SQLite file (built with sqlite_utils as version 1 did) and SQLite's WAL and
synchronous pragmas; PostgreSQL's migrations start with this issue, and every test of the
PostgreSQL pass runs them on a fresh database."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from sync_server.db.connection import connect, migrate, open_db, transaction
from sync_server.db.migrations import MIGRATIONS

pytestmark = pytest.mark.sqlite_only


def test_an_older_database_is_upgraded(tmp_path: Path) -> None:
    conn = connect(tmp_path / "old.db")
    db = sqlite_utils.Database(conn)
    db["migrations"].create({"name": str, "applied_at": str}, pk="name")
    name, first = MIGRATIONS[0]
    with transaction(conn):
        first(db)
        conn.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (name,))
    conn.execute("INSERT INTO users (id, name, role, created_at) VALUES ('u1', '张三', 'inspector', 'x')")
    assert migrate(conn) == [n for n, _ in MIGRATIONS[1:]]
    assert conn.execute("SELECT name FROM users").fetchone()[0] == "张三", "data survives the upgrade"
    assert "draws" in db.table_names() and "specialties" in db["tasks"].columns_dict
    assert migrate(conn) == []


def test_wal_and_full_sync(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "s.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert migrate(conn) == []
