"""Assignments, their teams, and the pull feed (SQL only)."""
from __future__ import annotations

import json
from typing import Any

from sync_server.db import Connection, Row


def next_seq(conn: Connection) -> int:
    """The feed's one sequence, shared by assignments and notices."""
    return conn.execute("SELECT max(top) + 1 FROM (SELECT coalesce(max(seq), 0) AS top FROM assignments"
                        " UNION ALL SELECT coalesce(max(seq), 0) FROM notices) AS tops").fetchone()[0]


def insert_assignment(conn: Connection, doc: dict[str, Any], task_ids: list[str], now: str) -> int:
    seq = next_seq(conn)
    conn.execute(
        "INSERT INTO assignments (id, unit_id, due, status, version, seq, doc, created_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (doc["id"], doc["unit"]["id"], doc["due"], doc["status"], doc["version"], seq,
         json.dumps(doc, ensure_ascii=False, separators=(",", ":")), now))
    conn.executemany("INSERT INTO assignment_team VALUES (?,?)",
                     [(doc["id"], member["id"]) for member in doc["team"]])
    conn.executemany("INSERT INTO assignment_tasks VALUES (?,?)", [(doc["id"], t) for t in task_ids])
    return seq


def get_team_by_assignment(conn: Connection, assignment_id: str) -> set[str] | None:
    """The team's user ids, or None when there is no such assignment."""
    rows = conn.execute(
        "SELECT a.id, t.user_id FROM assignments a LEFT JOIN assignment_team t ON t.assignment_id = a.id"
        " WHERE a.id = ?", (assignment_id,)).fetchall()
    if not rows:
        return None
    return {row["user_id"] for row in rows if row["user_id"] is not None}


def list_feed_by_user(conn: Connection, user_id: str, after: int, limit: int) -> list[Row]:
    return conn.execute(
        "SELECT a.seq, 'assignment' AS kind, a.doc FROM assignment_team t JOIN assignments a ON a.id = t.assignment_id"
        " WHERE t.user_id = ? AND a.seq > ?"
        " UNION ALL SELECT n.seq, n.kind, n.doc FROM notices n WHERE n.user_id = ? AND n.seq > ?"
        " ORDER BY 1 LIMIT ?", (user_id, after, user_id, after, limit)).fetchall()


def insert_notice(conn: Connection, user_id: str, kind: str, doc: str, now: str) -> None:
    conn.execute("INSERT INTO notices VALUES (?, ?, ?, ?, ?)", (next_seq(conn), user_id, kind, doc, now))


def get_assignment_doc(conn: Connection, assignment_id: str) -> str | None:
    row = conn.execute("SELECT doc FROM assignments WHERE id = ?", (assignment_id,)).fetchone()
    return None if row is None else row[0]


def list_due_by_with_risk(conn: Connection, last_day: str) -> list[Row]:
    """Assignments due on or before a day, with their unit's risk class, in feed order."""
    return conn.execute("SELECT a.id, a.doc, u.risk FROM assignments a JOIN units u ON u.id = a.unit_id"
                        " WHERE a.due <= ? ORDER BY a.seq", (last_day,)).fetchall()
