"""The disclosure list (一公开): approved results become public entries, on time.

    approve ─▶ entry (state due, due date on the official calendar)
              ─▶ published at once (publish mode "on_approval", the default) or by the daily
                 batch (`sync-server publish`, mode "daily")
    follow-up (re-inspection, penalty decision, transfer) ─▶ new content, due again
              ─▶ published as the entry's next revision
    lab result (records/labresults.py) ─▶ the record's category and handling recomputed on the
              effective record (schemas/lab.py) ─▶ the same: new content, next revision

A record approved while a sample is pending is published as 待检验结果 (the 20 working days
from the inspection still run); its result is then a follow-up, due within 7 working days.

Each publication is the canonical JSON of the entry (core.disclosure.entry_doc), hashed and
appended to the audit log, so anyone can check that what a page shows is what was published.
Every publication obligation is kept (disclosure_publications) with its due date and lateness
in working days: the publication rate is computed from them, not from a flag.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from schemas import envelope, lab
from schemas.applicability import inspected_items
from schemas.jcs import canonicalize
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.disclosure import workcalendar
from schemas.clock import utc_now
from sync_server.disclosure.core import disclosure as rules
from sync_server.disclosure.core.workdays import Calendar
from sync_server.planning.queries import assignments
from sync_server.disclosure.queries import disclosures as q
from sync_server.db import meta
from sync_server.office import profile
from sync_server.records.queries import labresults, records

REMIND_WITHIN = 3   # working days before a rectification deadline


def body_name(conn: Connection) -> str:
    """The inspecting body an entry is published under: the office's own name (sync_server.office.profile)."""
    return profile.name_to_sign(conn)


def _publishes_now(conn: Connection) -> bool:
    """On approval, unless the office publishes in a daily batch or has not set its name yet
    (the entry then waits, due, and `publish` says what to do)."""
    return publish_mode(conn) == "on_approval" and profile.read(conn).name is not None


def publish_mode(conn: Connection) -> str:
    return meta.get_meta(conn, "publish_mode") or "on_approval"


def set_publish_mode(conn: Connection, mode: str) -> None:
    if mode not in ("on_approval", "daily"):
        raise ValueError(mode)
    meta.set_meta(conn, "publish_mode", mode)
    audit.append(conn, "disclosure.mode", mode, utc_now())


def signed_record(conn: Connection, record_id: str) -> dict[str, Any]:
    return envelope.parse(records.get_envelope_by_id(conn, record_id) or b"").document()


def effective_record(conn: Connection, record_id: str) -> dict[str, Any]:
    """The signed record with its lab results applied (schemas/lab.py): what the entry shows."""
    results = [json.loads(doc) for doc in labresults.list_lab_docs_by_record(conn, record_id)]
    return lab.effective_record(signed_record(conn, record_id), results)


def followups_of(conn: Connection, record_id: str) -> rules.Followups:
    reinspections, transfers, penalty = [], [], None
    for row in q.list_followups(conn, record_id):
        doc = json.loads(row["doc"])
        on = date.fromisoformat(row["on_date"])
        if row["kind"] == "reinspection":
            reinspections.append(rules.Reinspection(on, doc["outcome"] == "rectified"))
        elif row["kind"] == "penalty":
            penalty = rules.Penalty(doc["decision_no"], on, doc.get("amount_fen"))
        else:
            transfers.append(rules.Transfer(doc["to_body"], doc["kind"], on))
    return rules.Followups(tuple(reinspections), penalty, tuple(transfers))


def on_approved(conn: Connection, record_id: str, now: str, calendar: Calendar | None = None) -> int:
    """The approved record's entry; published at once unless the office publishes in a daily batch."""
    calendar = calendar or workcalendar.official(conn)
    record = records.get_record_by_id(conn, record_id)
    doc = effective_record(conn, record_id)
    assignment = json.loads(assignments.get_assignment_doc(conn, record["assignment_id"]))
    inspected = rules.inspection_date(doc)
    followups = followups_of(conn, record_id)
    items = inspected_items(assignment["items"], doc["findings"], assignment["unit"])  # never one 不适用
    entry_id = q.insert_entry(conn, {
        "no": rules.entry_no(inspected.year, q.next_serial(conn, inspected.year)), "record_id": record_id,
        "assignment_id": record["assignment_id"], "unit_id": assignment["unit"]["id"],
        "unit_name": assignment["unit"]["name"], "specialty": assignment["unit"]["specialty"],
        "year": inspected.year, "half": 1 if inspected.month <= 6 else 2, "inspected_on": inspected.isoformat(),
        "record_category": record["category"], "category": rules.public_category(record["category"], followups),
        "tasks": json.dumps([{"number": t["number"], "title": t["title"]} for t in assignment["tasks"]],
                            ensure_ascii=False),
        "items": json.dumps(items, ensure_ascii=False),
        "handling": json.dumps(rules.handling(doc, record["category"], followups), ensure_ascii=False),
        "body": profile.read(conn).name or "", "approved_at": now,
        **rules.due_fields(calendar, rules.obligation(inspected, followups))})
    if _publishes_now(conn):
        publish(conn, q.get_entry_by_record(conn, record_id), now, calendar)
    return entry_id


def record_of_entry(conn: Connection, no: str) -> str | None:
    """The record an entry (by its number) discloses."""
    entry = q.get_entry_by_no(conn, no)
    return None if entry is None else entry["record_id"]


def entry_state(conn: Connection, record_id: str) -> dict[str, Any] | None:
    entry = q.get_entry_by_record(conn, record_id)
    if entry is None:
        return None
    return {"no": entry["no"], "category": entry["category"], "state": entry["state"], "due_on": entry["due_on"],
            "revision": entry["revision"]}


def refresh(conn: Connection, record_id: str, now: str, calendar: Calendar | None = None) -> None:
    """Recompute an entry after a follow-up; changed content is due for publication again."""
    entry = q.get_entry_by_record(conn, record_id)
    if entry is None:
        return
    calendar = calendar or workcalendar.official(conn)
    doc = effective_record(conn, record_id)
    record_category = records.get_record_by_id(conn, record_id)["category"]   # a lab result may change it
    followups = followups_of(conn, record_id)
    category = rules.public_category(record_category, followups)
    handling = json.dumps(rules.handling(doc, record_category, followups), ensure_ascii=False)
    if (record_category, category, handling) == (entry["record_category"], entry["category"], entry["handling"]):
        return
    current = rules.Obligation(date.fromisoformat(entry["due_from"]), entry["due_days"], entry["due_basis"])
    duty = rules.next_obligation(current, entry["first_published_on"] is not None, entry["state"] == "due",
                                 rules.obligation(date.fromisoformat(entry["inspected_on"]), followups),
                                 rules.beijing_date(now))
    q.update_content(conn, entry["id"], record_category, category, handling, rules.due_fields(calendar, duty))
    if _publishes_now(conn):
        publish(conn, q.get_entry_by_record(conn, record_id), now, calendar)


def publish(conn: Connection, entry: Row, now: str, calendar: Calendar) -> dict[str, Any]:
    today = rules.beijing_date(now)
    record = records.get_record_by_id(conn, entry["record_id"])
    revision = entry["revision"] + 1
    doc = rules.entry_doc(
        entry["no"], revision, {"name": entry["unit_name"], "uscc": entry["unit_id"]}, entry["specialty"],
        json.loads(entry["tasks"]), json.loads(entry["items"]), date.fromisoformat(entry["inspected_on"]),
        entry["category"], json.loads(entry["handling"]), body_name(conn),
        date.fromisoformat(entry["due_on"]), today,
        record["envelope_sha256"], record["log_index"])
    body = canonicalize(doc)
    sha = hashlib.sha256(body).hexdigest()
    index = audit.append(conn, "disclosure.published", entry["no"], now, revision=revision, doc_sha256=sha,
                         record=entry["record_id"], record_envelope_sha256=record["envelope_sha256"])
    q.mark_published(conn, entry["id"], revision, now, today.isoformat(), body, sha, index)
    late = rules.late_days(calendar, date.fromisoformat(entry["due_on"]), today)
    q.insert_publication(conn, {"disclosure_id": entry["id"], "revision": revision, "due_from": entry["due_from"],
                                "due_days": entry["due_days"], "due_on": entry["due_on"],
                                "due_provisional": entry["due_provisional"], "due_basis": entry["due_basis"],
                                "published_at": now, "published_on": today.isoformat(), "late_days": late,
                                "doc_sha256": sha, "log_index": index})
    return {"no": entry["no"], "revision": revision, "doc_sha256": sha, "log_index": index, "late_days": late}


def publish_due(conn: Connection, now: str | None = None) -> dict[str, Any]:
    """The daily batch: publish everything due, and remind teams of rectification deadlines."""
    now = now or utc_now()
    calendar = workcalendar.official(conn)
    done = [publish(conn, entry, now, calendar) for entry in q.list_due(conn)]
    reminded = remind(conn, now, calendar)
    return {"published": len(done), "late": sum(1 for d in done if d["late_days"]), "reminders": reminded}


def reminders_due(conn: Connection, now: str, calendar: Calendar | None = None) -> list[dict[str, Any]]:
    """The rectifications a reminder is due for: deadline within REMIND_WITHIN working days (or
    past), no re-inspection found it rectified, and no reminder sent yet."""
    calendar = calendar or workcalendar.official(conn)
    today = rules.beijing_date(now)
    horizon = calendar.add(today, REMIND_WITHIN).day
    due = []
    for row in q.list_open_rectifications(conn):
        deadline = date.fromisoformat(json.loads(row["handling"])["rectify"]["deadline"])
        if deadline > horizon or q.reminder_sent(conn, row["record_id"], "rectify_deadline"):
            continue
        due.append({"record_id": row["record_id"], "assignment_id": row["assignment_id"], "no": row["no"],
                    "unit_name": row["unit_name"], "deadline": deadline.isoformat(), "overdue": deadline < today})
    return due


def remind(conn: Connection, now: str, calendar: Calendar) -> int:
    """A notice through the feed to each team member, once, when a rectification deadline is
    within REMIND_WITHIN working days (or past) and no re-inspection has found it rectified."""
    due = reminders_due(conn, now, calendar)
    for row in due:
        notice = json.dumps({"record_id": row["record_id"], "assignment_id": row["assignment_id"], "no": row["no"],
                             "unit_name": row["unit_name"], "deadline": row["deadline"],
                             "record_envelope_sha256": records.get_record_by_id(conn, row["record_id"])["envelope_sha256"],
                             "message": f"{row['unit_name']} 的整改期限为 {row['deadline']}，"
                                        + ("已过期，请尽快复查" if row["overdue"] else "请按期复查")},
                            ensure_ascii=False, separators=(",", ":"))
        for person in sorted(assignments.get_team_by_assignment(conn, row["assignment_id"]) or ()):
            assignments.insert_notice(conn, person, "reminder", notice, now)
        q.insert_reminder(conn, row["record_id"], "rectify_deadline", now)
    return len(due)


def load_calendar_notice(conn: Connection, text: str, source: str, by: str | None = None) -> int:
    """Load an official holiday notice (国务院办公厅 放假安排), then recompute the provisional due
    dates it settles; return its year."""
    year = workcalendar.load_notice(conn, text, source, by)
    recompute_provisional(conn)
    return year


def preview_calendar_notice(conn: Connection, text: str) -> dict[str, Any]:
    """What loading a notice would do, changing nothing: its holidays and swapped working days,
    the source it replaces, and how many provisional due dates it would settle or move."""
    year, days = workcalendar.parse(text)
    current = workcalendar.current(conn)
    proposed = current.with_year(year, days)
    moved = settled = 0
    rows = q.list_provisional_due(conn)
    for row in rows:
        deadline = proposed.add(date.fromisoformat(row["due_from"]), row["due_days"])
        moved += deadline.day.isoformat() != row["due_on"]
        settled += not deadline.provisional
    published = q.list_provisional_publications(conn)
    moved_published = sum(proposed.add(date.fromisoformat(p["due_from"]), p["due_days"]).day.isoformat() != p["due_on"]
                          for p in published)
    replaces = next((y for y in workcalendar.loaded_years(conn) if y["year"] == year), None)
    return {"year": year, "holidays": [d for d in days if not d.is_workday], "workdays": [d for d in days if d.is_workday],
            "replaces": replaces, "provisional": len(rows), "moved": moved, "settled": settled,
            "publications": len(published), "moved_publications": moved_published}


def recompute_provisional(conn: Connection) -> int:
    """After a year's official notice is loaded: due dates counted on weekends alone are counted
    again on the official calendar, and so is the lateness of publications against them."""
    calendar = workcalendar.official(conn)
    rows = q.list_provisional(conn)
    for row in rows:
        deadline = calendar.add(date.fromisoformat(row["due_from"]), row["due_days"])
        q.set_due(conn, row["id"], deadline.day.isoformat(), int(deadline.provisional))
    for pub in q.list_provisional_publications(conn):
        deadline = calendar.add(date.fromisoformat(pub["due_from"]), pub["due_days"])
        late = rules.late_days(calendar, deadline.day, date.fromisoformat(pub["published_on"]))
        q.update_publication_due(conn, pub["disclosure_id"], pub["revision"], deadline.day.isoformat(),
                                 int(deadline.provisional), late)
    return len(rows)


def due_list(conn: Connection, until: str) -> list[dict[str, Any]]:
    """Entries waiting for publication due on or before a day (overdue ones included)."""
    return [dict(r) for r in q.list_due_until(conn, until, 200)]


def status(conn: Connection, now: str | None = None) -> dict[str, Any]:
    today = rules.beijing_date(now or utc_now()).isoformat()
    counts = q.count_status(conn, today)
    on_time = counts["publications"] - counts["late_publications"]
    owed = counts["publications"] + counts["overdue"]
    return {**counts, "today": today, "on_time": on_time, "waiting": counts["due"] + counts["overdue"],
            "rate_percent": round(100 * on_time / owed, 1) if owed else 100.0,
            "overdue_list": [dict(r) for r in q.list_overdue(conn, today, 50)]}


def verification(conn: Connection, no: str, key: Any, now: str | None = None) -> dict[str, Any] | None:
    """Everything needed to check a published entry without trusting this server: its bytes, the
    audit-log entry that holds their hash with its inclusion proof, the record's receipt entry
    with its proof, and a checkpoint (tree head) signed by the server's key."""
    entry = q.get_entry_by_no(conn, no)
    doc = None if entry is None else q.get_doc(conn, entry["id"])
    if doc is None:
        return None
    head = audit.checkpoint(conn, key, now or utc_now())
    record = records.get_record_by_id(conn, entry["record_id"])
    return {"no": no, "doc": doc.decode("utf-8"), "doc_sha256": entry["doc_sha256"],
            "publication": audit.proof(conn, entry["log_index"], head["size"]),
            "record": {"envelope_sha256": record["envelope_sha256"],
                       "receipt": audit.proof(conn, record["log_index"], head["size"])},
            "checkpoint": head, "public_key": envelope.public_raw_of(key).hex()}
