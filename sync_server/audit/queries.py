"""The audit log's rows (SQL only); hashing is in core.merkle, entries in sync_server.audit."""
from __future__ import annotations

from sync_server.db import Connection, Row


def append_entry(conn: Connection, at: str, kind: str, subject: str,
                 entry: bytes, leaf_hash: bytes) -> int:
    cur = conn.execute(
        "INSERT INTO audit_log (idx, at, kind, subject, entry, leaf_hash)"
        " VALUES ((SELECT coalesce(max(idx) + 1, 0) FROM audit_log), ?, ?, ?, ?, ?) RETURNING idx",
        (at, kind, subject, entry, leaf_hash))
    return cur.fetchone()[0]


def list_leaf_hashes(conn: Connection, size: int) -> list[bytes]:
    return [bytes(row[0]) for row in conn.execute(
        "SELECT leaf_hash FROM audit_log WHERE idx < ? ORDER BY idx", (size,))]


def get_entry_by_index(conn: Connection, idx: int) -> Row | None:
    return conn.execute("SELECT * FROM audit_log WHERE idx = ?", (idx,)).fetchone()


def count_entries(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def list_entries_by_subject(conn: Connection, subject: str, kinds: tuple[str, ...], limit: int = 50) -> list[Row]:
    """The newest entries about one subject (a unit's USCC, an officer's id) of these kinds."""
    marks = ",".join("?" * len(kinds))
    return conn.execute(f"SELECT idx, at, kind, entry FROM audit_log WHERE subject = ? AND kind IN ({marks})"
                        " ORDER BY idx DESC LIMIT ?", (subject, *kinds, limit)).fetchall()
