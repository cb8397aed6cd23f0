"""Stored records and their missing photos (SQL only)."""
from __future__ import annotations

import sqlite3
from typing import Any, Iterable


def get_record_by_id(conn: sqlite3.Connection, record_id: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT id, assignment_id, signer_id, device_id, envelope_sha256, supersedes, state, category,"
        " category_json, received_at, log_index FROM records WHERE id = ?", (record_id,)).fetchone()


def get_envelope_by_id(conn: sqlite3.Connection, record_id: str) -> bytes | None:
    row = conn.execute("SELECT envelope FROM records WHERE id = ?", (record_id,)).fetchone()
    return None if row is None else bytes(row[0])


def insert_record(conn: sqlite3.Connection, record: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO records (id, assignment_id, signer_id, device_id, envelope, envelope_sha256,"
        " supersedes, state, category, category_json, received_at, log_index) VALUES (:id,"
        " :assignment_id, :signer_id, :device_id, :envelope, :envelope_sha256, :supersedes, :state,"
        " :category, :category_json, :received_at, :log_index)", record)


def insert_missing_photos(conn: sqlite3.Connection, record_id: str, hashes: Iterable[str]) -> None:
    conn.executemany("INSERT INTO record_missing_photos VALUES (?,?)", [(record_id, h) for h in hashes])


def list_missing_photos_by_record(conn: sqlite3.Connection, record_id: str) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT sha256 FROM record_missing_photos WHERE record_id = ? ORDER BY sha256", (record_id,))]


def resolve_missing_photo(conn: sqlite3.Connection, sha256: str) -> list[str]:
    """Drop a photo from every record waiting for it; return the records now complete."""
    waiting = [row[0] for row in conn.execute(
        "SELECT record_id FROM record_missing_photos WHERE sha256 = ?", (sha256,))]
    conn.execute("DELETE FROM record_missing_photos WHERE sha256 = ?", (sha256,))
    complete = [rid for rid in waiting if not conn.execute(
        "SELECT 1 FROM record_missing_photos WHERE record_id = ? LIMIT 1", (rid,)).fetchone()]
    conn.executemany("UPDATE records SET state = 'received' WHERE id = ?", [(r,) for r in complete])
    return complete


def count_records_by_state(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT state, count(*) FROM records GROUP BY state").fetchall())
