"""Assignments, their teams, and the pull feed (SQL only)."""
from __future__ import annotations

import json
from typing import Any, Iterable

from sync_server.db import Connection, Row, in_lists


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


def list_teams_by_assignments(conn: Connection, assignment_ids: Iterable[str]) -> dict[str, set[str]]:
    """Each existing assignment's team (user ids), for these ids; an unknown id is absent."""
    teams: dict[str, set[str]] = {}
    for marks, part in in_lists(assignment_ids):
        for row in conn.execute("SELECT a.id, t.user_id FROM assignments a LEFT JOIN assignment_team t"
                                f" ON t.assignment_id = a.id WHERE a.id IN ({marks})", part):
            team = teams.setdefault(row["id"], set())
            if row["user_id"] is not None:
                team.add(row["user_id"])
    return teams


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


def get_assignment_by_id(conn: Connection, assignment_id: str) -> Row | None:
    return conn.execute("SELECT * FROM assignments WHERE id = ?", (assignment_id,)).fetchone()


def count_records_by_assignment(conn: Connection, assignment_id: str) -> int:
    return conn.execute("SELECT count(*) FROM records WHERE assignment_id = ?", (assignment_id,)).fetchone()[0]


def list_task_ids_by_assignment(conn: Connection, assignment_id: str) -> list[str]:
    return [row[0] for row in conn.execute(
        "SELECT task_id FROM assignment_tasks WHERE assignment_id = ? ORDER BY task_id", (assignment_id,))]


def replace_team_member(conn: Connection, doc: dict[str, Any], replaced: str, replacement: str, seq: int) -> None:
    """The stored document (new version, new feed position) and the team table, as one change."""
    conn.execute("UPDATE assignments SET doc = ?, version = ?, seq = ? WHERE id = ?",
                 (json.dumps(doc, ensure_ascii=False, separators=(",", ":")), doc["version"], seq, doc["id"]))
    conn.execute("DELETE FROM assignment_team WHERE assignment_id = ? AND user_id = ?", (doc["id"], replaced))
    conn.execute("INSERT INTO assignment_team (assignment_id, user_id) VALUES (?, ?)", (doc["id"], replacement))


def count_recusals(conn: Connection, task_ids: list[str], inspector: str, unit_id: str) -> int:
    """Recusals or rotations of the inspector for the unit in any of the tasks (before the draw)."""
    marks = ",".join("?" * len(task_ids))
    return conn.execute(
        f"SELECT count(*) FROM draw_exclusions WHERE task_id IN ({marks}) AND inspector_id = ? AND unit_id = ?",
        (*task_ids, inspector, unit_id)).fetchone()[0] if task_ids else 0


def count_late_recusals(conn: Connection, inspector: str, unit_id: str) -> int:
    """Times the inspector was taken off a visit of the unit because of a recusal found after the draw."""
    return conn.execute(
        "SELECT count(*) FROM visit_reassignments r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE r.replaced = ? AND a.unit_id = ? AND r.reason = 'recusal'", (inspector, unit_id)).fetchone()[0]


def insert_reassignment(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute("INSERT INTO visit_reassignments (assignment_id, replaced, replacement, reason, note, by, at,"
                 " log_index) VALUES (:assignment_id, :replaced, :replacement, :reason, :note, :by, :at, :log_index)",
                 row)


def list_reassignments_by_assignment(conn: Connection, assignment_id: str) -> list[Row]:
    return conn.execute(
        "SELECT r.*, o.name AS replaced_name, n.name AS replacement_name FROM visit_reassignments r"
        " LEFT JOIN users o ON o.id = r.replaced LEFT JOIN users n ON n.id = r.replacement"
        " WHERE r.assignment_id = ? ORDER BY r.id", (assignment_id,)).fetchall()


def list_visits_by_task(conn: Connection, task_id: str) -> list[Row]:
    """A task's visits (joint ones too) with their unit, other tasks, team and whether a record came."""
    return conn.execute(
        "SELECT a.id, a.unit_id, a.due, a.status, a.version, a.doc,"
        " (SELECT count(*) FROM assignment_tasks x WHERE x.assignment_id = a.id) AS task_count,"
        " CASE WHEN EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id) THEN 1 ELSE 0 END AS has_record"
        " FROM assignment_tasks at JOIN assignments a ON a.id = at.assignment_id"
        " WHERE at.task_id = ? ORDER BY a.unit_id", (task_id,)).fetchall()


def list_visits_by_officer(conn: Connection, user_id: str, year: int) -> list[Row]:
    """An officer's visits due in a year, with whether a record came."""
    return conn.execute(
        "SELECT a.id, a.unit_id, a.due, a.status, a.version, a.doc,"
        " CASE WHEN EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id) THEN 1 ELSE 0 END AS has_record"
        " FROM assignment_team t JOIN assignments a ON a.id = t.assignment_id"
        " WHERE t.user_id = ? AND substr(a.due, 1, 4) = ? ORDER BY a.due, a.unit_id", (user_id, str(year))).fetchall()


def count_visits_by_officer(conn: Connection, year: int) -> list[Row]:
    """Every officer with visits due in a year: how many, how many with a record."""
    return conn.execute(
        "SELECT u.id, u.name, count(*) AS visits,"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id)) AS recorded"
        " FROM assignment_team t JOIN assignments a ON a.id = t.assignment_id JOIN users u ON u.id = t.user_id"
        " WHERE substr(a.due, 1, 4) = ? GROUP BY u.id, u.name ORDER BY u.id", (str(year),)).fetchall()
