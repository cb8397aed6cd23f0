"""A leader's decisions on records: signed on the leader's device, verified like records.

    approve   the record's result goes on to publication
    return    the record goes back to its inspectors through the feed, with the reason;
              their correction is a new record that supersedes it (no signed byte changes)

Four eyes: a leader never decides a record of a team they are on. A decision applies only to a
complete record still in review; the same decision sent again is a duplicate, another decision
under the same id a conflict. Every decision is in the audit log. A decision may carry the
leader's `comment` (optional): stored, and sent to the record's inspectors with the decision.

The queue gives, for a correction (a record that supersedes a returned one), the returned
record's envelope and the decision that returned it, so the leader sees what changed and why.
"""
from __future__ import annotations

import json
from typing import Any

from schemas import envelope
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.disclosure import service as disclosure
from schemas.clock import utc_now
from sync_server.errors import Conflict, Forbidden, NotFound
from sync_server.records.intake import receipts, signed_document
from sync_server.planning.queries import assignments
from sync_server.records.queries import records
from sync_server.accounts.queries import users


def decide_batch(conn: Connection, pusher: Row, texts: list[str],
                 now: str | None = None) -> list[dict[str, Any]]:
    now = now or utc_now()
    return receipts(texts, lambda raw, sha: _decide(conn, pusher, raw, sha, now))


def _decide(conn: Connection, pusher: Row, raw: bytes, sha: str, now: str) -> dict[str, Any]:
    device, doc = signed_document(conn, raw, envelope.REVIEW_TYPE, "review-decision", "此处只接收审核意见")
    stored = records.get_review_by_id(conn, doc["id"])
    if stored is not None:   # only its leader hears about a stored decision; others get a stranger's answer
        if pusher["user_id"] != stored["leader_id"]:
            raise _not_leader()
        return _again(stored, sha)
    record = _reviewable(conn, device, pusher, doc)
    return _store(conn, device, doc, record, raw, sha, now)


def _again(stored: Row, sha: str) -> dict[str, Any]:
    if stored["envelope_sha256"] != sha:
        raise Conflict("review.conflict", "this decision id is stored with other bytes", "同一编号的审核意见已以不同内容提交")
    return {"id": stored["id"], "status": "duplicate", "envelope_sha256": sha, "received_at": stored["received_at"],
            "log_index": stored["log_index"]}


def _reviewable(conn: Connection, device: Row, pusher: Row, doc: dict[str, Any]) -> Row:
    leader = users.get_user_by_id(conn, device["user_id"])
    if leader is None or leader["role"] != "leader" or doc["leader"] != leader["id"] or pusher["user_id"] != leader["id"]:
        raise _not_leader()
    record = records.get_record_by_id(conn, doc["record_id"])
    if record is None:
        raise NotFound("record.unknown", "no such record", "服务器上没有该记录")
    if leader["id"] in (assignments.get_team_by_assignment(conn, record["assignment_id"]) or set()):
        raise Forbidden("review.own_team", "a leader does not decide a record of a team they are on",
                        "您是该检查组成员，不能审核本组的记录（双人复核）")
    if record["envelope_sha256"] != doc["record_envelope_sha256"]:
        raise Conflict("review.record_mismatch", "the decision names other record bytes", "审核意见与记录内容不符")
    if record["state"] != "received" or record["review_state"] != "in_review":
        raise Conflict("review.not_in_review", f"the record is {record['state']}/{record['review_state']}",
                       "该记录当前不在待审核状态（可能照片未齐、已审核或已被更正）",
                       {"state": record["state"], "review_state": record["review_state"]})
    return record


def _not_leader() -> Forbidden:
    return Forbidden("review.not_leader", "decisions are signed and sent by the team leader named in them",
                     "审核意见须由组长本人在其设备上签名提交")


def _store(conn: Connection, device: Row, doc: dict[str, Any], record: Row, raw: bytes,
           sha: str, now: str) -> dict[str, Any]:
    state = "approved" if doc["decision"] == "approve" else "returned"
    index = audit.append(conn, f"review.{state}", record["id"], now, review=doc["id"], leader=doc["leader"],
                         envelope_sha256=sha)
    records.insert_review(conn, {"id": doc["id"], "record_id": record["id"], "leader_id": doc["leader"],
                                 "device_id": device["id"], "decision": doc["decision"], "reason": doc["reason"],
                                 "comment": doc.get("comment", ""), "envelope": raw, "envelope_sha256": sha, "received_at": now, "log_index": index})
    records.set_review_state(conn, record["id"], state)
    if state == "returned":
        _notify(conn, record, doc, now)
    else:
        disclosure.on_approved(conn, record["id"], now)
        _notify_approved(conn, record, doc, now)
    return {"id": doc["id"], "status": "accepted", "envelope_sha256": sha, "received_at": now, "log_index": index}


def _notify(conn: Connection, record: Row, doc: dict[str, Any], now: str) -> None:
    """The returned record, with the reason, goes to everyone who signed or confirmed it."""
    signed = envelope.parse(records.get_envelope_by_id(conn, record["id"]) or b"").document()
    notice = json.dumps({"record_id": record["id"], "assignment_id": record["assignment_id"], "decision": "return",
                         "reason": doc["reason"], "comment": doc.get("comment", ""), "leader": doc["leader"],
                         "decided_at": doc["decided_at"], "review_id": doc["id"]}, ensure_ascii=False, separators=(",", ":"))
    for person in dict.fromkeys([record["signer_id"], *signed["inspectors"]]):
        assignments.insert_notice(conn, person, "review", notice, now)


def _notify_approved(conn: Connection, record: Row, doc: dict[str, Any], now: str) -> None:
    """The approval, to everyone who signed or confirmed the record: their tablets show it approved."""
    signed = envelope.parse(records.get_envelope_by_id(conn, record["id"]) or b"").document()
    entry = disclosure.entry_state(conn, record["id"])
    notice = json.dumps({"record_id": record["id"], "assignment_id": record["assignment_id"], "decision": "approve",
                         "decided_at": doc["decided_at"], "review_id": doc["id"], "category": record["category"],
                         "comment": doc.get("comment", ""), "disclosure_no": entry["no"] if entry else None}, ensure_ascii=False, separators=(",", ":"))
    for person in dict.fromkeys([record["signer_id"], *signed["inspectors"]]):
        assignments.insert_notice(conn, person, "approved", notice, now)


def queue(conn: Connection, leader: Row, limit: int) -> dict[str, Any]:
    if leader["role"] != "leader":
        raise Forbidden("review.not_leader", "only team leaders review", "只有组长可以审核记录")
    rows = records.list_review_queue(conn, leader["user_id"], limit)
    return {"items": [{"record_id": r["id"], "envelope": bytes(r["envelope"]).decode("utf-8"),
                       "envelope_sha256": r["envelope_sha256"], "category": json.loads(r["category_json"]),
                       "received_at": r["received_at"], "assignment": json.loads(r["doc"]),
                       "earlier": _earlier(conn, r["supersedes"])} for r in rows]}


def _earlier(conn: Connection, record_id: str | None) -> dict[str, Any] | None:
    """The returned record a correction supersedes, and the decision that returned it."""
    raw = records.get_envelope_by_id(conn, record_id) if record_id else None
    returned = records.get_return_by_record(conn, record_id) if raw is not None else None
    if raw is None or returned is None:
        return None
    decision = envelope.parse(bytes(returned["envelope"])).document()
    leader = users.get_user_by_id(conn, returned["leader_id"])
    return {"record_id": record_id, "envelope": raw.decode("utf-8"),
            "returned": {"reason": returned["reason"], "comment": returned["comment"],
                         "leader": returned["leader_id"], "leader_name": leader["name"] if leader else "",
                         "decided_at": decision["decided_at"]}}
