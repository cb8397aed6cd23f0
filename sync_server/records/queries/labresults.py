"""Lab results (委托检验检测) of stored records: SQL only (records/labresults.py is the service)."""
from __future__ import annotations

from typing import Any

from sync_server.db import Connection, Row


def insert_lab_result(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO lab_results (id, record_id, item_code, sample_no, outcome, source, doc, by_user, envelope,"
        " envelope_sha256, received_at, log_index) VALUES (:id, :record_id, :item_code, :sample_no, :outcome,"
        " :source, :doc, :by_user, :envelope, :envelope_sha256, :received_at, :log_index)", row)


def get_lab_result_by_id(conn: Connection, result_id: str) -> Row | None:
    return conn.execute("SELECT id, record_id, by_user, envelope_sha256, received_at, log_index FROM lab_results"
                        " WHERE id = ?", (result_id,)).fetchone()


def list_lab_docs_by_record(conn: Connection, record_id: str) -> list[str]:
    """The stored result documents (JSON text) of a record, in the order they arrived."""
    return [row[0] for row in conn.execute("SELECT doc FROM lab_results WHERE record_id = ? ORDER BY received_at, id",
                                           (record_id,))]


def list_pending_lab_records(conn: Connection, limit: int) -> list[Row]:
    """Records whose category is still 待检验结果 (not returned or corrected), oldest first, with
    their envelope and assignment (for the unit's name and the items')."""
    return conn.execute(
        "SELECT r.id, r.envelope, r.received_at, a.doc AS assignment FROM records r"
        " JOIN assignments a ON a.id = r.assignment_id WHERE r.category = 'pending_lab'"
        " AND r.review_state NOT IN ('returned', 'superseded') ORDER BY r.received_at, r.id LIMIT ?",
        (limit,)).fetchall()
