"""What the half-year and yearly reports count (SQL only; definitions in docs/REPORTS.md).

A period is a year and optionally a half (1 or 2; None for the whole year). A task belongs to the
year of its plan and to the half of its period_start month; an entry to its `year` and `half`.
Every function returns plain values keyed by specialty code. The statements are the engine's
common SQL; the few fragments that differ come from the connection's dialect (sync_server/db/dialect.py).
"""
from __future__ import annotations

import contextlib
from functools import cache
from typing import Any, Iterator

from schemas.categories import KINDS, PROBLEMS
from sync_server.db import Connection
from sync_server.db.dialect import Dialect, dialect_of

# A task of the period: its plan's year, and the half of its period_start month (t joined to p).
TASK_OF_PERIOD = ("p.year = :year AND (CAST(:half AS INTEGER) IS NULL"
                  " OR (CAST(substr(t.period_start, 6, 2) AS INTEGER) <= 6) = (CAST(:half AS INTEGER) = 1))")

# The result categories, one count column each in count_entries_by_specialty (schemas/categories.py).
CATEGORY_CODES = tuple(kind.code for kind in KINDS)


def placed_under(own: str, d: Dialect) -> str:
    """The specialty a task `t` placed a unit under (`own`: the unit's own specialty, as SQL): a
    single-specialty task's; for a joint task, the unit's own when the task draws from it, else the
    task's first. One rule for drawn units and for entries (docs/REPORTS.md, "Attribution")."""
    return (f"CASE WHEN {d.json_text('t.specialties')} NOT LIKE '%,%' THEN t.specialty"
            f" WHEN {own} IN (SELECT j.value FROM {d.json_each('t.specialties', 'j')}) THEN {own}"
            f" ELSE t.specialty END")


# The tasks of an entry `d`'s visit (its assignment), and its unit's own specialty in the registry.
VISIT_TASKS = "FROM assignment_tasks at JOIN tasks t ON t.id = at.task_id WHERE at.assignment_id = d.assignment_id"
OWN_OF_ENTRY = "(SELECT u.specialty FROM units u WHERE u.id = d.unit_id)"

@cache
def entry_specialty(d: Dialect) -> str:
    """The one specialty an entry `d` counts under: the one its visit's task placed the unit under. A
    visit that served several tasks: the unit's own specialty when one of them placed it there; else
    the first task named on the entry (the task whose draw made the visit; the others joined it);
    else the first in code order. A visit of no task: the specialty the entry records. (The registry
    is read only for a joint task or a visit of several tasks; most entries cost two index lookups.)"""
    placed = placed_under(OWN_OF_ENTRY, d)
    return f"""coalesce(
    (SELECT CASE WHEN count(*) = 1 THEN min({placed}) END {VISIT_TASKS}),
    (SELECT {OWN_OF_ENTRY} {VISIT_TASKS} AND ({placed}) = {OWN_OF_ENTRY} LIMIT 1),
    (SELECT {placed} {VISIT_TASKS} AND t.number = d.tasks -> 0 ->> 'number'),
    (SELECT min({placed}) {VISIT_TASKS}),
    d.specialty)"""


def entries_of(half: int | None, by_year: bool = True) -> str:
    """An entry of the period. Without a half the condition stays on the year alone, so that an
    index on (year, specialty, …) can answer without reading the rows; by_year=False writes
    `+d.year` so that the planner looks elsewhere (entries awaiting publication are few, and
    the (state, due_on) index finds them)."""
    year = "d.year = :year" if by_year else "+d.year = :year"
    return year if half is None else f"{year} AND d.half = :half"


@contextlib.contextmanager
def snapshot(conn: Connection) -> Iterator[Connection]:
    """One read transaction, so that every figure of a report comes from the same state."""
    conn.execute(dialect_of(conn).begin_read)
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def count_registry_by_specialty(conn: Connection) -> dict[str, int]:
    """Covered units by their own specialty (a scan: most units are covered, and the specialty
    index would add a lookup per unit)."""
    return dict(conn.execute(f"SELECT specialty, count(*) FROM units{dialect_of(conn).not_indexed}"
                             " WHERE covered = 1 GROUP BY specialty"))


def count_registry_tags(conn: Connection) -> list[tuple[str, str, int]]:
    """(tag, own specialty, units) for covered units: a unit tagged with another specialty's name
    is in that specialty's population too (core.sampling.in_specialty)."""
    tags = dialect_of(conn).json_each("u.tags", "j")
    return conn.execute(f"SELECT j.value, u.specialty, count(*) FROM units u, {tags}"
                        " WHERE u.covered = 1 GROUP BY j.value, u.specialty").fetchall()


def list_drawn_units(conn: Connection, year: int, half: int | None) -> list[tuple[str, str]]:
    """(unit, specialty) for every unit a task of the period placed: a joint task's unit under its
    own specialty when the task draws from it, any other under the task's first specialty."""
    sql = f"""
        SELECT a.unit_id, {placed_under("(SELECT u.specialty FROM units u WHERE u.id = a.unit_id)", dialect_of(conn))}
        FROM assignment_tasks at JOIN assignments a ON a.id = at.assignment_id
        JOIN tasks t ON t.id = at.task_id JOIN plans p ON p.id = t.plan_id
        WHERE {TASK_OF_PERIOD}"""
    return conn.execute(sql, {"year": year, "half": half}).fetchall()


def count_draws_by_specialty(conn: Connection, year: int, half: int | None) -> dict[str, tuple[int, int]]:
    """Drawn tasks and those drawn with risk weights, under each specialty a task draws from."""
    d = dialect_of(conn)
    each = (f"CASE WHEN {d.json_text('t.specialties')} IN ('', '[]') THEN {d.json_array('t.specialty')}"
            " ELSE t.specialties END")
    sql = f"""
        SELECT j.value, count(DISTINCT t.id), count(DISTINCT CASE WHEN t.risk_weights IS NOT NULL THEN t.id END)
        FROM tasks t JOIN plans p ON p.id = t.plan_id,
             {d.json_each(each, 'j')}
        WHERE t.state = 'drawn' AND {TASK_OF_PERIOD}
        GROUP BY j.value"""
    return {code: (draws, risk) for code, draws, risk in conn.execute(sql, {"year": year, "half": half})}


def count_draws_total(conn: Connection, year: int, half: int | None) -> tuple[int, int]:
    sql = f"SELECT count(*), count(t.risk_weights) FROM tasks t JOIN plans p ON p.id = t.plan_id" \
          f" WHERE t.state = 'drawn' AND {TASK_OF_PERIOD}"
    draws, risk = conn.execute(sql, {"year": year, "half": half}).fetchone()
    return draws, risk


# The entry figures after (kind, specialty) in the 'entries' rows of count_entries_by_specialty,
# then one count per result category (CATEGORY_CODES); the 'published' and 'unpublished' rows hold
# the publication figures in the same first four places.
ENTRY_FIGURES = ("inspected", "unreachable", "problems", "rectified")
PUBLICATION_FIGURES = ("on_time", "late", "overdue", "not_due")


def _category_columns() -> tuple[str, dict[str, str]]:
    """One count column per result category, and the parameters naming the categories."""
    params = {f"category_{i}": code for i, code in enumerate(CATEGORY_CODES)}
    return ", ".join(f"count(*) FILTER (WHERE category = :{name})" for name in params), params


def _problem_test() -> tuple[str, dict[str, str]]:
    """Whether an entry `d` found a problem (a category with `problem`, as recorded or as published),
    and the parameters naming those categories."""
    params = {f"problem_{i}": code for i, code in enumerate(PROBLEMS)}
    names = ", ".join(f":{name}" for name in params)
    return f"(d.category IN ({names}) OR d.record_category IN ({names}))", params


def count_entries_by_specialty(conn: Connection, year: int, half: int | None, cutoff: str,
                               today: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, int]]]:
    """The period's approved entries by the specialty each counts under (entry_specialty, worked
    out once per entry): (entry figures, publication figures), each keyed by specialty code.

    Entry figures: {"inspected", "unreachable" (as recorded), "problems" found, "rectified" on
    re-inspection, "categories": {code: entries published in that category, for every code of
    schemas.categories}}. Publication figures, for the obligations of those entries: met
    "on_time" or "late" (due by the cutoff), passed and unmet, "overdue" (due by the cutoff and
    before today), and "not_due" (the rest)."""
    categories, params = _category_columns()
    problem, problem_params = _problem_test()
    pad = ", 0" * len(CATEGORY_CODES)
    sql = f"""
        WITH e AS MATERIALIZED (
            SELECT d.id, d.record_id, d.category, d.record_category, d.state, d.due_on,
                   {entry_specialty(dialect_of(conn))} AS specialty,
                   {problem} AS problem
            FROM disclosures d WHERE {entries_of(half)})
        SELECT 'entries' AS kind, specialty,
               count(*) FILTER (WHERE record_category != 'unreachable'),
               count(*) FILTER (WHERE record_category = 'unreachable'),
               count(*) FILTER (WHERE problem),
               count(*) FILTER (WHERE problem AND EXISTS (
                   SELECT 1 FROM followups f WHERE f.record_id = e.record_id AND f.kind = 'reinspection'
                   AND f.doc ->> 'outcome' = 'rectified')),
               {categories}
        FROM e GROUP BY specialty
        UNION ALL
        SELECT 'published', e.specialty, count(*) FILTER (WHERE p.due_on <= :cutoff AND p.late_days = 0),
               count(*) FILTER (WHERE p.due_on <= :cutoff AND p.late_days > 0), 0,
               count(*) FILTER (WHERE p.due_on > :cutoff){pad}
        FROM e JOIN disclosure_publications p ON p.disclosure_id = e.id GROUP BY e.specialty
        UNION ALL
        SELECT 'unpublished', specialty, 0, 0, count(*) FILTER (WHERE due_on <= :cutoff AND due_on < :today),
               count(*) FILTER (WHERE NOT (due_on <= :cutoff AND due_on < :today)){pad}
        FROM e WHERE state = 'due' GROUP BY specialty"""
    entries: dict[str, dict[str, Any]] = {}
    publications: dict[str, dict[str, int]] = {}
    args = {"year": year, "half": half, "cutoff": cutoff, "today": today, **params, **problem_params}
    for row in conn.execute(sql, args):
        kind, specialty, figures, by_category = row[0], row[1], row[2:6], row[6:]
        if kind == "entries":
            entries[specialty] = {**dict(zip(ENTRY_FIGURES, figures)),
                                  "categories": dict(zip(CATEGORY_CODES, by_category))}
            continue
        into = publications.setdefault(specialty, dict.fromkeys(PUBLICATION_FIGURES, 0))
        for key, value in zip(PUBLICATION_FIGURES, figures):
            into[key] += value
    return entries, publications


def list_late_entries(conn: Connection, year: int, half: int | None, cutoff: str,
                      today: str) -> list[dict[str, Any]]:
    """Publications made late and obligations passed unmet, by specialty and due date."""
    specialty = entry_specialty(dialect_of(conn))
    sql = f"""
        SELECT d.no, d.unit_name, {specialty} AS specialty, d.category, p.revision, p.due_on,
               p.published_on, p.late_days
        FROM disclosures d JOIN disclosure_publications p ON p.disclosure_id = d.id
        WHERE {entries_of(half)} AND p.due_on <= :cutoff AND p.late_days > 0
        UNION ALL
        SELECT d.no, d.unit_name, {specialty}, d.category, d.revision, d.due_on, NULL, NULL
        FROM disclosures d
        WHERE d.state = 'due' AND {entries_of(half, by_year=False)} AND d.due_on <= :cutoff AND d.due_on < :today
        ORDER BY 3, 6, 1"""
    args = {"year": year, "half": half, "cutoff": cutoff, "today": today}
    return [dict(row) for row in conn.execute(sql, args)]


def list_report_years(conn: Connection) -> list[int]:
    """Years with a plan or with disclosure entries, newest first."""
    return [row[0] for row in conn.execute(
        "SELECT year FROM plans UNION SELECT DISTINCT year FROM disclosures ORDER BY 1 DESC")]


def has_report_year(conn: Connection, year: int) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM plans WHERE year = ?)"
                        " OR EXISTS (SELECT 1 FROM disclosures WHERE year = ?)", (year, year)).fetchone()[0] == 1
