"""The office console's accounts and sign-in sessions (SQL only; sync_server/accounts/office.py,
sync_server/accounts/sessions.py)."""
from __future__ import annotations

from typing import Any

from sync_server.db import Connection, Row


def insert_account(conn: Connection, account: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO office_accounts (id, username, name, role, password_hash, active, created_at, created_by,"
        " password_changed_at, must_change_password)"
        " VALUES (:id, :username, :name, :role, :password_hash, 1, :created_at, :created_by, :created_at,"
        " :must_change_password)", account)


def get_account_by_username(conn: Connection, username: str) -> Row | None:
    return conn.execute("SELECT * FROM office_accounts WHERE username = ?", (username,)).fetchone()


def get_account(conn: Connection, account_id: str) -> Row | None:
    return conn.execute("SELECT * FROM office_accounts WHERE id = ?", (account_id,)).fetchone()


def list_accounts(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM office_accounts ORDER BY active DESC, role, username").fetchall()


def count_active_admins(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM office_accounts WHERE role = 'admin' AND active = 1").fetchone()[0]


def update_account(conn: Connection, account_id: str, name: str, role: str, active: bool) -> None:
    conn.execute("UPDATE office_accounts SET name = ?, role = ?, active = ? WHERE id = ?",
                 (name, role, 1 if active else 0, account_id))


def update_password(conn: Connection, account_id: str, password_hash: str, now: str, must_change: bool) -> None:
    conn.execute("UPDATE office_accounts SET password_hash = ?, password_changed_at = ?, must_change_password = ?"
                 " WHERE id = ?", (password_hash, now, 1 if must_change else 0, account_id))


def insert_session(conn: Connection, id_hash: str, account_id: str, now: str, expires_at: str) -> None:
    conn.execute("INSERT INTO console_sessions (id_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                 (id_hash, account_id, now, expires_at))


def get_account_by_session_hash(conn: Connection, id_hash: str, now: str) -> Row | None:
    """The signed-in account, while the session is unexpired and the account active (deactivating an
    account ends its sessions)."""
    return conn.execute(
        "SELECT a.* FROM console_sessions s JOIN office_accounts a ON a.id = s.account_id"
        " WHERE s.id_hash = ? AND s.expires_at > ? AND a.active = 1", (id_hash, now)).fetchone()


def delete_session_by_hash(conn: Connection, id_hash: str) -> bool:
    return conn.execute("DELETE FROM console_sessions WHERE id_hash = ?", (id_hash,)).rowcount == 1


def delete_sessions_of(conn: Connection, account_id: str, keep_hash: str = "") -> int:
    return conn.execute("DELETE FROM console_sessions WHERE account_id = ? AND id_hash <> ?",
                        (account_id, keep_hash)).rowcount


def delete_expired_sessions(conn: Connection, now: str) -> None:
    conn.execute("DELETE FROM console_sessions WHERE expires_at <= ?", (now,))
