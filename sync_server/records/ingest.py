"""Signed records in: verify, check, store verbatim, categorize, log, answer with a receipt.

One call handles one batch inside the writer's transaction; each envelope gets its own
receipt, so one bad record never blocks the others. Statuses (schemas/v1/receipt.schema.json):
accepted · duplicate (these exact bytes were stored before) · incomplete (stored, photos
missing) · conflict (the id is stored with other bytes: 409) · rejected (not stored).
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from schemas import envelope
from schemas.errors import ContractError
from sync_server.audit import service as audit
from schemas.clock import utc_now
from schemas.categories import Category, categorize
from schemas.photo_refs import referenced_files
from sync_server.db import Connection, Row
from sync_server.errors import ApiError, Conflict, Forbidden, NotFound
from sync_server.records.intake import Refusal, checked_document, officer_key, officer_signers
from sync_server.planning.queries import assignments
from sync_server.records.queries import photos, records
from sync_server.accounts.queries import users

@dataclass(frozen=True)
class Checked:
    """An envelope whose signature, canonical form and schema are good; not yet authorized."""
    raw: bytes
    sha: str
    keyids: tuple[str, ...]
    doc: dict[str, Any]
    category: Category


@dataclass(frozen=True)
class Refused:
    """An envelope refused before any transaction; plain data, so it crosses processes."""
    raw: bytes
    sha: str
    refusal: Refusal


KEY_FIELDS = ("id", "user_id", "public_key", "algorithm", "status", "host_device_id")
PDF = "application/pdf"   # the papers handed over on site, kept beside the photos (records/documentstore.py)
PARALLEL_FROM = 16   # smaller batches are checked in-process: IPC would cost more than it saves


def parse_keys(conn: Connection, texts: list[str]) -> dict[str, dict[str, Any]]:
    """The devices whose keys the envelopes name (a read; the write re-checks their status)."""
    keyids = {k for text in texts for k in _keyids_or_none(text)}
    rows = {k: users.get_device_by_keyid(conn, k) for k in keyids}
    return {k: {f: row[f] for f in KEY_FIELDS} for k, row in rows.items() if row is not None}


def _keyids_or_none(text: str) -> tuple[str, ...]:
    try:
        return envelope.parse(text.encode("utf-8", "surrogatepass")).keyids
    except ContractError:
        return ()


def check(text: str, keys: dict[str, dict[str, Any]]) -> Checked | Refused:
    """Everything about one envelope that needs no transaction: the officers' signatures,
    canonical form, schema, category. Pure of the database, so a batch is checked on several processes."""
    raw = text.encode("utf-8", "surrogatepass")
    sha = hashlib.sha256(raw).hexdigest()
    try:
        env = envelope.parse(raw)
        if env.payload_type != envelope.RECORD_TYPE:
            raise ContractError("envelope.payload_type", "push records here; reviews go to /v1/reviews",
                                "此处只接收检查记录")
        officer_signers(env, keys)
        doc = checked_document(env)
        return Checked(raw, sha, env.keyids, doc, categorize(doc))
    except (ContractError, ApiError) as exc:
        return Refused(raw, sha, Refusal.of(exc))


def check_chunk(texts: list[str], keys: dict[str, dict[str, Any]]) -> list[Checked | Refused]:
    return [check(text, keys) for text in texts]


def check_all(texts: list[str], keys: dict[str, dict[str, Any]], pool: Executor | None = None,
              workers: int = 2) -> list[Checked | Refused]:
    if pool is None or len(texts) < PARALLEL_FROM:
        return check_chunk(texts, keys)
    size = -(-len(texts) // workers)
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    return [item for part in pool.map(check_chunk, chunks, [keys] * len(chunks)) for item in part]


def ingest_batch(conn: Connection, pusher: Row, texts: list[str]) -> list[dict[str, Any]]:
    """Check and store in one go, inside the caller's transaction."""
    return store_all(conn, pusher, check_all(texts, parse_keys(conn, texts)))


@dataclass
class Known:
    """What a batch's records need to know of the database, read once for the whole batch (three
    statements, not three per record: on PostgreSQL each is a round trip): which of their ids are
    stored, their assignments' teams, which of their photos are here. Kept true while the batch is
    stored: a record stored joins `stored`; nothing in a push changes a team or adds a photo."""
    stored: set[str]
    teams: dict[str, set[str]]
    photos: set[str]

    @classmethod
    def of(cls, conn: Connection, items: list[Checked]) -> "Known":
        docs = [item.doc for item in items]
        return cls(records.list_stored_ids(conn, [d["id"] for d in docs]),
                   assignments.list_teams_by_assignments(conn, [d["assignment_id"] for d in docs]),
                   photos.list_present_shas(conn, [h for d in docs for h in referenced_files(d)]))

    def team(self, conn: Connection, assignment_id: str) -> set[str] | None:
        if assignment_id not in self.teams:   # a stored record's assignment, not read with the batch
            team = assignments.get_team_by_assignment(conn, assignment_id)
            if team is None:
                return None
            self.teams[assignment_id] = team
        return self.teams[assignment_id]


def store_all(conn: Connection, pusher: Row, items: list[Checked | Refused],
              now: str | None = None) -> list[dict[str, Any]]:
    """The writer's part: key status now, duplicates, team, supersedes; store; one receipt each."""
    now, status = now or utc_now(), {}
    known = Known.of(conn, [item for item in items if isinstance(item, Checked)])
    receipts = []
    for item in items:
        if isinstance(item, Refused):
            receipts.append(item.refusal.receipt(item.raw, item.sha))
            continue
        try:
            for keyid in item.keyids:
                if keyid not in status:
                    status[keyid] = users.get_device_by_keyid(conn, keyid)
            signers = [officer_key(status[keyid]) for keyid in item.keyids]
            receipts.append(_store_checked(conn, pusher, signers, item, now, known))
        except (ContractError, ApiError) as exc:
            receipts.append(Refusal.of(exc).receipt(item.raw, item.sha))
    return receipts


def _store_checked(conn: Connection, pusher: Row, signers: list[Row],
                   item: Checked, now: str, known: Known) -> dict[str, Any]:
    stored = records.get_record_by_id(conn, item.doc["id"]) if item.doc["id"] in known.stored else None
    if stored is not None:   # authorized before anything about the stored record is told
        if pusher["user_id"] != stored["signer_id"]:
            _on_team(known.team(conn, stored["assignment_id"]), pusher)
        return _again(conn, stored, item.sha)
    _authorize(conn, pusher, signers, item.doc, known)
    receipt = _store(conn, signers[0], item, now, known)
    known.stored.add(item.doc["id"])
    return receipt


def _again(conn: Connection, stored: Row, sha: str) -> dict[str, Any]:
    if stored["envelope_sha256"] != sha:
        raise Conflict("record.conflict", "this record id is stored with other bytes",
                       "同一编号的记录已以不同内容提交，不能覆盖；如需更正请提交新记录",
                       {"stored_envelope_sha256": stored["envelope_sha256"]})
    return {**receipt_for(conn, stored), "status": "duplicate"}


def _authorize(conn: Connection, pusher: Row, signers: list[Row], doc: dict[str, Any], known: Known) -> None:
    """The pushing tablet's user on the team; every signer on the team; the record's
    inspectors exactly the officers who signed it."""
    team = _on_team(known.team(conn, doc["assignment_id"]), pusher)
    officers = [s["user_id"] for s in signers]
    outsiders = [o for o in officers if o not in team]
    if outsiders:
        raise ContractError("record.signer_not_on_team", "an officer who signed is not on this assignment's team",
                            "签名的执法人员不是该检查任务的检查组成员", {"officers": outsiders})
    if set(doc["inspectors"]) != set(officers):
        raise ContractError("record.inspectors", "the record's inspectors are exactly the officers who signed it",
                            "记录中的检查人员必须正是在记录上各自签名的执法人员",
                            {"inspectors": doc["inspectors"], "signed": officers})
    if doc["supersedes"] is not None:
        _check_supersedes(conn, doc)


def _on_team(team: set[str] | None, pusher: Row) -> set[str]:
    """The assignment's team (None: no such assignment), if the pushing device's user is on it."""
    if team is None:
        raise ContractError("assignment.unknown", "no such assignment", "没有该检查任务")
    if pusher["user_id"] not in team:
        raise Forbidden("assignment.not_on_team", "the pushing device's user is not on this team",
                        "您不是该检查任务的检查组成员，不能提交该记录")
    return team


def _check_supersedes(conn: Connection, doc: dict[str, Any]) -> None:
    earlier = records.get_record_by_id(conn, doc["supersedes"])
    if earlier is None or earlier["assignment_id"] != doc["assignment_id"]:
        raise ContractError("record.supersedes_unknown", "supersedes names no record of this assignment",
                            "被更正的记录不存在或不属于该检查任务")
    if earlier["review_state"] != "returned":
        raise Conflict("record.supersedes_not_returned", "only a record the leader returned can be corrected",
                       "只有被组长退回的记录才能更正提交", {"review_state": earlier["review_state"]})


def _store(conn: Connection, signer: Row, item: Checked, now: str, known: Known) -> dict[str, Any]:
    doc, category = item.doc, item.category
    missing = [h for h in sorted(set(referenced_files(doc))) if h not in known.photos]
    state = "incomplete" if missing else "received"
    log_index = audit.append(conn, "record.received", doc["id"], now,
                             envelope_sha256=item.sha, state=state, category=category.code)
    records.insert_record(conn, {
        "id": doc["id"], "assignment_id": doc["assignment_id"], "signer_id": signer["user_id"],
        "device_id": signer["id"], "envelope": item.raw, "envelope_sha256": item.sha,
        "supersedes": doc["supersedes"], "state": state, "category": category.code,
        "category_json": json.dumps(category.as_json(), ensure_ascii=False),
        "received_at": now, "log_index": log_index})
    records.insert_missing_photos(conn, doc["id"], missing)
    photos.link_record_photos(conn, doc["id"], referenced_files(doc))
    if doc["supersedes"] is not None:
        records.set_review_state(conn, doc["supersedes"], "superseded")
    return {"id": doc["id"], "status": state if missing else "accepted", "envelope_sha256": item.sha,
            "received_at": now, "log_index": log_index, "category": category.as_json(),
            "missing_photos": missing}


def receipt_for(conn: Connection, stored: Row) -> dict[str, Any]:
    missing = records.list_missing_photos_by_record(conn, stored["id"])
    return {"id": stored["id"], "status": "incomplete" if missing else "accepted",
            "envelope_sha256": stored["envelope_sha256"], "received_at": stored["received_at"],
            "log_index": stored["log_index"], "category": json.loads(stored["category_json"]),
            "missing_photos": missing}


def photo_arrived(conn: Connection, device_id: str, sha: str, facts: Any, size: int) -> dict[str, Any]:
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


def uploaded_by(conn: Connection, device_id: str, sha: str) -> Row | None:
    """The stored photo (or PDF) row, if this device uploaded it; None otherwise (a hash alone
    tells a device nothing about files others sent)."""
    row = photos.get_photo_by_sha(conn, sha)
    return row if row is not None and row["device_id"] == device_id else None


def photo_for_viewer(conn: Connection, device: Row, sha: str) -> Row:
    """A stored photo's row, if this device's user may see it (team, uploader, or a reviewing leader).

    Unknown and not-yours answer alike, so a hash alone tells nobody whether a photo exists."""
    row = photos.get_photo_by_sha(conn, sha)
    if row is None or row["media_type"] == PDF or not photos.may_view_photo(conn, sha, device["user_id"]):
        raise NotFound("photo.unknown", "no such photo for this user",
                       "服务器上没有该照片，或您无权查看（只有检查组成员和审核组长可以查看）")
    return row


def document_for_viewer(conn: Connection, device: Row, sha: str) -> Row:
    """The PDF handed over on site, for those who may see its record's photos; unknown and
    not-yours answer alike."""
    row = photos.get_photo_by_sha(conn, sha)
    if row is None or row["media_type"] != PDF or not photos.may_view_photo(conn, sha, device["user_id"]):
        raise NotFound("document.unknown", "no such document for this user",
                       "服务器上没有该现场文书，或您无权查看（只有检查组成员和审核组长可以查看）")
    return row
