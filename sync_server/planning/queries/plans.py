"""Plans, tasks, exclusions and draws (SQL only)."""
from __future__ import annotations

import json
from typing import Any, Iterable

from sync_server.db import Connection, Row


def get_task_by_key(conn: Connection, key: str) -> Row | None:
    """A task by its id or its published number."""
    return conn.execute("SELECT * FROM tasks WHERE id = ? OR number = ?", (key, key)).fetchone()


def list_tasks(conn: Connection) -> list[Row]:
    return conn.execute("SELECT t.*, p.year FROM tasks t JOIN plans p ON p.id = t.plan_id"
                        " ORDER BY p.year, t.period_start, t.number").fetchall()


def get_plan_by_year(conn: Connection, year: int) -> Row | None:
    return conn.execute("SELECT * FROM plans WHERE year = ? ORDER BY id LIMIT 1", (year,)).fetchone()


def insert_task_row(conn: Connection, task: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO tasks (id, plan_id, number, title, specialty, specialties, item_codes, ratio_percent,"
        " team_size, period_start, period_end, state, strata, risk_weights, item_version, redraw_of, reason,"
        " created_at) VALUES (:id, :plan_id, :number, :title, :specialty, :specialties, :item_codes,"
        " :ratio_percent, :team_size, :period_start, :period_end, 'planned', :strata, :risk_weights,"
        " :item_version, :redraw_of, :reason, :created_at)",
        {**task, "specialties": json.dumps(task["specialties"]), "item_codes": json.dumps(task["item_codes"]),
         "strata": json.dumps(task["strata"], ensure_ascii=False),
         "risk_weights": None if task["risk_weights"] is None else json.dumps(task["risk_weights"])})


def set_task_state(conn: Connection, task_id: str, state: str, strata: list | None = None) -> None:
    if strata is None:
        conn.execute("UPDATE tasks SET state = ? WHERE id = ?", (state, task_id))
    else:
        conn.execute("UPDATE tasks SET state = ?, strata = ? WHERE id = ?",
                     (state, json.dumps(strata, ensure_ascii=False), task_id))


def list_units_for_population(conn: Connection) -> list[Row]:
    return conn.execute("SELECT id, specialty, tags, risk, covered FROM units ORDER BY id").fetchall()


def insert_task_exclusion(conn: Connection, task_id: str, unit_id: str, reason: str, note: str) -> None:
    conn.execute("INSERT INTO task_exclusions (task_id, unit_id, reason, note) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT (task_id, unit_id) DO UPDATE SET reason = excluded.reason, note = excluded.note",
                 (task_id, unit_id, reason, note))


def list_task_exclusions(conn: Connection, task_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM task_exclusions WHERE task_id = ? ORDER BY unit_id", (task_id,)).fetchall()


def insert_draw_exclusion(conn: Connection, task_id: str, inspector: str, unit: str, reason: str) -> None:
    conn.execute("INSERT INTO draw_exclusions (task_id, inspector_id, unit_id, reason) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT (task_id, inspector_id, unit_id) DO UPDATE SET reason = excluded.reason",
                 (task_id, inspector, unit, reason))


def list_draw_exclusions(conn: Connection, task_id: str) -> list[Row]:
    return conn.execute("SELECT * FROM draw_exclusions WHERE task_id = ? ORDER BY inspector_id, unit_id",
                        (task_id,)).fetchall()


def list_eligible_inspectors(conn: Connection, valid_on: str) -> list[Row]:
    return conn.execute(
        "SELECT id, name, specialties FROM users WHERE role = 'inspector' AND active = 1"
        " AND cert_valid_until >= ? ORDER BY id", (valid_on,)).fetchall()


def count_load_by_inspector(conn: Connection, year: int) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT t.user_id, count(*) FROM assignment_team t JOIN assignments a ON a.id = t.assignment_id"
        " WHERE substr(a.due, 1, 4) = ? GROUP BY t.user_id", (str(year),)).fetchall())


def insert_draw(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO draws (task_id, announcement, announcement_hash, announced_at, beacon, beacon_at,"
        " announce_log_index) VALUES (:task_id, :announcement, :announcement_hash, :announced_at, :beacon,"
        " :beacon_at, :announce_log_index)", row)


def get_draw_by_task(conn: Connection, task_id: str) -> Row | None:
    return conn.execute("SELECT * FROM draws WHERE task_id = ?", (task_id,)).fetchone()


def set_draw_reveal(conn: Connection, task_id: str, reveal: bytes, now: str) -> None:
    conn.execute("UPDATE draws SET reveal = ?, revealed_at = ? WHERE task_id = ?", (reveal, now, task_id))


def set_draw_result(conn: Connection, task_id: str, result: bytes, result_hash: str, now: str,
                    log_index: int) -> None:
    conn.execute("UPDATE draws SET result = ?, result_hash = ?, drawn_at = ?, draw_log_index = ?"
                 " WHERE task_id = ?", (result, result_hash, now, log_index, task_id))


def list_items_by_codes(conn: Connection, codes: Iterable[str]) -> list[Row]:
    wanted = list(codes)
    marks = ",".join("?" * len(wanted))
    return conn.execute(
        f"SELECT * FROM items WHERE code IN ({marks}) AND version = (SELECT max(version) FROM items)",
        wanted).fetchall() if wanted else []


def list_item_codes_by_specialties(conn: Connection, specialties: Iterable[str]) -> list[str]:
    wanted = list(specialties)
    marks = ",".join("?" * len(wanted))
    return [row[0] for row in conn.execute(
        f"SELECT code FROM items WHERE specialty IN ({marks}) AND version = (SELECT max(version) FROM items)"
        f" ORDER BY code", wanted)]


def find_open_visit(conn: Connection, unit_id: str, start: str, end: str) -> Row | None:
    """An open assignment of the unit, from a task whose period overlaps, with no record yet."""
    return conn.execute(
        "SELECT a.* FROM assignments a JOIN assignment_tasks at ON at.assignment_id = a.id"
        " JOIN tasks t ON t.id = at.task_id WHERE a.unit_id = ? AND a.status = 'open'"
        " AND t.period_start <= ? AND t.period_end >= ?"
        " AND NOT EXISTS (SELECT 1 FROM records r WHERE r.assignment_id = a.id)"
        " ORDER BY a.created_at LIMIT 1", (unit_id, end, start)).fetchone()


def update_assignment(conn: Connection, doc: dict[str, Any], new_members: list[str],
                      task_id: str, seq: int) -> None:
    conn.execute("UPDATE assignments SET doc = ?, version = ?, seq = ?, due = ? WHERE id = ?",
                 (json.dumps(doc, ensure_ascii=False, separators=(",", ":")), doc["version"], seq,
                  doc["due"], doc["id"]))
    conn.executemany("INSERT INTO assignment_team (assignment_id, user_id) VALUES (?, ?)"
                     " ON CONFLICT (assignment_id, user_id) DO NOTHING", [(doc["id"], m) for m in new_members])
    conn.execute("INSERT INTO assignment_tasks (assignment_id, task_id) VALUES (?, ?)"
                 " ON CONFLICT (assignment_id, task_id) DO NOTHING", (doc["id"], task_id))


def list_items_by_specialties(conn: Connection, specialties: Iterable[str]) -> list[Row]:
    """The current item list's items of some specialties (code, name, specialty), by code."""
    wanted = list(specialties)
    marks = ",".join("?" * len(wanted))
    return conn.execute(
        f"SELECT code, name, specialty FROM items WHERE specialty IN ({marks})"
        f" AND version = (SELECT max(version) FROM items) ORDER BY code", wanted).fetchall() if wanted else []


def count_tasks_by_year(conn: Connection) -> dict[int, int]:
    return {int(row[0]): row[1] for row in conn.execute(
        "SELECT p.year, count(*) FROM tasks t JOIN plans p ON p.id = t.plan_id GROUP BY p.year")}


def list_tasks_by_year(conn: Connection, year: int) -> list[Row]:
    return conn.execute("SELECT t.*, p.year FROM tasks t JOIN plans p ON p.id = t.plan_id WHERE p.year = ?"
                        " ORDER BY t.period_start, t.created_at, t.id", (year,)).fetchall()


def delete_task_exclusion(conn: Connection, task_id: str, unit_id: str) -> int:
    return conn.execute("DELETE FROM task_exclusions WHERE task_id = ? AND unit_id = ?", (task_id, unit_id)).rowcount


def delete_draw_exclusion(conn: Connection, task_id: str, inspector: str, unit_id: str) -> int:
    return conn.execute("DELETE FROM draw_exclusions WHERE task_id = ? AND inspector_id = ? AND unit_id = ?",
                        (task_id, inspector, unit_id)).rowcount


def list_unit_names(conn: Connection) -> list[Row]:
    return conn.execute("SELECT id, name FROM units WHERE covered = 1 ORDER BY id").fetchall()
