"""The office's publication desk (结果公示): the entries in every state with their duties, and
publishing them from the console, one entry or the whole batch, through the same service as
`sync-server publish` (service.publish, service.publish_due).

Every form carries the version of what it was opened on (core.disclosure.publication_version,
batch_version): an entry published, changed or given a new due date since, or a batch list that
is no longer the one shown, is refused as Stale and nothing is published.

    list ─▶ publish one (entry no., its version)         ─▶ service.publish
         ─▶ confirm the batch (the list, its version)    ─▶ service.publish_due (with reminders)
    reminders due ─▶ send them (the list's version)      ─▶ service.remind
"""
from __future__ import annotations

import json
from datetime import date
from math import ceil
from typing import Any

from schemas.clock import utc_now
from sync_server.db import Connection, Row
from sync_server.disclosure import service, workcalendar
from sync_server.disclosure.core import disclosure as rules
from sync_server.disclosure.queries import disclosures as q
from sync_server.errors import Conflict, NotFound, Stale

PAGE_SIZE = 50
STATES = {"waiting": "待公示（全部）", "due": "待公示（未到期）", "overdue": "已逾期未公示", "update": "更新待公示",
          "published": "已公示"}


def version_of(entry: Row | dict[str, Any]) -> str:
    return rules.publication_version(entry["revision"], entry["state"], entry["category"], entry["handling"],
                                     entry["due_on"])


def entries(conn: Connection, filters: dict[str, Any], page: int, now: str | None = None) -> dict[str, Any]:
    """A page of entries in any state, filtered (state, year, specialty, category, no., unit)."""
    today = rules.beijing_date(now or utc_now()).isoformat()
    rows, total = q.page_office(conn, filters, today, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return {"today": today, "rows": [shown(row, today) for row in rows], "total": total, "page": page,
            "pages": max(1, ceil(total / PAGE_SIZE))}


def shown(row: Row | dict[str, Any], today: str) -> dict[str, Any]:
    """An entry as the office's lists show it: its state in words, the duty's basis, its version."""
    entry = dict(row)
    waiting = entry["state"] == "due"
    entry["status"] = ("overdue" if entry["due_on"] < today else "due") if waiting else "published"
    entry["is_update"] = waiting and entry.get("first_published_on") is not None
    entry["basis_zh"] = rules.DUE_BASIS.get(entry["due_basis"], entry["due_basis"])
    entry["handling_lines"] = rules.handling_text(json.loads(entry["handling"]), date.fromisoformat(today))
    entry["version"] = version_of(row)
    return entry


def waiting_entries(conn: Connection, now: str | None = None) -> list[dict[str, Any]]:
    """Every entry waiting for publication (due, overdue, updates), earliest due first."""
    today = rules.beijing_date(now or utc_now()).isoformat()
    return [shown(row, today) for row in q.list_due(conn)]


def waiting(conn: Connection, now: str | None = None) -> dict[str, Any]:
    """Everything the batch would publish now, with the reminders it would send, and the version
    of that list (the confirmation page carries it)."""
    now = now or utc_now()
    today = rules.beijing_date(now).isoformat()
    rows = waiting_entries(conn, now)
    reminders = service.reminders_due(conn, now)
    return {"today": today, "rows": rows, "reminders": reminders, "version": _batch_version(rows, reminders)}


def _batch_version(rows: list[dict[str, Any]], reminders: list[dict[str, Any]]) -> str:
    return rules.batch_version([(r["no"], r["version"]) for r in rows]
                               + [(f"reminder:{r['no']}", r["deadline"]) for r in reminders])


def publish_one(conn: Connection, no: str, version: str, now: str | None = None) -> dict[str, Any]:
    """Publish one entry waiting for publication, as the office saw it."""
    entry = q.get_entry_by_no(conn, no)
    if entry is None:
        raise NotFound("disclosure.unknown", f"no entry {no!r}", f"没有编号为 {no[:40]} 的公示条目")
    if version_of(entry) != version:
        raise Stale(f"公示条目 {no} 在您打开页面后已有变化（已公示，或内容、应公示日期已更新）。请核对最新内容后再公示。")
    if entry["state"] != "due":
        raise Conflict("disclosure.published", f"entry {no} is already published", f"公示条目 {no} 已公示，无需再次公示")
    return service.publish(conn, entry, now or utc_now(), workcalendar.official(conn))


def publish_batch(conn: Connection, version: str, now: str | None = None) -> dict[str, Any]:
    """The daily batch (service.publish_due: every entry waiting, and the reminders), provided the
    list is still the one the office confirmed."""
    now = now or utc_now()
    found = waiting(conn, now)
    if found["version"] != version:
        raise Stale("待公示条目或整改提醒在您打开确认页后已有变化，本次未公示任何条目。请重新核对清单后再确认。")
    return {**service.publish_due(conn, now), "nos": [row["no"] for row in found["rows"]]}


def reminders(conn: Connection, now: str | None = None) -> dict[str, Any]:
    due = service.reminders_due(conn, now or utc_now())
    return {"rows": due, "version": rules.batch_version([(r["no"], r["deadline"]) for r in due])}


def send_reminders(conn: Connection, version: str, now: str | None = None) -> int:
    """The rectification reminders due now (service.remind), as listed on the page."""
    now = now or utc_now()
    if reminders(conn, now)["version"] != version:
        raise Stale("需要提醒的整改在您打开页面后已有变化（可能已有人发送），本次未发送。请核对后再发送。")
    return service.remind(conn, now, workcalendar.official(conn))


def entry_detail(conn: Connection, no: str, now: str | None = None) -> dict[str, Any] | None:
    """One entry for the office: its state and duty, its publications (each revision, its due date
    and lateness) and its follow-ups."""
    entry = q.get_entry_by_no(conn, no)
    if entry is None:
        return None
    today = rules.beijing_date(now or utc_now()).isoformat()
    publications = [{**dict(p), "basis_zh": rules.DUE_BASIS.get(p["due_basis"], p["due_basis"])}
                    for p in q.list_publications_of(conn, entry["id"])]
    return {"entry": shown(entry, today), "publications": publications, "today": today,
            "tasks": json.loads(entry["tasks"]), "items": json.loads(entry["items"])}
