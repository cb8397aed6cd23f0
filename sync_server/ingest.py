"""Signed records in: verify, check, store verbatim, categorize, log, answer with a receipt.

One call handles one batch inside the writer's transaction; each envelope gets its own
receipt, so one bad record never blocks the others. Statuses (schemas/v1/receipt.schema.json):
accepted · duplicate (these exact bytes were stored before) · incomplete (stored, photos
missing) · conflict (the id is stored with other bytes: 409) · rejected (not stored).
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any, Iterator

from schemas import contract, envelope
from schemas.errors import ContractError
from schemas.jcs import canonicalize
from sync_server import audit
from sync_server.clock import utc_now
from sync_server.core.categories import categorize
from sync_server.errors import ApiError, Conflict, Forbidden, error_json
from sync_server.queries import assignments, photos, records, users

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Batch:
    """What one push shares: the pushing device, a key cache, the clock."""

    def __init__(self, conn: sqlite3.Connection, pusher: sqlite3.Row) -> None:
        self.conn, self.pusher, self.now = conn, pusher, utc_now()
        self._keys: dict[str, sqlite3.Row | None] = {}

    def key(self, keyid: str) -> sqlite3.Row:
        if keyid not in self._keys:
            self._keys[keyid] = users.get_device_by_keyid(self.conn, keyid)
        device = self._keys[keyid]
        if device is None:
            raise ContractError("key.unknown", "the signing key is not enrolled", "签名密钥未注册")
        if device["status"] != "active":
            raise ContractError("key.revoked", "the signing key was revoked",
                                "签名设备已被停用，记录不能接收；请联系监督所")
        return device


def ingest_batch(conn: sqlite3.Connection, pusher: sqlite3.Row, texts: list[str]) -> list[dict[str, Any]]:
    batch = Batch(conn, pusher)
    return [ingest_one(batch, text) for text in texts]


def ingest_one(batch: Batch, text: str) -> dict[str, Any]:
    raw = text.encode("utf-8", "surrogatepass")
    sha = hashlib.sha256(raw).hexdigest()
    try:
        return _ingest(batch, raw, sha)
    except (ContractError, ApiError) as exc:
        status = "conflict" if isinstance(exc, Conflict) else "rejected"
        return {"id": _claimed_id(raw), "status": status, "envelope_sha256": sha, "error": error_json(exc)}


def _ingest(batch: Batch, raw: bytes, sha: str) -> dict[str, Any]:
    env = envelope.parse(raw)
    if env.payload_type != envelope.RECORD_TYPE:
        raise ContractError("envelope.payload_type", "push records here; reviews go to /v1/reviews",
                            "此处只接收检查记录")
    signer = batch.key(env.keyid)
    envelope.verify(env, bytes.fromhex(signer["public_key"]), signer["algorithm"])
    doc = _document(env)
    stored = records.get_record_by_id(batch.conn, doc["id"])
    if stored is not None:
        return _again(batch.conn, stored, sha)
    _authorize(batch, signer, doc)
    return _store(batch, signer, doc, raw, sha)


def _document(env: envelope.Envelope) -> dict[str, Any]:
    doc = env.document()
    if canonicalize(doc) != env.payload:
        raise ContractError("payload.not_canonical", "the payload is not RFC 8785 canonical JSON",
                            "记录未按规范编码（非规范 JSON）")
    contract.validate("inspection-record", doc)
    return doc


def _again(conn: sqlite3.Connection, stored: sqlite3.Row, sha: str) -> dict[str, Any]:
    if stored["envelope_sha256"] != sha:
        raise Conflict("record.conflict", "this record id is stored with other bytes",
                       "同一编号的记录已以不同内容提交，不能覆盖；如需更正请提交新记录",
                       {"stored_envelope_sha256": stored["envelope_sha256"]})
    return {**receipt_for(conn, stored), "status": "duplicate"}


def _authorize(batch: Batch, signer: sqlite3.Row, doc: dict[str, Any]) -> None:
    team = assignments.get_team_by_assignment(batch.conn, doc["assignment_id"])
    if team is None:
        raise ContractError("assignment.unknown", "no such assignment", "没有该检查任务")
    if signer["user_id"] not in team or batch.pusher["user_id"] not in team:
        raise Forbidden("assignment.not_on_team", "the signer or the pushing device is not on this team",
                        "您不是该检查任务的检查组成员，不能提交该记录")
    if signer["user_id"] not in doc["inspectors"] or not set(doc["inspectors"]) <= team:
        raise ContractError("record.inspectors", "inspectors must be team members, the signer among them",
                            "记录中的检查人员必须是检查组成员，且包括签名人")
    if doc["supersedes"] is not None:
        _check_supersedes(batch.conn, doc)


def _check_supersedes(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    earlier = records.get_record_by_id(conn, doc["supersedes"])
    if earlier is None or earlier["assignment_id"] != doc["assignment_id"]:
        raise ContractError("record.supersedes_unknown", "supersedes names no record of this assignment",
                            "被更正的记录不存在或不属于该检查任务")


def _store(batch: Batch, signer: sqlite3.Row, doc: dict[str, Any], raw: bytes, sha: str) -> dict[str, Any]:
    category = categorize(doc)
    missing = photos.list_missing_shas(batch.conn, referenced_photos(doc))
    state = "incomplete" if missing else "received"
    log_index = audit.append(batch.conn, "record.received", doc["id"], batch.now,
                             envelope_sha256=sha, state=state, category=category.code)
    records.insert_record(batch.conn, {
        "id": doc["id"], "assignment_id": doc["assignment_id"], "signer_id": signer["user_id"],
        "device_id": signer["id"], "envelope": raw, "envelope_sha256": sha,
        "supersedes": doc["supersedes"], "state": state, "category": category.code,
        "category_json": json.dumps(category.as_json(), ensure_ascii=False),
        "received_at": batch.now, "log_index": log_index})
    records.insert_missing_photos(batch.conn, doc["id"], missing)
    return {"id": doc["id"], "status": "incomplete" if missing else "accepted", "envelope_sha256": sha,
            "received_at": batch.now, "log_index": log_index, "category": category.as_json(),
            "missing_photos": missing}


def receipt_for(conn: sqlite3.Connection, stored: sqlite3.Row) -> dict[str, Any]:
    missing = records.list_missing_photos_by_record(conn, stored["id"])
    return {"id": stored["id"], "status": "incomplete" if missing else "accepted",
            "envelope_sha256": stored["envelope_sha256"], "received_at": stored["received_at"],
            "log_index": stored["log_index"], "category": json.loads(stored["category_json"]),
            "missing_photos": missing}


def referenced_photos(doc: dict[str, Any]) -> set[str]:
    return set(_photo_refs(doc))


def _photo_refs(doc: dict[str, Any]) -> Iterator[str]:
    for attempt in doc["visit"]["attempts"]:
        yield from attempt["photos"]
    for finding in doc["findings"]:
        yield from finding["photos"]
    if doc["party"] and "signature_photo" in doc["party"]:
        yield doc["party"]["signature_photo"]


def _claimed_id(raw: bytes) -> str | None:
    """The id the payload claims, for the client to match a rejection (not trusted)."""
    try:
        doc = envelope.parse(raw).document()
    except (ContractError, ValueError):
        return None
    claimed = doc.get("id") if isinstance(doc, dict) else None
    return claimed if isinstance(claimed, str) and UUID.match(claimed) else None


def photo_arrived(conn: sqlite3.Connection, device_id: str, sha: str, facts: Any, size: int) -> dict[str, Any]:
    """Record a stored photo; records that waited only for it become complete (and are logged)."""
    now = utc_now()
    if photos.insert_photo(conn, {"sha256": sha, "media_type": facts.media_type, "bytes": size,
                                  "width": facts.width, "height": facts.height,
                                  "received_at": now, "device_id": device_id}):
        for record_id in records.resolve_missing_photo(conn, sha):
            audit.append(conn, "record.completed", record_id, now, photo=sha)
    row = photos.get_photo_by_sha(conn, sha)
    return {"sha256": sha, "media_type": row["media_type"], "bytes": row["bytes"],
            "width": row["width"], "height": row["height"]}
