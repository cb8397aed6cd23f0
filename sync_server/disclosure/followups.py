"""The follow-up ledger (后续处置): after a result is approved.

    re-inspection (复查)   signed on an inspector's tablet, pushed like a record: was the ordered
                            rectification done? The inspector may open one at any time, before
                            the office's reminder and before the leader's approval: it is held
                            with the record and the entry shows it once the record is approved.
    penalty decision        entered by the office: decision number and date (turns the published
                            category into 行政处罚, due within 7 working days of the decision)
    transfer (移送/抄告)    entered by the office: the receiving body and the date

Each one is appended to the audit log and updates the record's public entry. The ledger lists
what is still open: rectifications waiting for their re-inspection, cases waiting for a decision.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Any

from schemas import envelope
from schemas.errors import ContractError
from schemas.jcs import canonicalize
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.disclosure import service as disclosure
from schemas.clock import utc_now
from sync_server.disclosure.core import disclosure as rules
from sync_server.errors import BadRequest, Conflict, Forbidden, NotFound
from sync_server.records.intake import receipts, signed_document
from sync_server.planning.queries import assignments
from sync_server.disclosure.queries import disclosures as q
from sync_server.records.queries import photos, records


# --- re-inspections from the tablets -------------------------------------------------------------

def reinspect_batch(conn: Connection, pusher: Row, texts: list[str],
                    now: str | None = None) -> list[dict[str, Any]]:
    now = now or utc_now()
    return receipts(texts, lambda raw, sha: _reinspect_mapped(conn, pusher, raw, sha, now))


def _reinspect_mapped(conn: Connection, pusher: Row, raw: bytes, sha: str, now: str) -> dict[str, Any]:
    try:
        return _reinspect(conn, pusher, raw, sha, now)
    except rules.FollowupError as exc:
        raise BadRequest(exc.code, str(exc), exc.message_zh) from exc


def _reinspect(conn: Connection, pusher: Row, raw: bytes, sha: str, now: str) -> dict[str, Any]:
    device, doc = signed_document(conn, raw, envelope.REINSPECTION_TYPE, "reinspection", "此处只接收复查记录")
    stored = q.get_followup(conn, doc["id"])
    if stored is not None:   # authorized before anything about the stored follow-up is told
        if pusher["user_id"] != stored["by_user"]:
            _team_of_record(conn, device, pusher, doc, records.get_record_by_id(conn, stored["record_id"]))
        if stored["envelope_sha256"] != sha:
            raise Conflict("followup.conflict", "this follow-up id is stored with other bytes",
                           "同一编号的复查记录已以不同内容提交")
        return {"id": doc["id"], "status": "duplicate", "envelope_sha256": sha, "received_at": stored["received_at"],
                "log_index": stored["log_index"]}
    record = _followed_record(conn, doc["record_id"], REINSPECTABLE)
    _team_of_record(conn, device, pusher, doc, record)
    if record["envelope_sha256"] != doc["record_envelope_sha256"]:
        raise Conflict("review.record_mismatch", "the re-inspection names other record bytes", "复查记录与原记录内容不符")
    signed = disclosure.effective_record(conn, record["id"])   # a lab result may have ordered it
    if rules.rectify_deadline(signed) is None:
        raise Conflict("followup.not_applicable", "this record ordered no rectification", "该记录没有责令整改事项，无需复查")
    checked_on = rules.beijing_date(doc["checked_at"])
    rules.check_dated(signed, checked_on, rules.beijing_date(now), "复查")
    missing = photos.list_missing_shas(conn, doc["photos"])
    if missing:
        raise ContractError("followup.photos_missing", f"{len(missing)} photos are not uploaded",
                            "复查照片尚未上传，请先同步照片", {"missing": sorted(missing)})
    index = _store(conn, record["id"], "reinspection", checked_on, doc, device["user_id"], raw, sha, now)
    photos.link_record_photos(conn, record["id"], doc["photos"])  # shown with the record it follows
    return {"id": doc["id"], "status": "accepted", "envelope_sha256": sha, "received_at": now, "log_index": index}


def _team_of_record(conn: Connection, device: Row, pusher: Row, doc: dict[str, Any],
                    record: Row) -> None:
    """Signed, sent and confirmed by members of the record's team, or refused as a stranger."""
    team = assignments.get_team_by_assignment(conn, record["assignment_id"]) or set()
    if device["user_id"] not in team or pusher["user_id"] not in team or not set(doc["inspectors"]) <= team \
            or device["user_id"] not in doc["inspectors"]:
        raise Forbidden("assignment.not_on_team", "re-inspections are signed by the record's team",
                        "复查须由原检查组成员签名提交")


# A re-inspection may follow a record still waiting for review (the rectification was ordered on
# site; the visit to check it need not wait for the leader), never one returned or superseded.
REINSPECTABLE = frozenset({"in_review", "approved"})


def _followed_record(conn: Connection, record_id: str, states: frozenset[str] = frozenset({"approved"})) -> Row:
    record = records.get_record_by_id(conn, record_id)
    if record is None:
        raise NotFound("record.unknown", "no such record", "服务器上没有该记录")
    if record["review_state"] in ("returned", "superseded") and "in_review" in states:
        raise Conflict("followup.record_returned", f"the record is {record['review_state']}",
                       "原记录已被组长退回，请对更正后重新提交的记录复查", {"review_state": record["review_state"]})
    if record["review_state"] not in states:
        raise Conflict("followup.not_approved", "follow-ups apply to approved records",
                       "只有审核通过的检查结果才能录入后续处置", {"review_state": record["review_state"]})
    return record


def _store(conn: Connection, record_id: str, kind: str, on: date, doc: dict[str, Any], by: str,
           raw: bytes | None, sha: str, now: str) -> int:
    index = audit.append(conn, f"followup.{kind}", record_id, now, followup=doc["id"], on=on.isoformat(),
                         doc_sha256=sha)
    q.insert_followup(conn, {"id": doc["id"], "record_id": record_id, "kind": kind, "on_date": on.isoformat(),
                             "doc": json.dumps(doc, ensure_ascii=False), "by_user": by, "envelope": raw,
                             "envelope_sha256": sha, "received_at": now, "log_index": index})
    disclosure.refresh(conn, record_id, now)
    return index


# --- the office's entries ------------------------------------------------------------------------

def record_penalty(conn: Connection, by: str, record_id: str, decision_no: str, decided_on: str,
                   amount_fen: int | None = None, now: str | None = None, content: str = "") -> dict[str, Any]:
    now = now or utc_now()
    record = _followed_record(conn, record_id)
    decision_no = decision_no.strip()
    if not decision_no or len(decision_no) > 64:
        raise BadRequest("followup.bad_decision_no", "a decision number of 1 to 64 characters",
                         "处罚决定书文号应为 1–64 个字符")
    penalty = rules.Penalty(decision_no, _date(decided_on, "处罚决定日期"), amount_fen)
    if any(row["kind"] == "penalty" for row in q.list_followups(conn, record_id)):
        raise Conflict("followup.penalty_exists", "this record already has a penalty decision",
                       "该检查结果已录入处罚决定；如需更正请联系系统管理员")
    try:
        rules.check_penalty(disclosure.signed_record(conn, record_id), record["category"], penalty,
                            rules.beijing_date(now))
    except rules.FollowupError as exc:
        raise BadRequest(exc.code, str(exc), exc.message_zh) from exc
    doc = {"id": str(uuid.uuid4()), "decision_no": decision_no, "decided_on": penalty.decided_on.isoformat(),
           "amount_fen": amount_fen}
    if content.strip():   # 处罚内容, kept with the decision for the office (the entry publishes the number, date, fine)
        doc["content"] = content.strip()[:2000]
    sha = hashlib.sha256(canonicalize(doc)).hexdigest()
    index = _store(conn, record_id, "penalty", penalty.decided_on, doc, by, None, sha, now)
    return {**doc, "record_id": record_id, "log_index": index, "entry": _entry_state(conn, record_id)}


def record_transfer(conn: Connection, by: str, record_id: str, to_body: str, kind: str, on: str,
                    note: str = "", now: str | None = None) -> dict[str, Any]:
    now = now or utc_now()
    _followed_record(conn, record_id)
    to_body = to_body.strip()
    if not to_body or len(to_body) > 100:
        raise BadRequest("followup.bad_body", "the receiving body, 1 to 100 characters", "接收单位名称应为 1–100 个字符")
    if kind not in rules.TRANSFER_KINDS:
        raise BadRequest("followup.bad_kind", f"kind is one of {sorted(rules.TRANSFER_KINDS)}",
                         "移送类型应为 transfer（移送）、copy（抄告）或 judicial（移送司法机关）")
    day = _date(on, "移送日期")
    try:
        rules.check_dated(disclosure.signed_record(conn, record_id), day, rules.beijing_date(now), "移送")
    except rules.FollowupError as exc:
        raise BadRequest(exc.code, str(exc), exc.message_zh) from exc
    doc = {"id": str(uuid.uuid4()), "to_body": to_body, "kind": kind, "on": day.isoformat(), "note": note[:2000]}
    sha = hashlib.sha256(canonicalize(doc)).hexdigest()
    index = _store(conn, record_id, "transfer", day, doc, by, None, sha, now)
    return {**doc, "record_id": record_id, "log_index": index, "entry": _entry_state(conn, record_id)}


def _date(text: str, what_zh: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadRequest("followup.bad_date", f"not a date: {text!r}", f"{what_zh}格式应为 2026-10-01") from None


def _entry_state(conn: Connection, record_id: str) -> dict[str, Any] | None:
    return disclosure.entry_state(conn, record_id)


def resolve_record(conn: Connection, ref: str) -> str:
    """A record id from a record id or a public entry number (2026-000123)."""
    entry = q.get_entry_by_no(conn, ref)
    if entry is not None:
        return entry["record_id"]
    if records.get_record_by_id(conn, ref) is None:
        raise NotFound("record.unknown", f"no record or entry {ref!r}", f"没有编号为 {ref[:40]} 的检查结果")
    return ref


# --- the ledger ----------------------------------------------------------------------------------

def ledger(conn: Connection, now: str | None = None) -> dict[str, Any]:
    today = rules.beijing_date(now or utc_now())
    rectifications = []
    for row in q.list_open_rectifications(conn):
        rectify = json.loads(row["handling"])["rectify"]
        deadline = date.fromisoformat(rectify["deadline"])
        rectifications.append({"no": row["no"], "record_id": row["record_id"], "unit_name": row["unit_name"],
                               "specialty": row["specialty"], "inspected_on": row["inspected_on"],
                               "deadline": rectify["deadline"], "status": rectify["status"],
                               "status_zh": rules.rectify_status_text(rectify["status"], deadline, today),
                               "days_left": (deadline - today).days})
    cases = [dict(r) for r in q.list_open_cases(conn)]
    transfers = [{"no": r["no"], "unit_name": r["unit_name"], "on": r["on_date"], **json.loads(r["doc"])}
                 for r in q.list_transfers(conn)]
    return {"today": today.isoformat(), "rectifications": rectifications, "open_cases": cases, "transfers": transfers}
