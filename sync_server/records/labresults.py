"""Lab results (委托检验检测): a sample's result reaches a stored record, later than the record.

    inspector's tablet  a `lab-result` DSSE envelope signed by the device, POST /v1/lab-results/batch
                        (one receipt each, like re-inspections)
    the office          POST /v1/admin/results/{ref}/lab-results or `sync-server lab-result`
                        (the same document, attributed to the office account)

Either way the document names the record (id and envelope hash), the item and its sample number;
`schemas.lab.check_result` refuses anything else. Accepted, it is stored beside the record (the
signed record is never rewritten), the audit log gets `lab.result` (the document's hash, who, from
where) and `record.category` when the category changes, the record's category is recomputed on
the effective record, its public entry follows (disclosure.service.refresh), and each team member's
feed gets a `lab_result` notice.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Any

from schemas import contract, envelope, lab
from schemas.categories import categorize
from schemas.clock import utc_now
from schemas.errors import ContractError
from schemas.jcs import canonicalize
from schemas.record import action_from_json
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.disclosure import service as disclosure
from sync_server.disclosure.core import disclosure as rules
from sync_server.errors import BadRequest, Conflict, Forbidden, NotFound
from sync_server.planning.queries import assignments
from sync_server.records.intake import receipts, signed_document
from sync_server.records.queries import labresults as q, photos, records

CONFLICTS = ("lab.result_exists", "lab.record_mismatch")


# --- from the tablets ----------------------------------------------------------------------------

def push_batch(conn: Connection, pusher: Row, texts: list[str], now: str | None = None) -> list[dict[str, Any]]:
    now = now or utc_now()
    return receipts(texts, lambda raw, sha: _from_device(conn, pusher, raw, sha, now))


def _from_device(conn: Connection, pusher: Row, raw: bytes, sha: str, now: str) -> dict[str, Any]:
    device, doc = signed_document(conn, raw, envelope.LAB_RESULT_TYPE, "lab-result", "此处只接收检验结果")
    record = _record(conn, doc["record_id"])
    team = assignments.get_team_by_assignment(conn, record["assignment_id"]) or set()
    if device["user_id"] not in team or pusher["user_id"] not in team or doc["entered_by"] != device["user_id"]:
        raise Forbidden("assignment.not_on_team", "lab results from a tablet are signed by the record's team",
                        "检验结果须由原检查组成员在本人平板上签名提交")
    stored = q.get_lab_result_by_id(conn, doc["id"])
    if stored is not None:
        return _again(stored, sha)
    missing = photos.list_missing_shas(conn, doc["photos"])
    if missing:
        raise ContractError("lab.photos_missing", f"{len(missing)} photos are not uploaded",
                            "检验报告照片尚未上传，请先同步照片", {"missing": sorted(missing)})
    return _accept(conn, record, doc, device["user_id"], "device", raw, sha, now)


def _again(stored: Row, sha: str) -> dict[str, Any]:
    if stored["envelope_sha256"] != sha:
        raise Conflict("lab.conflict", "this lab result id is stored with other bytes", "同一编号的检验结果已以不同内容提交")
    return {"id": stored["id"], "status": "duplicate", "envelope_sha256": sha, "received_at": stored["received_at"],
            "log_index": stored["log_index"]}


# --- the office's list --------------------------------------------------------------------------

def waiting_samples(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Samples of records still 待检验结果, for the office console: unit, item, sample, lab, tests."""
    out = []
    for row in q.list_pending_lab_records(conn, limit):
        record = envelope.parse(bytes(row["envelope"])).document()
        assignment = json.loads(row["assignment"])
        names = {i["code"]: i["name"] for i in assignment["items"]}
        done = {json.loads(d)["item_code"] for d in q.list_lab_docs_by_record(conn, row["id"])}
        out += [{"record_id": row["id"], "unit_name": assignment["unit"]["name"], "received_at": row["received_at"],
                 "item_name": names.get(s["item_code"], s["item_code"]), **s}
                for s in lab.pending_samples(record) if s["item_code"] not in done]
    return out


# --- from the office -----------------------------------------------------------------------------

def enter_by_office(conn: Connection, by: str, record_id: str, fields: dict[str, Any],
                    now: str | None = None) -> dict[str, Any]:
    """The office enters a result from the lab's report: item_code, sample_no, lab, report_no,
    reported_on, outcome, note, and for a failed sample the order (rectify_by or case)."""
    now = now or utc_now()
    record = _record(conn, record_id)
    doc = lab.LabResult(str(uuid.uuid4()), record_id, record["envelope_sha256"], _text(fields, "item_code"),
                        _text(fields, "sample_no"), _text(fields, "lab"), _text(fields, "reported_on"),
                        _text(fields, "outcome"), by, now, report_no=_text(fields, "report_no"),
                        note=_text(fields, "note"), action=_action(fields)).as_json()
    contract.validate("lab-result", doc)
    sha = hashlib.sha256(canonicalize(doc)).hexdigest()
    receipt = _accept(conn, record, doc, by, "office", None, sha, now)
    return {**doc, **receipt, "entry": disclosure.entry_state(conn, record_id)}


def _action(fields: dict[str, Any]) -> Any:
    if fields.get("outcome") != "non_compliant":
        return None
    if fields.get("case"):
        return action_from_json({"kind": "case", "case_no": _text(fields, "case_no") or None})
    deadline = _text(fields, "rectify_by")
    if not deadline:
        raise BadRequest("lab.action_required", "a failed sample orders rectify_by (a date) or a case",
                         "检验不合格须填写整改期限（rectify_by）或立案（case）")
    return action_from_json({"kind": "rectify", "deadline": deadline})


def _text(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key) or ""
    if not isinstance(value, str):
        raise BadRequest("request.field_type", f"{key} is a string", f"字段 {key} 应为文本")
    return value


# --- both ----------------------------------------------------------------------------------------

def _record(conn: Connection, record_id: str) -> Row:
    record = records.get_record_by_id(conn, record_id)
    if record is None:
        raise NotFound("record.unknown", "no such record", "服务器上没有该记录")
    if record["review_state"] in ("returned", "superseded"):
        raise Conflict("lab.record_returned", "the record was returned; enter the result on its correction",
                       "该记录已被退回，请在更正后的记录上录入检验结果", {"review_state": record["review_state"]})
    return record


def _accept(conn: Connection, record: Row, doc: dict[str, Any], by: str, source: str, raw: bytes | None,
            sha: str, now: str) -> dict[str, Any]:
    if record["envelope_sha256"] != doc["record_envelope_sha256"]:
        raise Conflict("lab.record_mismatch", "the lab result names other record bytes", "检验结果与原记录内容不符")
    signed = disclosure.signed_record(conn, record["id"])
    earlier = [json.loads(text) for text in q.list_lab_docs_by_record(conn, record["id"])]
    _checked(signed, doc, earlier, now)
    index = audit.append(conn, "lab.result", record["id"], now, result=doc["id"], item=doc["item_code"],
                         sample=doc["sample_no"], outcome=doc["outcome"], source=source, by=by, doc_sha256=sha)
    q.insert_lab_result(conn, {"id": doc["id"], "record_id": record["id"], "item_code": doc["item_code"],
                               "sample_no": doc["sample_no"], "outcome": doc["outcome"], "source": source,
                               "doc": json.dumps(doc, ensure_ascii=False), "by_user": by, "envelope": raw,
                               "envelope_sha256": sha, "received_at": now, "log_index": index})
    photos.link_record_photos(conn, record["id"], doc["photos"])
    category = _recategorize(conn, record, lab.effective_record(signed, [*earlier, doc]), now)
    disclosure.refresh(conn, record["id"], now)
    _tell_team(conn, record, doc, category, now)
    return {"id": doc["id"], "status": "accepted", "envelope_sha256": sha, "received_at": now, "log_index": index,
            "category": category}


def _checked(signed: dict[str, Any], doc: dict[str, Any], earlier: list[dict[str, Any]], now: str) -> None:
    try:
        lab.check_result(signed, doc, earlier)
        rules.check_dated(signed, _day(doc["reported_on"]), rules.beijing_date(now), "检验报告")
    except lab.LabResultError as exc:
        error = Conflict if exc.code in CONFLICTS else BadRequest
        raise error(exc.code, str(exc), exc.message_zh) from exc
    except rules.FollowupError as exc:
        raise BadRequest(exc.code.replace("followup.", "lab."), str(exc), exc.message_zh) from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest("lab.bad_date", f"not a date: {text!r}", "检验报告日期格式应为 2026-10-01") from None


def _tell_team(conn: Connection, record: Row, doc: dict[str, Any], category: dict[str, Any], now: str) -> None:
    """A feed notice (kind `lab_result`) to each team member, so every tablet of the team shows the
    sample as resulted, whoever entered it."""
    notice = json.dumps({"record_id": record["id"], "assignment_id": record["assignment_id"],
                         "item_code": doc["item_code"], "sample_no": doc["sample_no"], "outcome": doc["outcome"],
                         "result_id": doc["id"], "category": category}, ensure_ascii=False, separators=(",", ":"))
    for person in sorted(assignments.get_team_by_assignment(conn, record["assignment_id"]) or ()):
        assignments.insert_notice(conn, person, "lab_result", notice, now)


def _recategorize(conn: Connection, record: Row, effective: dict[str, Any], now: str) -> dict[str, Any]:
    category = categorize(effective)
    if category.code != record["category"]:
        audit.append(conn, "record.category", record["id"], now, before=record["category"], after=category.code,
                     rules=category.rules, basis=list(category.basis))
    records.set_category(conn, record["id"], category.code, json.dumps(category.as_json(), ensure_ascii=False))
    return category.as_json()
