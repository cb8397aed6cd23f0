"""The annual plan as a document: drafts, publication, revisions with reasons, the public history.

The rules (states, limits, canonical content) are in planning/core/plan_document.py; the SQL in
planning/queries/plan_documents.py. Every change is one call in the caller's write transaction and
goes into the audit log with the person (`by`, e.g. "office:zhang"):

    plan.drafted            version 1's draft was written (the plan row is made if no task made it)
    plan.draft_saved        a draft was saved (version, its edit number after the save)
    plan.published          version 1 was published (its SHA-256)
    plan.revision_started   a draft of version n+1 was opened from version n
    plan.revised            version n+1 was published (its SHA-256, the reason, the version it replaces)
    plan.draft_discarded    a draft was thrown away (nothing of it was ever public)

A draft's form carries its edit token (`v<version>.<edit>`); a save, publish or discard from a form
opened before another change (a save, a publication) is refused with Stale and changes nothing.
"""
from __future__ import annotations

import json
from typing import Any

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.errors import FieldErrors, NotFound, Stale
from sync_server.planning import plans
from sync_server.planning.core import plan_document as rules
from sync_server.planning.queries import plan_documents as q
from sync_server.planning.queries import plans as plan_queries

YEAR_MIN, YEAR_MAX = 2000, 2099
STALE_SAVED = "该计划草稿在您打开页面后已被修改或公布，本次操作未生效。请重新打开计划页面，在最新内容上操作。"
STALE_REVISION = "该计划在您打开页面后已有变化（已开始修订或已公布新版本），本次操作未生效。请重新打开计划页面。"


def plan_row(conn: Connection, year: int) -> Row:
    row = plan_queries.get_plan_by_year(conn, year)
    if row is None:
        raise NotFound("plan.unknown", f"no plan for {year}", f"没有 {year} 年度的抽查计划")
    return row


def check_year(raw: str) -> int:
    """A year typed into a form: four ASCII digits within range, or a field error."""
    text = raw.strip()
    if not (len(text) == 4 and text.isascii() and text.isdigit()) or not YEAR_MIN <= int(text) <= YEAR_MAX:
        raise FieldErrors({"year": f"年度应为 {YEAR_MIN}–{YEAR_MAX} 之间的四位数字。"})
    return int(text)


def create(conn: Connection, year: int, title: str, body: str, by: str, name: str) -> dict[str, Any]:
    """Version 1's draft of the year's plan (the plan itself may already exist, made by a task)."""
    title, body = title.strip(), rules.normalize(body)
    existing = plan_queries.get_plan_by_year(conn, year)
    if existing is not None and q.list_versions(conn, existing["id"]):
        raise FieldErrors({"year": f"{year} 年度的计划已起草，请在该年度的计划页面上编辑或修订。"})
    errors = rules.draft_errors(title, body, "", revision=False)
    if errors:
        raise FieldErrors(errors)
    plan_id = plans.ensure_plan(conn, year)   # its public title stays the default until a version is published
    now = utc_now()
    q.insert_draft(conn, {"plan_id": plan_id, "version": 1, "title": title, "body": body, "reason": "",
                          "at": now, "by": by, "name": name})
    audit.append(conn, "plan.drafted", plan_id, now, by=by, year=year, version=1)
    return {"plan_id": plan_id, "year": year, "version": 1}


def save(conn: Connection, year: int, token: str, title: str, body: str, reason: str, by: str,
         name: str) -> dict[str, Any]:
    plan = plan_row(conn, year)
    draft = _current_draft(conn, plan["id"], token)
    title, body, reason = title.strip(), rules.normalize(body), reason.strip()
    errors = rules.draft_errors(title, body, reason, revision=draft["version"] > 1)
    if errors:
        raise FieldErrors(errors)
    now = utc_now()
    row = {"title": title, "body": body, "reason": reason if draft["version"] > 1 else "", "at": now, "by": by,
           "name": name}
    if q.update_draft(conn, plan["id"], draft["version"], draft["edit"], row) != 1:
        raise Stale(STALE_SAVED)
    audit.append(conn, "plan.draft_saved", plan["id"], now, by=by, year=year, version=draft["version"],
                 edit=draft["edit"] + 1)
    return {"year": year, "version": draft["version"]}


def publish(conn: Connection, year: int, token: str, by: str, name: str) -> dict[str, Any]:
    """Publishes the draft as the form showed it; it never changes again."""
    plan = plan_row(conn, year)
    draft = _current_draft(conn, plan["id"], token)
    revision = draft["version"] > 1
    errors = rules.publish_errors(draft["title"], draft["body"], draft["reason"], revision)
    if errors:
        raise FieldErrors(errors)
    previous = q.get_latest_published(conn, plan["id"])
    now = utc_now()
    content = rules.content(year, draft["version"], draft["title"], draft["body"], draft["reason"], now,
                            previous["sha256"] if previous is not None else None, _task_list(conn, plan["id"]))
    sha = rules.digest(content)
    row = {"at": now, "by": by, "name": name, "content": content, "sha256": sha}
    if q.publish_draft(conn, plan["id"], draft["version"], draft["edit"], row) != 1:
        raise Stale(STALE_SAVED)
    q.set_plan_title(conn, plan["id"], draft["title"])
    facts: dict[str, Any] = {"by": by, "year": year, "version": draft["version"], "sha256": sha}
    if revision:
        facts.update(reason=draft["reason"], revises=previous["sha256"] if previous is not None else None)
    audit.append(conn, "plan.revised" if revision else "plan.published", plan["id"], now, **facts)
    return {"year": year, "version": draft["version"], "sha256": sha}


def publish_entered(conn: Connection, year: int, token: str, title: str, body: str, reason: str, by: str,
                    name: str) -> dict[str, Any]:
    """Saves what the form shows (when it differs from the stored draft) and publishes it, all at once."""
    plan = plan_row(conn, year)
    draft = _current_draft(conn, plan["id"], token)
    entered = (title.strip(), rules.normalize(body), reason.strip() if draft["version"] > 1 else "")
    if entered != (draft["title"], draft["body"], draft["reason"]):
        save(conn, year, token, title, body, reason, by, name)
        token = rules.edit_token(draft["version"], draft["edit"] + 1)
    return publish(conn, year, token, by, name)


def start_revision(conn: Connection, year: int, token: str, by: str, name: str) -> dict[str, Any]:
    """A draft of the next version, starting from the published one; `token` is the published
    version the page showed (a second click, or someone else's revision, is stale)."""
    plan = plan_row(conn, year)
    latest = q.get_latest_published(conn, plan["id"])
    if latest is None or q.get_draft(conn, plan["id"]) is not None or token != f"p{latest['version']}":
        raise Stale(STALE_REVISION)
    now = utc_now()
    version = latest["version"] + 1
    q.insert_draft(conn, {"plan_id": plan["id"], "version": version, "title": latest["title"],
                          "body": latest["body"], "reason": "", "at": now, "by": by, "name": name})
    audit.append(conn, "plan.revision_started", plan["id"], now, by=by, year=year, version=version)
    return {"year": year, "version": version}


def discard(conn: Connection, year: int, token: str, by: str) -> dict[str, Any]:
    """Throws away the draft (never public); the published versions stay as they are."""
    plan = plan_row(conn, year)
    draft = _current_draft(conn, plan["id"], token)
    if q.delete_draft(conn, plan["id"], draft["version"], draft["edit"]) != 1:
        raise Stale(STALE_SAVED)
    audit.append(conn, "plan.draft_discarded", plan["id"], utc_now(), by=by, year=year, version=draft["version"])
    return {"year": year, "version": draft["version"]}


def _current_draft(conn: Connection, plan_id: str, token: str) -> Row:
    draft = q.get_draft(conn, plan_id)
    if draft is None or token != rules.edit_token(draft["version"], draft["edit"]):
        raise Stale(STALE_SAVED)
    return draft


def _task_list(conn: Connection, plan_id: str) -> list[dict[str, Any]]:
    """The plan's tasks as a published version lists them (the tasks table holds the live ones)."""
    return [{"number": t["number"], "title": t["title"], "specialties": json.loads(t["specialties"]) or [t["specialty"]],
             "period_start": t["period_start"], "period_end": t["period_end"]}
            for t in q.list_tasks_of_plan(conn, plan_id)]


def overview(conn: Connection) -> list[dict[str, Any]]:
    """Every year's plan with its state (the console's list)."""
    return [{**dict(row), "state": rules.plan_state(row["published"] or 0, row["draft"] is not None)}
            for row in q.list_plans_with_state(conn)]


def document(conn: Connection, year: int) -> dict[str, Any]:
    """One year's plan as the console shows it: the draft (with its edit token), every published
    version, the live tasks."""
    plan = plan_row(conn, year)
    versions = q.list_versions(conn, plan["id"])
    draft = next((v for v in versions if v["state"] == "draft"), None)
    published = [v for v in versions if v["state"] == "published"]
    latest = published[0] if published else None
    return {"plan": plan, "draft": draft, "published": published, "current": latest,
            "state": rules.plan_state(latest["version"] if latest else 0, draft is not None),
            "token": rules.edit_token(draft["version"], draft["edit"]) if draft else "",
            "revision_token": f"p{latest['version']}" if latest else "",
            "tasks": q.list_tasks_of_plan(conn, plan["id"])}


def public_versions(conn: Connection, plan_id: str) -> list[Row]:
    """The published versions, newest first (drafts are never public)."""
    return q.list_published_versions(conn, plan_id)


def published_version(conn: Connection, plan_id: str, version: int) -> Row | None:
    row = q.get_version(conn, plan_id, version)
    return row if row is not None and row["state"] == "published" else None


def version_tasks(version: Row) -> list[dict[str, Any]]:
    """The tasks a published version listed (from its canonical content)."""
    return list(json.loads(bytes(version["content"]))["tasks"])
