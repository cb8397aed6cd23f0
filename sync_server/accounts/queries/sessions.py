"""The office screen's sign-in sessions (SQL only; sync_server/accounts/sessions.py)."""
from __future__ import annotations

from sync_server.db import Connection, Row


def insert_office_session(conn: Connection, id_hash: str, user_id: str, token_hash: str, now: str,
                          expires_at: str) -> None:
    conn.execute("INSERT INTO office_sessions (id_hash, user_id, token_hash, created_at, expires_at)"
                 " VALUES (?, ?, ?, ?, ?)", (id_hash, user_id, token_hash, now, expires_at))


def get_admin_by_session_hash(conn: Connection, id_hash: str, now: str) -> Row | None:
    """The signed-in admin, while the session is unexpired and the admin token it was opened with is
    not revoked (revoking the token ends its sessions)."""
    return conn.execute(
        "SELECT u.* FROM office_sessions s JOIN admin_tokens t ON t.token_hash = s.token_hash"
        " JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL"
        " AND u.role = 'admin' AND u.active = 1", (id_hash, now)).fetchone()


def delete_office_session_by_hash(conn: Connection, id_hash: str) -> bool:
    return conn.execute("DELETE FROM office_sessions WHERE id_hash = ?", (id_hash,)).rowcount == 1


def delete_expired_office_sessions(conn: Connection, now: str) -> None:
    conn.execute("DELETE FROM office_sessions WHERE expires_at <= ?", (now,))
