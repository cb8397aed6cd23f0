"""What the half-year and yearly reports count (SQL only; definitions in docs/REPORTS.md).

A period is a year and optionally a half (1 or 2; None for the whole year). A task belongs to the
year of its plan and to the half of its period_start month; an entry to its `year` and `half`.
Every function returns plain values keyed by specialty code.
"""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, Iterator

# A task of the period: its plan's year, and the half of its period_start month (t joined to p).
TASK_OF_PERIOD = "p.year = :year AND (:half IS NULL OR (CAST(substr(t.period_start, 6, 2) AS INTEGER) <= 6) = (:half = 1))"


def placed_under(own: str) -> str:
    """The specialty a task `t` placed a unit under (`own`: the unit's own specialty, as SQL): a
    single-specialty task's; for a joint task, the unit's own when the task draws from it, else the
    task's first. One rule for drawn units and for entries (docs/REPORTS.md, "Attribution")."""
    return (f"CASE WHEN t.specialties NOT LIKE '%,%' THEN t.specialty"
            f" WHEN {own} IN (SELECT value FROM json_each(t.specialties)) THEN {own} ELSE t.specialty END")


# The tasks of an entry `d`'s visit (its assignment), and its unit's own specialty in the registry.
VISIT_TASKS = "FROM assignment_tasks at JOIN tasks t ON t.id = at.task_id WHERE at.assignment_id = d.assignment_id"
OWN_OF_ENTRY = "(SELECT u.specialty FROM units u WHERE u.id = d.unit_id)"
PLACED_ENTRY = placed_under(OWN_OF_ENTRY)

# The one specialty an entry `d` counts under: the one its visit's task placed the unit under. A visit
# that served several tasks: the unit's own specialty when one of them placed it there; else the
# first task named on the entry (the task whose draw made the visit; the others joined it); else
# the first in code order. A visit of no task: the specialty the entry records. (The registry is
# read only for a joint task or a visit of several tasks; most entries cost two index lookups.)
ENTRY_SPECIALTY = f"""coalesce(
    (SELECT iif(count(*) = 1, min({PLACED_ENTRY}), NULL) {VISIT_TASKS}),
    (SELECT {OWN_OF_ENTRY} {VISIT_TASKS} AND ({PLACED_ENTRY}) = {OWN_OF_ENTRY} LIMIT 1),
    (SELECT {PLACED_ENTRY} {VISIT_TASKS} AND t.number = json_extract(d.tasks, '$[0].number')),
    (SELECT min({PLACED_ENTRY}) {VISIT_TASKS}),
    d.specialty)"""


def entries_of(half: int | None, by_year: bool = True) -> str:
    """An entry of the period. Without a half the condition stays on the year alone, so that an
    index on (year, specialty, …) can answer without reading the rows; by_year=False writes
    `+d.year` so that the planner looks elsewhere (entries awaiting publication are few, and
    the (state, due_on) index finds them)."""
    year = "d.year = :year" if by_year else "+d.year = :year"
    return year if half is None else f"{year} AND d.half = :half"


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction, so that every figure of a report comes from the same state."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def count_registry_by_specialty(conn: sqlite3.Connection) -> dict[str, int]:
    """Covered units by their own specialty (a scan: most units are covered, and the specialty
    index would add a lookup per unit)."""
    return dict(conn.execute("SELECT specialty, count(*) FROM units NOT INDEXED WHERE covered = 1 GROUP BY specialty"))


def count_registry_tags(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(tag, own specialty, units) for covered units: a unit tagged with another specialty's name
    is in that specialty's population too (core.sampling.in_specialty)."""
    return conn.execute("SELECT j.value, u.specialty, count(*) FROM units u, json_each(u.tags) j"
                        " WHERE u.covered = 1 GROUP BY j.value, u.specialty").fetchall()


def list_drawn_units(conn: sqlite3.Connection, year: int, half: int | None) -> list[tuple[str, str]]:
    """(unit, specialty) for every unit a task of the period placed: a joint task's unit under its
    own specialty when the task draws from it, any other under the task's first specialty."""
    sql = f"""
        SELECT a.unit_id, {placed_under("(SELECT u.specialty FROM units u WHERE u.id = a.unit_id)")}
        FROM assignment_tasks at JOIN assignments a ON a.id = at.assignment_id
        JOIN tasks t ON t.id = at.task_id JOIN plans p ON p.id = t.plan_id
        WHERE {TASK_OF_PERIOD}"""
    return conn.execute(sql, {"year": year, "half": half}).fetchall()


def count_draws_by_specialty(conn: sqlite3.Connection, year: int, half: int | None) -> dict[str, tuple[int, int]]:
    """Drawn tasks and those drawn with risk weights, under each specialty a task draws from."""
    sql = f"""
        SELECT j.value, count(DISTINCT t.id), count(DISTINCT CASE WHEN t.risk_weights IS NOT NULL THEN t.id END)
        FROM tasks t JOIN plans p ON p.id = t.plan_id,
             json_each(CASE WHEN t.specialties IN ('', '[]') THEN json_array(t.specialty) ELSE t.specialties END) j
        WHERE t.state = 'drawn' AND {TASK_OF_PERIOD}
        GROUP BY j.value"""
    return {code: (draws, risk) for code, draws, risk in conn.execute(sql, {"year": year, "half": half})}


def count_draws_total(conn: sqlite3.Connection, year: int, half: int | None) -> tuple[int, int]:
    sql = f"SELECT count(*), count(t.risk_weights) FROM tasks t JOIN plans p ON p.id = t.plan_id" \
          f" WHERE t.state = 'drawn' AND {TASK_OF_PERIOD}"
    draws, risk = conn.execute(sql, {"year": year, "half": half}).fetchone()
    return draws, risk


# The publication figures, in the order of the four counts after (kind, specialty) in the
# 'published' and 'unpublished' rows of count_entries_by_specialty.
PUBLICATION_FIGURES = ("on_time", "late", "overdue", "not_due")


def count_entries_by_specialty(conn: sqlite3.Connection, year: int, half: int | None, cutoff: str,
                               today: str) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """The period's approved entries by the specialty each counts under (ENTRY_SPECIALTY, worked
    out once per entry): (entry figures, publication figures).

    Entry figures: inspected, unreachable, the four categories, problems found, rectified on
    re-inspection, penalized. Publication figures, for the obligations of those entries: met on time
    or late (due by the cutoff), passed and unmet (due by the cutoff and before today), and not
    yet due (the rest)."""
    sql = f"""
        WITH e AS MATERIALIZED (
            SELECT d.id, d.record_id, d.category, d.record_category, d.state, d.due_on,
                   {ENTRY_SPECIALTY} AS specialty,
                   (d.category IN ('rectify', 'penalty') OR d.record_category IN ('rectify', 'penalty')) AS problem
            FROM disclosures d WHERE {entries_of(half)})
        SELECT 'entries' AS kind, specialty,
               sum(record_category != 'unreachable') AS inspected,
               sum(record_category = 'unreachable') AS unreachable,
               sum(category = 'no_problem') AS no_problem,
               sum(category = 'rectify') AS rectify,
               sum(problem) AS problems,
               sum(problem AND EXISTS (
                   SELECT 1 FROM followups f WHERE f.record_id = e.record_id AND f.kind = 'reinspection'
                   AND json_extract(f.doc, '$.outcome') = 'rectified')) AS rectified,
               sum(category = 'penalty') AS penalized
        FROM e GROUP BY specialty
        UNION ALL
        SELECT 'published', e.specialty, sum(p.due_on <= :cutoff AND p.late_days = 0),
               sum(p.due_on <= :cutoff AND p.late_days > 0), 0, sum(p.due_on > :cutoff), 0, 0, 0
        FROM e JOIN disclosure_publications p ON p.disclosure_id = e.id GROUP BY e.specialty
        UNION ALL
        SELECT 'unpublished', specialty, 0, 0, sum(due_on <= :cutoff AND due_on < :today),
               sum(NOT (due_on <= :cutoff AND due_on < :today)), 0, 0, 0
        FROM e WHERE state = 'due' GROUP BY specialty"""
    entries: dict[str, dict[str, int]] = {}
    publications: dict[str, dict[str, int]] = {}
    for row in conn.execute(sql, {"year": year, "half": half, "cutoff": cutoff, "today": today}):
        if row["kind"] == "entries":
            entries[row["specialty"]] = {k: row[k] for k in row.keys()[2:]}
            continue
        into = publications.setdefault(row["specialty"], dict.fromkeys(PUBLICATION_FIGURES, 0))
        for key, value in zip(PUBLICATION_FIGURES, row[2:6]):
            into[key] += value or 0
    return entries, publications


def list_late_entries(conn: sqlite3.Connection, year: int, half: int | None, cutoff: str,
                      today: str) -> list[dict[str, Any]]:
    """Publications made late and obligations passed unmet, by specialty and due date."""
    sql = f"""
        SELECT d.no, d.unit_name, {ENTRY_SPECIALTY} AS specialty, d.category, p.revision, p.due_on, p.published_on,
               p.late_days
        FROM disclosures d JOIN disclosure_publications p ON p.disclosure_id = d.id
        WHERE {entries_of(half)} AND p.due_on <= :cutoff AND p.late_days > 0
        UNION ALL
        SELECT d.no, d.unit_name, {ENTRY_SPECIALTY}, d.category, d.revision, d.due_on, NULL, NULL
        FROM disclosures d
        WHERE d.state = 'due' AND {entries_of(half, by_year=False)} AND d.due_on <= :cutoff AND d.due_on < :today
        ORDER BY 3, 6, 1"""
    args = {"year": year, "half": half, "cutoff": cutoff, "today": today}
    return [dict(row) for row in conn.execute(sql, args)]


def list_report_years(conn: sqlite3.Connection) -> list[int]:
    """Years with a plan or with disclosure entries, newest first."""
    return [row[0] for row in conn.execute(
        "SELECT year FROM plans UNION SELECT DISTINCT year FROM disclosures ORDER BY 1 DESC")]


def has_report_year(conn: sqlite3.Connection, year: int) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM plans WHERE year = ?)"
                        " OR EXISTS (SELECT 1 FROM disclosures WHERE year = ?)", (year, year)).fetchone()[0] == 1
