"""The disclosure list, its publications, follow-ups and reminders (SQL only)."""
from __future__ import annotations

from typing import Any

from sync_server.db import Connection, Row
from sync_server.db.dialect import dialect_of

ENTRY_COLUMNS = ("no, record_id, assignment_id, unit_id, unit_name, specialty, year, half, inspected_on,"
                 " record_category, category, tasks, items, handling, body, approved_at, due_from, due_days, due_on,"
                 " due_provisional, due_basis, state")


def next_serial(conn: Connection, year: int) -> int:
    row = conn.execute("SELECT count(*) FROM disclosures WHERE year = ?", (year,)).fetchone()
    return row[0] + 1


def insert_entry(conn: Connection, entry: dict[str, Any]) -> int:
    cur = conn.execute(
        f"INSERT INTO disclosures ({ENTRY_COLUMNS}) VALUES (:no, :record_id, :assignment_id, :unit_id, :unit_name,"
        " :specialty, :year, :half, :inspected_on, :record_category, :category, :tasks, :items, :handling, :body,"
        " :approved_at, :due_from, :due_days, :due_on, :due_provisional, :due_basis, 'due') RETURNING id", entry)
    return cur.fetchone()[0]


def get_entry_by_record(conn: Connection, record_id: str) -> Row | None:
    return conn.execute("SELECT * FROM disclosures WHERE record_id = ?", (record_id,)).fetchone()


def get_entry_by_no(conn: Connection, no: str) -> Row | None:
    return conn.execute("SELECT * FROM disclosures WHERE no = ?", (no,)).fetchone()


def update_content(conn: Connection, entry_id: int, record_category: str, category: str, handling: str,
                   due: dict[str, Any]) -> None:
    """New content waits for publication (state 'due') until it is published."""
    conn.execute(
        "UPDATE disclosures SET record_category = :record_category, category = :category, handling = :handling,"
        " due_from = :due_from, due_days = :due_days, due_on = :due_on, due_provisional = :due_provisional,"
        " due_basis = :due_basis, state = 'due' WHERE id = :id",
        {**due, "record_category": record_category, "category": category, "handling": handling, "id": entry_id})


def set_due(conn: Connection, entry_id: int, due_on: str, provisional: int) -> None:
    conn.execute("UPDATE disclosures SET due_on = ?, due_provisional = ? WHERE id = ?", (due_on, provisional, entry_id))


def mark_published(conn: Connection, entry_id: int, revision: int, at: str, on: str, doc: bytes, sha: str,
                   log_index: int) -> None:
    conn.execute(
        "UPDATE disclosures SET state = 'published', revision = ?, published_at = ?, published_on = ?,"
        " doc_sha256 = ?, log_index = ?, first_published_on = coalesce(first_published_on, ?) WHERE id = ?",
        (revision, at, on, sha, log_index, on, entry_id))
    conn.execute("INSERT INTO disclosure_docs (id, doc) VALUES (?, ?)"
                 " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc", (entry_id, doc))


def get_doc(conn: Connection, entry_id: int) -> bytes | None:
    """The entry's published document (its canonical JSON), or None before its first publication."""
    row = conn.execute("SELECT doc FROM disclosure_docs WHERE id = ?", (entry_id,)).fetchone()
    return None if row is None else bytes(row[0])


def insert_publication(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO disclosure_publications VALUES (:disclosure_id, :revision, :due_from, :due_days, :due_on,"
        " :due_provisional,"
        " :due_basis, :published_at, :published_on, :late_days, :doc_sha256, :log_index)", row)


def list_due(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM disclosures WHERE state = 'due' ORDER BY due_on, id").fetchall()


def list_provisional(conn: Connection) -> list[Row]:
    return conn.execute("SELECT id, due_from, due_days FROM disclosures WHERE due_provisional = 1").fetchall()


def list_provisional_due(conn: Connection) -> list[Row]:
    return conn.execute("SELECT id, due_from, due_days, due_on FROM disclosures WHERE due_provisional = 1").fetchall()


def list_provisional_publications(conn: Connection) -> list[Row]:
    return conn.execute("SELECT * FROM disclosure_publications WHERE due_provisional = 1").fetchall()


def update_publication_due(conn: Connection, entry_id: int, revision: int, due_on: str, provisional: int,
                           late: int) -> None:
    conn.execute("UPDATE disclosure_publications SET due_on = ?, due_provisional = ?, late_days = ?"
                 " WHERE disclosure_id = ? AND revision = ?", (due_on, provisional, late, entry_id, revision))


def count_status(conn: Connection, today: str) -> dict[str, int]:
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'published'),"
        " count(*) FILTER (WHERE state = 'due' AND due_on >= ?), count(*) FILTER (WHERE state = 'due' AND due_on < ?),"
        " count(*) FILTER (WHERE state = 'due' AND first_published_on IS NOT NULL) FROM disclosures",
        (today, today)).fetchone()
    late = conn.execute("SELECT count(*), count(*) FILTER (WHERE late_days > 0)"
                        " FROM disclosure_publications").fetchone()
    return {"entries": row[0], "published": row[1], "due": row[2], "overdue": row[3],
            "updates_waiting": row[4], "publications": late[0], "late_publications": late[1]}


def list_due_until(conn: Connection, until: str, limit: int) -> list[Row]:
    return conn.execute("SELECT no, record_id, unit_name, category, due_on, due_basis, due_provisional,"
                        " first_published_on FROM disclosures WHERE state = 'due' AND due_on <= ?"
                        " ORDER BY due_on, id LIMIT ?", (until, limit)).fetchall()


def list_overdue(conn: Connection, today: str, limit: int) -> list[Row]:
    return conn.execute("SELECT no, unit_name, category, due_on, due_basis FROM disclosures"
                        " WHERE state = 'due' AND due_on < ? ORDER BY due_on, id LIMIT ?", (today, limit)).fetchall()


# --- the public list -----------------------------------------------------------------------------
# Every query carries `first_published_on IS NOT NULL`, the condition of the partial indexes
# (migration 005), so filtering, counting and paging read small index entries, never documents.

PUBLIC = "first_published_on IS NOT NULL"


def _where(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses, args = [PUBLIC], []
    for column in ("year", "specialty", "category"):
        if filters.get(column) is not None:
            clauses.append(f"{column} = ?")
            args.append(filters[column])
    if filters.get("uscc"):
        clauses.append("unit_id = ?")
        args.append(filters["uscc"])
    if filters.get("name"):
        clauses.append("unit_name LIKE ? ESCAPE '\\'")
        args.append("%" + filters["name"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return " AND ".join(clauses), args


def page_public(conn: Connection, filters: dict[str, Any], limit: int, offset: int) -> tuple[list[bytes], int]:
    """A page of published documents, newest first, and how many match: ids from an index, then
    the page's documents. A name search has no index to seek, so it scans the covering name index
    once (never the table) and counts and pages what it found."""
    where, args = _where(filters)
    if filters.get("name"):
        found = sorted((r[0] for r in conn.execute(
            f"SELECT id FROM disclosures{dialect_of(conn).indexed_by('disclosures_public_name')} WHERE {where}", args)),
            reverse=True)
        ids, total = found[offset:offset + limit], len(found)
    else:
        ids = [r[0] for r in conn.execute(f"SELECT id FROM disclosures WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                          [*args, limit, offset])]
        total = conn.execute(f"SELECT count(*) FROM disclosures WHERE {where}", args).fetchone()[0]
    if not ids:
        return [], total
    docs = dict(conn.execute(f"SELECT id, doc FROM disclosure_docs WHERE id IN ({','.join('?' * len(ids))})", ids))
    return [bytes(docs[i]) for i in ids], total


def list_public_after(conn: Connection, filters: dict[str, Any], after_id: int, limit: int) -> list[Row]:
    """A chunk of published entries in list order, for downloads streamed chunk by chunk."""
    where, args = _where(filters)
    return conn.execute(f"SELECT d.id, d.specialty, x.doc FROM disclosures d JOIN disclosure_docs x ON x.id = d.id"
                        f" WHERE {where} AND d.id > ? ORDER BY d.id LIMIT ?", [*args, after_id, limit]).fetchall()


def list_public_years(conn: Connection) -> list[int]:
    """Years with published entries, newest first: one index seek per year."""
    years, below = [], 10_000
    while True:
        year = conn.execute(f"SELECT max(year) FROM disclosures WHERE {PUBLIC} AND year < ?", (below,)).fetchone()[0]
        if year is None:
            return years
        years.append(year)
        below = year


# --- follow-ups ----------------------------------------------------------------------------------

def insert_followup(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO followups VALUES (:id, :record_id, :kind, :on_date, :doc, :by_user, :envelope,"
        " :envelope_sha256, :received_at, :log_index)", row)


def get_followup(conn: Connection, followup_id: str) -> Row | None:
    return conn.execute("SELECT id, record_id, kind, by_user, envelope_sha256, received_at, log_index FROM followups"
                        " WHERE id = ?", (followup_id,)).fetchone()


def list_followups(conn: Connection, record_id: str) -> list[Row]:
    return conn.execute("SELECT id, kind, on_date, doc, by_user, envelope_sha256, received_at, log_index"
                        " FROM followups WHERE record_id = ? ORDER BY on_date, received_at", (record_id,)).fetchall()


def list_open_rectifications(conn: Connection) -> list[Row]:
    """Entries ordering rectification whose last re-inspection did not find it rectified."""
    return conn.execute(
        "SELECT d.no, d.record_id, d.assignment_id, d.unit_name, d.specialty, d.inspected_on, d.handling"
        " FROM disclosures d WHERE d.handling -> 'rectify' ->> 'status' IN ('pending', 'not_met')"
        " ORDER BY d.handling -> 'rectify' ->> 'deadline', d.id").fetchall()


def list_open_cases(conn: Connection) -> list[Row]:
    return conn.execute(
        "SELECT no, record_id, unit_name, specialty, inspected_on FROM disclosures"
        " WHERE handling ->> 'case' IS NOT NULL AND handling -> 'case' ->> 'decision_no' IS NULL"
        " ORDER BY inspected_on, id").fetchall()


def list_transfers(conn: Connection) -> list[Row]:
    return conn.execute(
        "SELECT d.no, d.unit_name, f.on_date, f.doc FROM followups f JOIN disclosures d ON d.record_id = f.record_id"
        " WHERE f.kind = 'transfer' ORDER BY f.on_date, f.id").fetchall()


def reminder_sent(conn: Connection, record_id: str, kind: str) -> bool:
    return conn.execute("SELECT 1 FROM reminders WHERE record_id = ? AND kind = ?", (record_id, kind)).fetchone() is not None


def insert_reminder(conn: Connection, record_id: str, kind: str, now: str) -> None:
    conn.execute("INSERT INTO reminders VALUES (?, ?, ?)", (record_id, kind, now))


def first_public_no(conn: Connection, category: str) -> str | None:
    row = conn.execute(f"SELECT no FROM disclosures WHERE {PUBLIC} AND category = ? ORDER BY id LIMIT 1",
                       (category,)).fetchone()
    return None if row is None else row[0]


# --- the office's lists (结果公示, 后续处置) ----------------------------------------------------------

OFFICE_STATES = {
    "waiting": "d.state = 'due'",
    "due": "d.state = 'due' AND d.due_on >= :today",
    "overdue": "d.state = 'due' AND d.due_on < :today",
    "update": "d.state = 'due' AND d.first_published_on IS NOT NULL",
    "published": "d.state = 'published'",
}


def _office_where(filters: dict[str, Any]) -> str:
    clauses = ["1 = 1"]
    if filters.get("state"):
        clauses.append(OFFICE_STATES[filters["state"]])
    for column in ("year", "specialty", "category"):
        if filters.get(column) is not None:
            clauses.append(f"d.{column} = :{column}")
    if filters.get("no"):
        clauses.append("d.no = :no")
    if filters.get("uscc"):
        clauses.append("d.unit_id = :uscc")
    if filters.get("name"):
        clauses.append("d.unit_name LIKE :name_like ESCAPE '\\'")
    return " AND ".join(clauses)


def _office_args(filters: dict[str, Any], today: str) -> dict[str, Any]:
    name = filters.get("name") or ""
    return {**filters, "today": today,
            "name_like": "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"}


def page_office(conn: Connection, filters: dict[str, Any], today: str, limit: int,
                offset: int) -> tuple[list[Row], int]:
    """Entries for the office in any state: those waiting for publication by due date, any other
    selection newest first; with the current revision's publication (its day and lateness)."""
    where, args = _office_where(filters), _office_args(filters, today)
    waiting = filters.get("state") in ("waiting", "due", "overdue", "update")
    order = "d.due_on, d.id" if waiting else "d.id DESC"
    rows = conn.execute(
        "SELECT d.id, d.no, d.record_id, d.unit_id, d.unit_name, d.specialty, d.year, d.inspected_on, d.category,"
        " d.handling, d.state, d.revision, d.due_from, d.due_days, d.due_on, d.due_provisional, d.due_basis,"
        " d.published_on, d.first_published_on, p.late_days"
        " FROM disclosures d LEFT JOIN disclosure_publications p ON p.disclosure_id = d.id AND p.revision = d.revision"
        f" WHERE {where} ORDER BY {order}"
        " LIMIT :limit OFFSET :offset", {**args, "limit": limit, "offset": offset}).fetchall()
    total = conn.execute(f"SELECT count(*) FROM disclosures d WHERE {where}", args).fetchone()[0]
    return rows, total


def list_publications_of(conn: Connection, entry_id: int) -> list[Row]:
    return conn.execute("SELECT revision, due_on, due_basis, due_provisional, published_at, published_on, late_days,"
                        " doc_sha256, log_index FROM disclosure_publications WHERE disclosure_id = ?"
                        " ORDER BY revision", (entry_id,)).fetchall()


def list_followups_of_kind(conn: Connection, kind: str, limit: int) -> list[Row]:
    """Follow-ups of one kind with their entry, latest first (the ledger's history)."""
    return conn.execute(
        "SELECT f.id, f.record_id, f.on_date, f.doc, f.by_user, f.received_at, d.no, d.unit_name"
        " FROM followups f JOIN disclosures d ON d.record_id = f.record_id WHERE f.kind = ?"
        " ORDER BY f.on_date DESC, f.received_at DESC LIMIT ?", (kind, limit)).fetchall()


def list_reminders(conn: Connection, kind: str) -> dict[str, str]:
    """When each record's reminder of this kind was sent."""
    return {r[0]: r[1] for r in conn.execute("SELECT record_id, sent_at FROM reminders WHERE kind = ?", (kind,))}
