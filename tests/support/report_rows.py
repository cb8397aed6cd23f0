"""Rows for the report tests and the report benchmark, written straight into a migrated database
(a SQLite file or a PostgreSQL database): units, a plan with tasks and their assignments,
disclosure entries, publications and follow-ups. Foreign keys are switched off on this connection
only (SQLite: the pragma; PostgreSQL: session_replication_role, which the tests' cluster's
superuser may set): the reports count these tables, and the signed records, users and devices
behind them play no part in the counting."""
from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Sequence

from sync_server.db.dialect import dialect_of

STAMP = "2025-01-01T00:00:00.000Z"
RISK = json.dumps({"A": 1, "B": 2, "C": 4, "D": 8})


class Rows:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.postgres = dialect_of(conn).engine == "postgresql"
        conn.execute("SET session_replication_role = replica" if self.postgres else "PRAGMA foreign_keys=OFF")
        self.seq = conn.execute("SELECT coalesce(max(seq), 0) FROM assignments").fetchone()[0]
        self.next_id = conn.execute("SELECT coalesce(max(id), 0) FROM disclosures").fetchone()[0]
        self.columns: dict[str, dict[str, tuple[str, bool]]] = {}

    def insert(self, table: str, rows: list[dict[str, object]]) -> None:
        """Insert by column name; a required column these rows do not know (the schema grows) gets
        an empty value of its type."""
        if not rows:
            return
        columns = self.columns.get(table)
        if columns is None:
            columns = self.columns[table] = self._columns(table)
        extra = {name: (0 if kind.upper() in ("INTEGER", "BIGINT", "SMALLINT") else "")
                 for name, (kind, required) in columns.items()
                 if required and name not in rows[0]}
        names = [name for name in rows[0] if name in columns] + list(extra)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        self.conn.executemany(sql, [[{**extra, **row}[name] for name in names] for row in rows])

    def _columns(self, table: str) -> dict[str, tuple[str, bool]]:
        """Each column's type, and whether a row must give it (NOT NULL, no default, not the key)."""
        if self.postgres:
            info = self.conn.execute(
                "SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'"
                " FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()",
                (table,)).fetchall()
            return {c[0]: (c[1], bool(c[2])) for c in info}
        info = self.conn.execute(f"PRAGMA table_info({table})").fetchall()
        return {c[1]: (c[2], c[3] and c[4] is None and not c[5]) for c in info}

    def units(self, specialty: str, ids: Iterable[str], covered: int = 1, name: str = "单位") -> None:
        self.conn.executemany(
            "INSERT INTO units (id, name, address, specialty, covered, updated_at) VALUES (?, ?, '', ?, ?, ?)",
            [(uid, f"{name}{uid}", specialty, covered, STAMP) for uid in ids])

    def plan(self, year: int) -> str:
        plan_id = f"plan-{year}"
        self.conn.execute("INSERT INTO plans VALUES (?, ?, ?, ?)", (plan_id, year, f"{year}年度抽查计划", STAMP))
        return plan_id

    def task(self, plan_id: str, task_id: str, specialties: Sequence[str], start: str, state: str = "drawn",
             risk: bool = True, units: Iterable[str] = ()) -> None:
        self.conn.execute(
            "INSERT INTO tasks (id, plan_id, number, title, specialty, item_codes, ratio_percent, period_start,"
            " period_end, state, specialties, risk_weights) VALUES (?, ?, ?, ?, ?, '[]', 5, ?, ?, ?, ?, ?)",
            (task_id, plan_id, task_id, f"任务{task_id}", specialties[0], start, start, state,
             json.dumps(list(specialties)), RISK if risk else None))
        for unit in units:
            self.assign(unit, task_id)

    def assign(self, unit: str, task_id: str) -> None:
        self.seq += 1
        aid = f"A{self.seq:07d}"
        self.conn.execute("INSERT INTO assignments (id, unit_id, due, seq, doc, created_at) VALUES (?, ?, ?, ?, '{}', ?)",
                          (aid, unit, "2025-12-31", self.seq, STAMP))
        self.conn.execute("INSERT INTO assignment_tasks VALUES (?, ?)", (aid, task_id))

    def entry(self, specialty: str, year: int, half: int, record_category: str, category: str,
              due_on: str, publications: Sequence[tuple[str, int]] = (), state: str | None = None,
              reinspection: str | None = None, unit_name: str = "某单位") -> int:
        """One approved entry; publications as (due_on, late_days), one per revision met."""
        self.next_id += 1
        n = self.next_id
        state = state or ("published" if publications else "due")
        revision = max(len(publications) - (state == "published"), 0)
        inspected = f"{year}-{'03' if half == 1 else '09'}-01"
        self.insert("disclosures", [{
            "id": n, "no": f"{year}-{n:06d}", "record_id": f"R{n}", "assignment_id": "A", "unit_id": "U",
            "unit_name": unit_name, "specialty": specialty, "year": year, "half": half, "inspected_on": inspected,
            "record_category": record_category, "category": category, "tasks": "[]", "items": "[]",
            "handling": "{}", "body": "云溪", "approved_at": STAMP, "due_from": inspected, "due_days": 20,
            "due_on": due_on, "due_provisional": 0, "due_basis": "inspection", "revision": revision,
            "state": state}])
        self.insert("disclosure_publications", [{
            "disclosure_id": n, "revision": rev, "due_from": inspected, "due_days": 20, "due_on": due,
            "due_provisional": 0, "due_basis": "inspection", "published_at": STAMP, "published_on": due,
            "late_days": late, "doc_sha256": "h", "log_index": 0} for rev, (due, late) in enumerate(publications)])
        if reinspection:
            self.conn.execute("INSERT INTO followups (id, record_id, kind, on_date, doc, by_user, envelope_sha256,"
                              " received_at, log_index) VALUES (?, ?, 'reinspection', ?, ?, 'u', 'h', ?, 0)",
                              (f"F{n}", f"R{n}", due_on, json.dumps({"outcome": reinspection}), STAMP))
        return n


def pp(n: int) -> str:
    return f"PP{n:04d}"


def md(n: int) -> str:
    return f"MD{n:04d}"


def fill_2025(conn: sqlite3.Connection) -> None:
    """The small county of the report tests (figures worked out by hand in test_reports.py)."""
    rows = Rows(conn)
    rows.units("public_places", [pp(i) for i in range(1, 101)])
    rows.units("public_places", [f"PX{i}" for i in range(5)], covered=0)
    rows.units("medical", [md(i) for i in range(1, 41)])
    plan = rows.plan(2025)
    rows.task(plan, "T1", ["public_places"], "2025-03-01", units=[pp(1), pp(2), pp(3), pp(4)])
    rows.task(plan, "T2", ["public_places"], "2025-08-01", risk=False, units=[pp(3), pp(5), md(3)])
    rows.task(plan, "T3", ["medical", "public_places"], "2025-09-01", units=[md(1), md(2), md(3), pp(6), pp(1)])
    rows.task(plan, "T4", ["medical"], "2025-10-01", state="planned")
    e = rows.entry
    e("public_places", 2025, 1, "no_problem", "no_problem", "2025-03-20", [("2025-03-20", 0)])
    e("public_places", 2025, 1, "rectify", "rectify", "2025-04-15", [("2025-04-15", 0)], reinspection="rectified")
    e("public_places", 2025, 1, "penalty", "penalty", "2025-07-10", [("2025-04-20", 0), ("2025-07-10", 3)])
    e("public_places", 2025, 1, "unreachable", "unreachable", "2025-05-10", [("2025-05-10", 2)])
    e("public_places", 2025, 2, "penalty", "rectify", "2025-09-20", [("2025-09-20", 0)], reinspection="not_rectified")
    e("public_places", 2025, 2, "rectify", "rectify", "2025-12-01", unit_name="<script>alert(1)</script>")
    e("public_places", 2025, 2, "no_problem", "no_problem", "2026-01-10")
    e("public_places", 2025, 2, "no_problem", "no_problem", "2026-01-05", [("2026-01-05", 0)])
    e("medical", 2025, 2, "rectify", "rectify", "2025-10-01", [("2025-10-01", 5)], reinspection="rectified")
    e("medical", 2025, 1, "no_problem", "no_problem", "2025-06-25", [("2025-06-25", 0)])
    e("public_places", 2024, 2, "no_problem", "no_problem", "2024-10-01", [("2024-10-01", 0)])
