"""Units, items, plans and tasks (SQL only)."""
from __future__ import annotations

import json
from typing import Any, Iterable

from sync_server.db import Connection, Row

UNIT_COLUMNS = ("id", "name", "address", "specialty", "category", "tags", "risk", "complaints",
                "serious_violations", "covered", "contact", "phone", "town")


def upsert_units(conn: Connection, units: Iterable[dict[str, Any]], now: str) -> None:
    cols = ",".join(UNIT_COLUMNS)
    marks = ",".join(f":{c}" for c in UNIT_COLUMNS)
    updates = ",".join(f"{c}=excluded.{c}" for c in UNIT_COLUMNS[1:])
    conn.executemany(
        f"INSERT INTO units ({cols}, updated_at) VALUES ({marks}, :now)"
        f" ON CONFLICT(id) DO UPDATE SET {updates}, updated_at=excluded.updated_at",
        ({**u, "tags": json.dumps(list(u["tags"]), ensure_ascii=False), "covered": int(u["covered"]),
          "now": now} for u in units))


def get_unit_by_id(conn: Connection, unit_id: str) -> Row | None:
    return conn.execute("SELECT * FROM units WHERE id = ?", (unit_id,)).fetchone()


def upsert_items(conn: Connection, items: Iterable[dict[str, Any]], version: int) -> None:
    conn.executemany(
        "INSERT INTO items (code, version, name, specialty, legal_basis, subject, content,"
        " method, frequency, applies_to) VALUES (:code, :version, :name, :specialty, :legal_basis, :subject,"
        " :content, :method, :frequency, :applies_to) ON CONFLICT (code, version) DO UPDATE SET name = excluded.name,"
        " specialty = excluded.specialty, legal_basis = excluded.legal_basis, subject = excluded.subject,"
        " content = excluded.content, method = excluded.method, frequency = excluded.frequency,"
        " applies_to = excluded.applies_to",
        ({**i, "version": version, "applies_to": json.dumps(list(i.get("applies_to", ())), ensure_ascii=False)}
         for i in items))


def list_items_latest(conn: Connection) -> list[Row]:
    return conn.execute(
        "SELECT * FROM items WHERE version = (SELECT max(version) FROM items) ORDER BY code").fetchall()


def insert_plan(conn: Connection, plan: dict[str, Any], now: str) -> None:
    conn.execute("INSERT INTO plans (id, year, title, created_at) VALUES (?,?,?,?) ON CONFLICT (id)"
                 " DO UPDATE SET year = excluded.year, title = excluded.title, created_at = excluded.created_at",
                 (plan["id"], plan["year"], plan["title"], now))


def list_existing_ids(conn: Connection, table: str, ids: list[str]) -> set[str]:
    """Which of these keys are already in units or users (the import's updated count)."""
    assert table in ("units", "users")
    found: set[str] = set()
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        marks = ",".join("?" * len(part))
        found |= {r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", part)}
    return found


def next_item_version(conn: Connection) -> int:
    return conn.execute("SELECT coalesce(max(version), 0) + 1 FROM items").fetchone()[0]


def insert_item_list_version(conn: Connection, version: int, now: str, source: str,
                             sha256: str, rows: int) -> None:
    conn.execute("INSERT INTO item_list_versions VALUES (?, ?, ?, ?, ?)", (version, now, source, sha256, rows))


def list_items_by_version(conn: Connection, version: int) -> list[Row]:
    return conn.execute("SELECT * FROM items WHERE version = ? ORDER BY code", (version,)).fetchall()
