"""The office's follow-up forms (后续处置录入) and the full ledger the console shows.

A penalty decision or a transfer is entered through the same services as `sync-server penalty`
and `sync-server transfer` (followups.record_penalty, record_transfer). What this module adds is
what a form needs:
- every field checked at once, each error in Chinese under the field it belongs to (FieldErrors);
  a refusal of the service (a record not approved, no problem found, a second decision, a date
  before the inspection...) is put beside the field it is about;
- the version of the entry the form was opened on (core.disclosure.content_version): an entry
  whose content or follow-ups changed since is refused (Stale), nothing saved.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from schemas.clock import utc_now
from sync_server.accounts.queries import users
from sync_server.db import Connection
from sync_server.disclosure import followups, service
from sync_server.disclosure.core import disclosure as rules
from sync_server.disclosure.queries import disclosures as q
from sync_server.errors import ApiError, FieldErrors, Stale
from sync_server.records.queries import records

# A service refusal → the form field it is about (anything else is about the entry itself: "no").
PENALTY_FIELDS = {"followup.bad_decision_no": "decision_no", "followup.bad_date": "decided_on",
                  "followup.before_inspection": "decided_on", "followup.in_future": "decided_on",
                  "followup.bad_amount": "amount_yuan"}
TRANSFER_FIELDS = {"followup.bad_body": "to_body", "followup.bad_kind": "kind", "followup.bad_date": "on",
                   "followup.before_inspection": "on", "followup.in_future": "on"}
ENTRY_CODES = {"record.unknown", "followup.not_approved", "followup.record_returned", "followup.not_applicable",
               "followup.penalty_exists"}
MAX_NOTE = 2000
REINSPECTION_OUTCOME = {"rectified": "已整改", "not_rectified": "未整改"}


def version_of(conn: Connection, record_id: str) -> str | None:
    """The version of the entry a follow-up form is about (None: the record has no entry)."""
    entry = q.get_entry_by_record(conn, record_id)
    if entry is None:
        return None
    return rules.content_version(entry["category"], entry["handling"],
                                 [row["id"] for row in q.list_followups(conn, record_id)])


def form_entry(conn: Connection, ref: str, now: str | None = None) -> dict[str, Any] | None:
    """The entry a form is opened on (by its entry no.): what the office needs to see
    beside the form, and the version the form carries. None when there is no such entry."""
    entry = q.get_entry_by_no(conn, ref.strip()) if ref.strip() else None
    if entry is None:
        return None
    today = rules.beijing_date(now or utc_now())
    handling = json.loads(entry["handling"])
    return {"no": entry["no"], "unit_name": entry["unit_name"], "inspected_on": entry["inspected_on"],
            "category": entry["category"], "has_case": "case" in handling,
            "decided": bool(handling.get("case", {}).get("decision_no")),
            "handling_lines": rules.handling_text(handling, today), "version": version_of(conn, entry["record_id"])}


def enter_penalty(conn: Connection, by: str, form: dict[str, str], now: str | None = None) -> dict[str, Any]:
    """A penalty decision from the form: 公示编号 (no), 处罚决定书文号 (decision_no), 处罚决定日期
    (decided_on), 罚款金额（元） (amount_yuan, optional), 处罚内容 (content, optional)."""
    now = now or utc_now()
    errors: dict[str, str] = {}
    record_id = _record(conn, form, errors)
    decision_no = form.get("decision_no", "").strip()
    if not decision_no:
        errors["decision_no"] = "请填写处罚决定书文号"
    elif len(decision_no) > 64:
        errors["decision_no"] = "处罚决定书文号应为 1–64 个字符"
    _day(form.get("decided_on", ""), "处罚决定日期", now, errors, "decided_on")
    try:
        amount = rules.parse_yuan(form.get("amount_yuan", ""))
    except ValueError as exc:
        errors["amount_yuan"] = str(exc)
    _note(form.get("content", ""), "处罚内容", errors, "content")
    if errors:
        raise FieldErrors(errors)
    _fresh(conn, record_id, form)
    return _mapped(PENALTY_FIELDS, lambda: followups.record_penalty(
        conn, by, record_id, decision_no, form["decided_on"].strip(), amount, now, form.get("content", "")))


def enter_transfer(conn: Connection, by: str, form: dict[str, str], now: str | None = None) -> dict[str, Any]:
    """A transfer from the form: 公示编号 (no), 接收单位 (to_body), 类型 (kind: 移送/抄告/移送司法机关),
    日期 (on), 说明 (note, optional)."""
    now = now or utc_now()
    errors: dict[str, str] = {}
    record_id = _record(conn, form, errors)
    to_body = form.get("to_body", "").strip()
    if not to_body:
        errors["to_body"] = "请填写接收单位"
    elif len(to_body) > 100:
        errors["to_body"] = "接收单位名称应为 1–100 个字符"
    if form.get("kind", "") not in rules.TRANSFER_KINDS:
        errors["kind"] = "请选择类型：移送、抄告或移送司法机关"
    _day(form.get("on", ""), "移送（抄告）日期", now, errors, "on")
    _note(form.get("note", ""), "说明", errors, "note")
    if errors:
        raise FieldErrors(errors)
    _fresh(conn, record_id, form)
    return _mapped(TRANSFER_FIELDS, lambda: followups.record_transfer(
        conn, by, record_id, to_body, form["kind"], form["on"].strip(), form.get("note", "").strip(), now))


def _record(conn: Connection, form: dict[str, str], errors: dict[str, str]) -> str:
    ref = form.get("no", "").strip()
    if not ref:
        errors["no"] = "请填写公示编号（如 2026-000123）"
        return ""
    entry = q.get_entry_by_no(conn, ref)
    if entry is not None:
        return str(entry["record_id"])
    if len(ref) <= 64 and records.get_record_by_id(conn, ref) is not None:
        return ref
    errors["no"] = f"没有编号为 {ref[:40]} 的公示条目（公示编号形如 2026-000123）"
    return ""


def _day(text: str, what_zh: str, now: str, errors: dict[str, str], field: str) -> None:
    """A date field: its form, and not after today (Beijing); the service checks the rest."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = f"请填写{what_zh}，格式如 2026-10-01" if not text.strip() else f"{what_zh}格式应为 2026-10-01"
        return
    if day > rules.beijing_date(now):
        errors[field] = f"{what_zh}（{day}）晚于今天，不能录入尚未发生的日期"


def _note(text: str, what_zh: str, errors: dict[str, str], field: str) -> None:
    if len(text.strip()) > MAX_NOTE:
        errors[field] = f"{what_zh}不超过 {MAX_NOTE} 个字"


def _fresh(conn: Connection, record_id: str, form: dict[str, str]) -> None:
    """Refuse a form opened on this entry whose content or follow-ups changed since."""
    opened_on, version = form.get("opened_no", "").strip(), form.get("version", "").strip()
    entry = q.get_entry_by_record(conn, record_id)
    if not opened_on or entry is None or opened_on != entry["no"]:
        return
    if version != version_of(conn, record_id):
        raise Stale(f"公示条目 {opened_on} 在您打开此表单后已有变化（已录入其他后续处置或内容已更新），本次未保存。"
                    "请查看最新情况后再录入。")


def _mapped(fields: dict[str, str], enter: Any) -> dict[str, Any]:
    try:
        return enter()
    except ApiError as exc:
        field = fields.get(exc.code) or ("no" if exc.code in ENTRY_CODES else None)
        if field is None:
            raise
        raise FieldErrors({field: exc.message_zh}) from exc


# --- the ledger as the console shows it ----------------------------------------------------------

def office_ledger(conn: Connection, now: str | None = None, limit: int = 200) -> dict[str, Any]:
    """followups.ledger (open rectifications, open cases) with when each reminder went out, and
    the follow-ups recorded: re-inspections from the tablets, penalty decisions, transfers, each
    with who entered or signed it."""
    now = now or utc_now()
    book = followups.ledger(conn, now)
    sent = q.list_reminders(conn, "rectify_deadline")
    for row in book["rectifications"]:
        row["reminded_at"] = sent.get(row["record_id"])
    names = {u["id"]: u["name"] for u in users.list_users(conn)}
    book["reinspections"] = [
        {**_followup(row, names), "outcome_zh": REINSPECTION_OUTCOME.get(row["doc"]["outcome"], row["doc"]["outcome"]),
         "inspectors": [names.get(p, p) for p in row["doc"]["inspectors"]]}
        for row in _rows(conn, "reinspection", limit)]
    book["penalties"] = [_followup(row, names) for row in _rows(conn, "penalty", limit)]
    book["transfers"] = [{**_followup(row, names), "kind_zh": rules.TRANSFER_KINDS.get(row["doc"]["kind"], "移送")}
                         for row in _rows(conn, "transfer", limit)]
    book["reminders_due"] = service.reminders_due(conn, now)
    return book


def _rows(conn: Connection, kind: str, limit: int) -> list[dict[str, Any]]:
    return [{**dict(row), "doc": json.loads(row["doc"])} for row in q.list_followups_of_kind(conn, kind, limit)]


def _followup(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    by = row["by_user"]
    return {"no": row["no"], "unit_name": row["unit_name"], "on": row["on_date"], "doc": row["doc"],
            "by": names.get(by, by), "received_at": row["received_at"]}
