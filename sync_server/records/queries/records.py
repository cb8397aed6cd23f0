"""Stored records and their missing photos (SQL only)."""
from __future__ import annotations

from typing import Any, Iterable

from sync_server.db import Connection, Row, in_lists


def get_record_by_id(conn: Connection, record_id: str) -> Row | None:
    return conn.execute(
        "SELECT id, assignment_id, signer_id, device_id, envelope_sha256, supersedes, state, category,"
        " category_json, received_at, log_index, review_state FROM records WHERE id = ?", (record_id,)).fetchone()


def list_stored_ids(conn: Connection, record_ids: Iterable[str]) -> set[str]:
    """Which of these record ids are stored (one statement per 500 ids)."""
    return {row[0] for marks, part in in_lists(record_ids)
            for row in conn.execute(f"SELECT id FROM records WHERE id IN ({marks})", part)}


def set_category(conn: Connection, record_id: str, code: str, category_json: str) -> None:
    """The record's category as its lab results make it (the signed envelope never changes)."""
    conn.execute("UPDATE records SET category = ?, category_json = ? WHERE id = ?", (code, category_json, record_id))


def set_review_state(conn: Connection, record_id: str, state: str) -> None:
    conn.execute("UPDATE records SET review_state = ? WHERE id = ?", (state, record_id))


def list_review_queue(conn: Connection, leader_id: str, limit: int) -> list[Row]:
    """Complete records waiting for a decision, of teams the leader is not on (four eyes)."""
    return conn.execute(
        "SELECT r.id, r.assignment_id, r.envelope, r.envelope_sha256, r.category_json, r.received_at, r.supersedes,"
        " a.doc"
        " FROM records r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE r.state = 'received' AND r.review_state = 'in_review' AND NOT EXISTS"
        " (SELECT 1 FROM assignment_team t WHERE t.assignment_id = r.assignment_id AND t.user_id = ?)"
        " ORDER BY r.received_at, r.id LIMIT ?", (leader_id, limit)).fetchall()


def get_review_by_id(conn: Connection, review_id: str) -> Row | None:
    return conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()


def get_return_by_record(conn: Connection, record_id: str) -> Row | None:
    """The decision that returned a record (its reason and comment), if it was returned."""
    return conn.execute(
        "SELECT id, leader_id, reason, comment, envelope, received_at FROM reviews"
        " WHERE record_id = ? AND decision = 'return' ORDER BY received_at DESC LIMIT 1", (record_id,)).fetchone()


def insert_review(conn: Connection, review: dict) -> None:
    conn.execute(
        "INSERT INTO reviews (id, record_id, leader_id, device_id, decision, reason, comment, envelope,"
        " envelope_sha256, received_at, log_index) VALUES (:id, :record_id, :leader_id, :device_id, :decision,"
        " :reason, :comment, :envelope, :envelope_sha256, :received_at, :log_index)", review)


def get_envelope_by_id(conn: Connection, record_id: str) -> bytes | None:
    row = conn.execute("SELECT envelope FROM records WHERE id = ?", (record_id,)).fetchone()
    return None if row is None else bytes(row[0])


def insert_record(conn: Connection, record: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO records (id, assignment_id, signer_id, device_id, envelope, envelope_sha256,"
        " supersedes, state, category, category_json, received_at, log_index) VALUES (:id,"
        " :assignment_id, :signer_id, :device_id, :envelope, :envelope_sha256, :supersedes, :state,"
        " :category, :category_json, :received_at, :log_index)", record)


def insert_missing_photos(conn: Connection, record_id: str, hashes: Iterable[str]) -> None:
    conn.executemany("INSERT INTO record_missing_photos VALUES (?,?)", [(record_id, h) for h in hashes])


def list_missing_photos_by_record(conn: Connection, record_id: str) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT sha256 FROM record_missing_photos WHERE record_id = ? ORDER BY sha256", (record_id,))]


def resolve_missing_photo(conn: Connection, sha256: str) -> list[str]:
    """Drop a photo from every record waiting for it; return the records now complete."""
    waiting = [row[0] for row in conn.execute(
        "SELECT record_id FROM record_missing_photos WHERE sha256 = ?", (sha256,))]
    conn.execute("DELETE FROM record_missing_photos WHERE sha256 = ?", (sha256,))
    complete = [rid for rid in waiting if not conn.execute(
        "SELECT 1 FROM record_missing_photos WHERE record_id = ? LIMIT 1", (rid,)).fetchone()]
    conn.executemany("UPDATE records SET state = 'received' WHERE id = ?", [(r,) for r in complete])
    return complete
