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
                             sha256: str, rows: int, imported_by: str = "", filename: str = "") -> None:
    conn.execute("INSERT INTO item_list_versions (version, imported_at, source, sha256, rows, imported_by, filename)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?)", (version, now, source, sha256, rows, imported_by, filename))


def list_items_by_version(conn: Connection, version: int) -> list[Row]:
    return conn.execute("SELECT * FROM items WHERE version = ? ORDER BY code", (version,)).fetchall()


# --- the office console (sync_server/office/registry.py): staged imports, browsing, edits ---

INSPECTOR_ROLES = ("inspector", "leader")


def get_rows_by_keys(conn: Connection, kind: str, keys: list[str]) -> list[Row]:
    """The stored units or officers with these keys (an import's preview and its confirm)."""
    table = "units" if kind == "units" else "users"
    found: list[Row] = []
    for start in range(0, len(keys), 900):
        part = keys[start:start + 900]
        marks = ",".join("?" * len(part))
        found += conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", part).fetchall()
    return found


def count_units(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM units").fetchone()[0]


def count_officers(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM users WHERE role IN ('inspector', 'leader')").fetchone()[0]


def latest_item_version(conn: Connection) -> int:
    return conn.execute("SELECT coalesce(max(version), 0) FROM items").fetchone()[0]


def insert_staged_import(conn: Connection, staged: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO registry_staged_imports (id, account, kind, filename, sha256, bytes, created_at, basis,"
        " summary, errors, rows) VALUES (:id, :account, :kind, :filename, :sha256, :bytes, :created_at, :basis,"
        " :summary, :errors, :rows)", staged)


def get_staged_import(conn: Connection, staged_id: str) -> Row | None:
    return conn.execute("SELECT id, account, kind, filename, sha256, bytes, created_at, basis, summary, state,"
                        " applied_at FROM registry_staged_imports WHERE id = ?", (staged_id,)).fetchone()


def get_staged_blob(conn: Connection, staged_id: str, column: str) -> bytes:
    assert column in ("errors", "rows")
    row = conn.execute(f"SELECT {column} FROM registry_staged_imports WHERE id = ?", (staged_id,)).fetchone()
    return bytes(row[0]) if row else b""


def mark_staged_applied(conn: Connection, staged_id: str, now: str) -> bool:
    cur = conn.execute("UPDATE registry_staged_imports SET state = 'applied', applied_at = ?, rows = ?"
                       " WHERE id = ? AND state = 'previewed'", (now, b"", staged_id))
    return cur.rowcount == 1


def delete_staged_before(conn: Connection, before: str) -> None:
    """Previews never confirmed, and the blobs of old ones, go after a day."""
    conn.execute("DELETE FROM registry_staged_imports WHERE created_at < ?", (before,))


def _unit_filter(q: str, specialty: str, town: str, category: str) -> tuple[str, list[Any]]:
    where, args = ["1 = 1"], []
    if q:
        where.append("(name LIKE ? OR id LIKE ? OR address LIKE ?)")
        args += [f"%{q}%", f"{q.upper()}%", f"%{q}%"]
    for column, value in (("specialty", specialty), ("town", town), ("category", category)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    return " AND ".join(where), args


def search_units(conn: Connection, q: str, specialty: str, town: str, category: str,
                 limit: int, offset: int) -> list[Row]:
    where, args = _unit_filter(q, specialty, town, category)
    return conn.execute(f"SELECT * FROM units WHERE {where} ORDER BY name, id LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()


def count_units_matching(conn: Connection, q: str, specialty: str, town: str, category: str) -> int:
    where, args = _unit_filter(q, specialty, town, category)
    return conn.execute(f"SELECT count(*) FROM units WHERE {where}", args).fetchone()[0]


def list_unit_towns(conn: Connection) -> list[str]:
    return _distinct_values(conn, "town")


def list_unit_categories(conn: Connection) -> list[str]:
    return _distinct_values(conn, "category")


def _distinct_values(conn: Connection, column: str) -> list[str]:
    """A column's distinct non-empty values in order, by hopping through its index from one value to
    the next (a few dozen index seeks, not a scan and sort of every unit: 100,000 units took 80 ms
    with DISTINCT). Recursive CTEs read the same on PostgreSQL."""
    assert column in ("town", "category")
    return [r[0] for r in conn.execute(
        f"WITH RECURSIVE hop(v) AS (SELECT min({column}) FROM units WHERE {column} > ''"
        f" UNION ALL SELECT (SELECT min({column}) FROM units WHERE {column} > hop.v) FROM hop WHERE hop.v IS NOT NULL)"
        " SELECT v FROM hop WHERE v IS NOT NULL")]


def update_unit(conn: Connection, unit: dict[str, Any], now: str) -> None:
    sets = ",".join(f"{c} = :{c}" for c in UNIT_COLUMNS[1:])
    conn.execute(f"UPDATE units SET {sets}, updated_at = :now WHERE id = :id",
                 {**unit, "tags": json.dumps(list(unit["tags"]), ensure_ascii=False),
                  "covered": int(unit["covered"]), "now": now})


def _officer_filter(q: str, department: str, specialty: str, expiring_by: str) -> tuple[str, list[Any]]:
    where, args = ["role IN ('inspector', 'leader')"], []
    if q:
        where.append("(name LIKE ? OR id LIKE ?)")
        args += [f"%{q}%", f"{q}%"]
    if department:
        where.append("department = ?")
        args.append(department)
    if specialty:
        where.append("CAST(specialties AS TEXT) LIKE ?")   # a JSON column on PostgreSQL
        args.append(f'%"{specialty}"%')
    if expiring_by:
        where.append("cert_valid_until <= ?")
        args.append(expiring_by)
    return " AND ".join(where), args


def search_officers(conn: Connection, q: str, department: str, specialty: str, expiring_by: str,
                    limit: int, offset: int) -> list[Row]:
    where, args = _officer_filter(q, department, specialty, expiring_by)
    return conn.execute(f"SELECT * FROM users WHERE {where} ORDER BY name, id LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()


def count_officers_matching(conn: Connection, q: str, department: str, specialty: str, expiring_by: str) -> int:
    where, args = _officer_filter(q, department, specialty, expiring_by)
    return conn.execute(f"SELECT count(*) FROM users WHERE {where}", args).fetchone()[0]


def list_officer_departments(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT department FROM users WHERE department != ''"
                                       " AND role IN ('inspector', 'leader') ORDER BY department")]


def get_officer_by_id(conn: Connection, officer_id: str) -> Row | None:
    return conn.execute("SELECT * FROM users WHERE id = ? AND role IN ('inspector', 'leader')",
                        (officer_id,)).fetchone()


def update_officer(conn: Connection, officer: dict[str, Any]) -> None:
    conn.execute("UPDATE users SET name = :name, role = :role, department = :department,"
                 " specialties = :specialties, cert_valid_until = :cert_valid_until, phone = :phone WHERE id = :id",
                 {**officer, "specialties": json.dumps(list(officer["specialties"]), ensure_ascii=False)})


def list_item_list_versions(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM item_list_versions ORDER BY version DESC").fetchall()


def get_item_list_version(conn: Connection, version: int) -> Row | None:
    return conn.execute("SELECT * FROM item_list_versions WHERE version = ?", (version,)).fetchone()

