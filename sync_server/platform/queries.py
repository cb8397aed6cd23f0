"""The platform's list of offices (SQL only), in the root office's database."""
from __future__ import annotations

from typing import Any

from sync_server.db import Connection

COLUMNS = "code, name, level, kind, parent, created_at"


def list_offices(conn: Connection) -> list[Any]:
    return conn.execute(f"SELECT {COLUMNS} FROM offices ORDER BY code").fetchall()


def get_office_by_code(conn: Connection, code: str) -> Any:
    return conn.execute(f"SELECT {COLUMNS} FROM offices WHERE code = ?", (code,)).fetchone()


def get_root_office(conn: Connection) -> Any:
    return conn.execute(f"SELECT {COLUMNS} FROM offices WHERE parent IS NULL").fetchone()


def insert_office(conn: Connection, code: str, name: str, level: str, kind: str, parent: str | None,
                  created_at: str, created_by: str) -> None:
    conn.execute("INSERT INTO offices (code, name, level, kind, parent, created_at, created_by) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)", (code, name, level, kind, parent, created_at, created_by))
