"""Tasks handed down by a higher level (国抽、省抽、市抽) and their units (SQL only)."""
from __future__ import annotations

from typing import Iterable

from sync_server.db import Connection, Row


def set_task_origin(conn: Connection, task_id: str, origin: str, office: str, number: str, document: str,
                    state: str) -> None:
    conn.execute("UPDATE tasks SET origin = ?, origin_office = ?, origin_number = ?, origin_document = ?, state = ?"
                 " WHERE id = ?", (origin, office, number, document, state, task_id))


def insert_units(conn: Connection, task_id: str, unit_ids: Iterable[str]) -> None:
    conn.executemany("INSERT INTO handed_down_units (task_id, unit_id) VALUES (?, ?)",
                     [(task_id, u) for u in unit_ids])


def list_units(conn: Connection, task_id: str) -> list[Row]:
    """A handed-down task's units, with their names, by id."""
    return conn.execute("SELECT h.unit_id, u.name FROM handed_down_units h JOIN units u ON u.id = h.unit_id"
                        " WHERE h.task_id = ? ORDER BY h.unit_id", (task_id,)).fetchall()


def list_unarranged_units(conn: Connection, task_id: str) -> list[str]:
    """A handed-down task's units with no visit for the task yet (handed down by a parent office,
    waiting for the county to name the team)."""
    return [row[0] for row in conn.execute(
        "SELECT h.unit_id FROM handed_down_units h WHERE h.task_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM assignment_tasks at JOIN assignments a ON a.id = at.assignment_id"
        "  WHERE at.task_id = h.task_id AND a.unit_id = h.unit_id) ORDER BY h.unit_id", (task_id,))]


def list_units_of_year(conn: Connection, year: int, but_task: str = "") -> list[Row]:
    """Every unit of a handed-down task of a plan year (but one task), with the task that holds it:
    unit_id, number, origin, origin_office, origin_number."""
    return conn.execute(
        "SELECT h.unit_id, t.id AS task_id, t.number, t.origin, t.origin_office, t.origin_number"
        " FROM handed_down_units h JOIN tasks t ON t.id = h.task_id JOIN plans p ON p.id = t.plan_id"
        " WHERE p.year = ? AND t.id <> ? ORDER BY h.unit_id, t.number", (year, but_task)).fetchall()


def plan_year_of_task(conn: Connection, task_id: str) -> int | None:
    row = conn.execute("SELECT p.year FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE t.id = ?",
                       (task_id,)).fetchone()
    return None if row is None else int(row[0])


def list_active_inspectors(conn: Connection, ids: Iterable[str], valid_on: str) -> set[str]:
    """Of some user ids, those who are active inspectors with a certificate valid on a day."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    marks = ",".join("?" * len(wanted))
    return {row[0] for row in conn.execute(
        f"SELECT id FROM users WHERE id IN ({marks}) AND role = 'inspector' AND active = 1"
        f" AND cert_valid_until >= ?", [*wanted, valid_on])}


def list_known_units(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found |= {row[0] for row in conn.execute(f"SELECT id FROM units WHERE id IN ({marks})", chunk)}
    return found
