"""The audit log's rows (SQL only); hashing is in core.merkle, entries in sync_server.audit."""
from __future__ import annotations

import json

from sync_server.db import Connection, Row
from sync_server.db.dialect import dialect_of


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


def list_entries(conn: Connection, kind_prefix: str, by: str, before: int, limit: int) -> list[Row]:
    """The newest entries below index `before`, optionally of kinds starting with `kind_prefix` and
    made by `by` (the entry's "by" fact, matched in its canonical JSON text)."""
    sql = "SELECT idx, at, kind, subject, entry FROM audit_log WHERE idx < ?"
    args: list[object] = [before]
    if kind_prefix:
        sql += " AND kind LIKE ? ESCAPE '\\'"
        args.append(kind_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if by:
        sql += f" AND {dialect_of(conn).blob_contains('entry')}"
        args.append(('"by":' + _json_string(by)).encode())
    sql += " ORDER BY idx DESC LIMIT ?"
    args.append(limit)
    return conn.execute(sql, args).fetchall()


def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def list_entries_by_subject(conn: Connection, subject: str, kinds: tuple[str, ...], limit: int = 50) -> list[Row]:
    """The newest entries about one subject (a unit's USCC, an officer's id) of these kinds."""
    marks = ",".join("?" * len(kinds))
    return conn.execute(f"SELECT idx, at, kind, entry FROM audit_log WHERE subject = ? AND kind IN ({marks})"
                        " ORDER BY idx DESC LIMIT ?", (subject, *kinds, limit)).fetchall()
