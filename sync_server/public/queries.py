"""What the public pages read (SQL only)."""
from __future__ import annotations

from sync_server.db import Connection, Row


def list_item_versions(conn: Connection) -> list[Row]:
    return conn.execute("SELECT version, imported_at, rows FROM item_list_versions ORDER BY version DESC").fetchall()


def list_items(conn: Connection, version: int, specialty: str | None) -> list[Row]:
    if specialty is None:
        return conn.execute("SELECT * FROM items WHERE version = ? ORDER BY code", (version,)).fetchall()
    return conn.execute("SELECT * FROM items WHERE version = ? AND specialty = ? ORDER BY code",
                        (version, specialty)).fetchall()


def latest_item_version(conn: Connection) -> int | None:
    return conn.execute("SELECT max(version) FROM items").fetchone()[0]


def list_plans(conn: Connection) -> list[Row]:
    """Every plan with its task count and its latest published version (number, date; none: NULL)."""
    return conn.execute(
        "SELECT p.*, (SELECT count(*) FROM tasks t WHERE t.plan_id = p.id) AS tasks, v.version, v.published_at"
        " FROM plans p LEFT JOIN plan_versions v ON v.plan_id = p.id AND v.version = (SELECT max(w.version)"
        " FROM plan_versions w WHERE w.plan_id = p.id AND w.state = 'published') ORDER BY p.year DESC").fetchall()


def get_plan_by_year(conn: Connection, year: int) -> Row | None:
    return conn.execute("SELECT * FROM plans WHERE year = ?", (year,)).fetchone()


def list_tasks_by_plan(conn: Connection, plan_id: str) -> list[Row]:
    return conn.execute("SELECT t.*, d.announcement_hash, d.result_hash FROM tasks t LEFT JOIN draws d"
                        " ON d.task_id = t.id WHERE t.plan_id = ? ORDER BY t.period_start, t.number",
                        (plan_id,)).fetchall()


def get_task_with_draw(conn: Connection, task_id: str) -> Row | None:
    return conn.execute(
        "SELECT t.*, d.announcement, d.announcement_hash, d.announced_at, d.beacon, d.beacon_at, d.reveal,"
        " d.revealed_at, d.result, d.result_hash, d.drawn_at FROM tasks t LEFT JOIN draws d ON d.task_id = t.id"
        " WHERE t.id = ?", (task_id,)).fetchone()


def names_by_ids(conn: Connection, table: str, ids: list[str]) -> dict[str, str]:
    assert table in ("units", "users")
    found: dict[str, str] = {}
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        marks = ",".join("?" * len(part))
        found.update(conn.execute(f"SELECT id, name FROM {table} WHERE id IN ({marks})", part).fetchall())
    return found


def list_exclusions_by_task(conn: Connection, task_id: str) -> list[Row]:
    """The units a task left out of its population, with the reason and note, and each unit's name."""
    return conn.execute("SELECT e.unit_id, e.reason, e.note, coalesce(u.name, '') AS name FROM task_exclusions e"
                        " LEFT JOIN units u ON u.id = e.unit_id WHERE e.task_id = ? ORDER BY e.unit_id",
                        (task_id,)).fetchall()


def list_handed_down_units(conn: Connection, task_id: str) -> list[Row]:
    """The units a higher level drew and handed down in a task, with their names."""
    return conn.execute("SELECT h.unit_id, coalesce(u.name, '') AS name FROM handed_down_units h"
                        " LEFT JOIN units u ON u.id = h.unit_id WHERE h.task_id = ? ORDER BY h.unit_id",
                        (task_id,)).fetchall()


def list_witnesses_by_task(conn: Connection, task_id: str) -> list[Row]:
    """A draw's named witnesses as published (never their links): name, role, commitment."""
    return conn.execute("SELECT name, role, commitment, committed_at, opened_at FROM draw_witnesses"
                        " WHERE task_id = ? ORDER BY position", (task_id,)).fetchall()


def list_resolutions_by_task(conn: Connection, task_id: str) -> list[Row]:
    """How a person resolved each unit no team could take, with the published reason."""
    return conn.execute("SELECT unit_id, team, reason, resolved_at FROM draw_resolutions WHERE task_id = ?"
                        " ORDER BY resolved_at, unit_id", (task_id,)).fetchall()
