"""Failed sign-in attempts, by scope and subject (SQL only; sync_server/accounts/throttle.py)."""
from __future__ import annotations

from sync_server.db import Connection


def insert_auth_failure(conn: Connection, scope: str, subject: str, at: str) -> None:
    conn.execute("INSERT INTO auth_failures (scope, subject, at) VALUES (?, ?, ?)", (scope, subject, at))


def list_auth_failures_since(conn: Connection, scope: str, subject: str, since: str) -> list[str]:
    rows = conn.execute("SELECT at FROM auth_failures WHERE scope = ? AND subject = ? AND at > ? ORDER BY at",
                        (scope, subject, since))
    return [r[0] for r in rows]


def delete_auth_failures_before(conn: Connection, before: str) -> None:
    conn.execute("DELETE FROM auth_failures WHERE at <= ?", (before,))
