"""The draw ceremony's witnesses and the resolutions of unmatched units (SQL only)."""
from __future__ import annotations

import json
from typing import Any

from sync_server.db import Connection, Row


def list_witnesses_by_task(conn: Connection, task_id: str) -> list[Row]:
    """A task's witnesses in commitment order."""
    return conn.execute("SELECT * FROM draw_witnesses WHERE task_id = ? ORDER BY position", (task_id,)).fetchall()


def get_witness_by_token_hash(conn: Connection, token_hash: str) -> Row | None:
    return conn.execute("SELECT * FROM draw_witnesses WHERE token_hash = ?", (token_hash,)).fetchone()


def get_witness_by_id(conn: Connection, task_id: str, witness_id: str) -> Row | None:
    return conn.execute("SELECT * FROM draw_witnesses WHERE task_id = ? AND id = ?", (task_id, witness_id)).fetchone()


def next_witness_position(conn: Connection, task_id: str) -> int:
    return conn.execute("SELECT coalesce(max(position), 0) + 1 FROM draw_witnesses WHERE task_id = ?",
                        (task_id,)).fetchone()[0]


def insert_witness(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute("INSERT INTO draw_witnesses (id, task_id, position, name, role, token_hash, created_at, created_by)"
                 " VALUES (:id, :task_id, :position, :name, :role, :token_hash, :created_at, :created_by)", row)


def delete_witness(conn: Connection, witness_id: str) -> None:
    conn.execute("DELETE FROM draw_witnesses WHERE id = ?", (witness_id,))


def set_witness_token_hash(conn: Connection, witness_id: str, token_hash: str) -> None:
    conn.execute("UPDATE draw_witnesses SET token_hash = ? WHERE id = ?", (token_hash, witness_id))


def set_witness_commitment(conn: Connection, witness_id: str, commitment: str, at: str) -> None:
    conn.execute("UPDATE draw_witnesses SET commitment = ?, committed_at = ? WHERE id = ?",
                 (commitment, at, witness_id))


def set_witness_nonce(conn: Connection, witness_id: str, nonce: str, at: str) -> None:
    conn.execute("UPDATE draw_witnesses SET nonce = ?, opened_at = ? WHERE id = ?", (nonce, at, witness_id))


def list_resolutions_by_task(conn: Connection, task_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM draw_resolutions WHERE task_id = ? ORDER BY resolved_at, unit_id",
                        (task_id,)).fetchall()


def insert_resolution(conn: Connection, task_id: str, unit_id: str, team: list[str], reason: str, by: str,
                      at: str, log_index: int) -> None:
    conn.execute("INSERT INTO draw_resolutions (task_id, unit_id, team, reason, resolved_by, resolved_at, log_index)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (task_id, unit_id, json.dumps(team), reason, by, at, log_index))

