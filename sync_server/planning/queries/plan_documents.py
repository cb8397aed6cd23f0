"""The annual plan's versions (SQL only): plan_versions, one row per version, at most one draft."""
from __future__ import annotations

from typing import Any

from sync_server.db import Connection, Row


def list_plans_with_state(conn: Connection) -> list[Row]:
    """Every plan with its latest published version, whether a draft exists, and its task count."""
    return conn.execute(
        "SELECT p.id, p.year, p.title,"
        " (SELECT max(v.version) FROM plan_versions v WHERE v.plan_id = p.id AND v.state = 'published') AS published,"
        " (SELECT v.version FROM plan_versions v WHERE v.plan_id = p.id AND v.state = 'draft') AS draft,"
        " (SELECT count(*) FROM tasks t WHERE t.plan_id = p.id) AS tasks"
        " FROM plans p ORDER BY p.year DESC").fetchall()


def list_versions(conn: Connection, plan_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM plan_versions WHERE plan_id = ? ORDER BY version DESC", (plan_id,)).fetchall()


def list_published_versions(conn: Connection, plan_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM plan_versions WHERE plan_id = ? AND state = 'published'"
                        " ORDER BY version DESC", (plan_id,)).fetchall()


def get_version(conn: Connection, plan_id: str, version: int) -> Row | None:
    return conn.execute("SELECT * FROM plan_versions WHERE plan_id = ? AND version = ?",
                        (plan_id, version)).fetchone()


def get_draft(conn: Connection, plan_id: str) -> Row | None:
    return conn.execute("SELECT * FROM plan_versions WHERE plan_id = ? AND state = 'draft'", (plan_id,)).fetchone()


def get_latest_published(conn: Connection, plan_id: str) -> Row | None:
    return conn.execute("SELECT * FROM plan_versions WHERE plan_id = ? AND state = 'published'"
                        " ORDER BY version DESC LIMIT 1", (plan_id,)).fetchone()


def insert_draft(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO plan_versions (plan_id, version, title, body, reason, state, edit, created_at, created_by,"
        " created_by_name, updated_at, updated_by, updated_by_name) VALUES (:plan_id, :version, :title, :body,"
        " :reason, 'draft', 1, :at, :by, :name, :at, :by, :name)", row)


def update_draft(conn: Connection, plan_id: str, version: int, edit: int, row: dict[str, Any]) -> int:
    """Saves a draft if it is still the one at `edit`; the number of rows changed (0: stale)."""
    return conn.execute(
        "UPDATE plan_versions SET title = :title, body = :body, reason = :reason, edit = edit + 1,"
        " updated_at = :at, updated_by = :by, updated_by_name = :name"
        " WHERE plan_id = :plan_id AND version = :version AND state = 'draft' AND edit = :edit",
        {**row, "plan_id": plan_id, "version": version, "edit": edit}).rowcount


def publish_draft(conn: Connection, plan_id: str, version: int, edit: int, row: dict[str, Any]) -> int:
    """Turns the draft at `edit` into a published version (the last write it ever takes)."""
    return conn.execute(
        "UPDATE plan_versions SET state = 'published', published_at = :at, published_by = :by,"
        " published_by_name = :name, content = :content, sha256 = :sha256"
        " WHERE plan_id = :plan_id AND version = :version AND state = 'draft' AND edit = :edit",
        {**row, "plan_id": plan_id, "version": version, "edit": edit}).rowcount


def delete_draft(conn: Connection, plan_id: str, version: int, edit: int) -> int:
    return conn.execute("DELETE FROM plan_versions WHERE plan_id = ? AND version = ? AND state = 'draft'"
                        " AND edit = ?", (plan_id, version, edit)).rowcount


def set_plan_title(conn: Connection, plan_id: str, title: str) -> None:
    """The plan's title as its latest published version gives it (what the public list shows)."""
    conn.execute("UPDATE plans SET title = ? WHERE id = ?", (title, plan_id))


def list_tasks_of_plan(conn: Connection, plan_id: str) -> list[Row]:
    return conn.execute("SELECT id, number, title, specialty, specialties, period_start, period_end, state"
                        " FROM tasks WHERE plan_id = ? ORDER BY period_start, number", (plan_id,)).fetchall()
