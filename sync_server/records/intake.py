"""Signed documents arriving from tablets, before any domain rule: the envelope checked against
its enrolled signer, and the receipt of a refused one. Records (ingest), leaders' decisions
(reviews) and re-inspections (disclosure.followups) all come in this way.

A refusal is plain data, so it crosses processes from the check pool: the error's wire form and
whether it is an id conflict ("conflict" receipt; 409 on PUT) or anything else ("rejected").
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable

from schemas import contract, envelope
from schemas.errors import ContractError
from schemas.jcs import canonicalize_parsed
from sync_server.accounts.queries import users
from sync_server.db import Connection, Row
from sync_server.errors import ApiError, error_json

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ID_CONFLICTS = ("record.conflict", "review.conflict")   # the one meaning of a "conflict" receipt


@dataclass(frozen=True)
class Refusal:
    """Why one document was not stored."""
    error: dict[str, Any]
    conflict: bool

    @classmethod
    def of(cls, exc: ContractError | ApiError) -> Refusal:
        return cls(error_json(exc), exc.code in ID_CONFLICTS)

    def receipt(self, raw: bytes, sha: str) -> dict[str, Any]:
        return {"id": claimed_id(raw), "status": "conflict" if self.conflict else "rejected",
                "envelope_sha256": sha, "error": dict(self.error)}


def receipts(texts: list[str], handle: Callable[[bytes, str], dict[str, Any]]) -> list[dict[str, Any]]:
    """One receipt per envelope of a batch: `handle(raw, sha256)`'s, or the refusal of what it
    raised, so one bad document never blocks the others (decisions and re-inspections)."""
    out = []
    for text in texts:
        raw = text.encode("utf-8", "surrogatepass")
        sha = hashlib.sha256(raw).hexdigest()
        try:
            out.append(handle(raw, sha))
        except (ContractError, ApiError) as exc:
            out.append(Refusal.of(exc).receipt(raw, sha))
    return out


def active_device(device: Any) -> Any:
    """The signing device, if it is enrolled and not revoked."""
    if device is None:
        raise ContractError("key.unknown", "the signing key is not enrolled", "签名密钥未注册")
    if device["status"] != "active":
        raise ContractError("key.revoked", "the signing key was revoked",
                            "签名设备已被停用，记录不能接收；请联系监督所")
    return device


MIN_OFFICERS = 2   # 执法人员不得少于两人: an inspection record is signed by two officers or more


def officer_signers(env: envelope.Envelope, keys: dict[str, Any]) -> list[Any]:
    """The officers' signing keys of a record's envelope, in its order: at least MIN_OFFICERS
    signatures, each by an enrolled, active officer's key that verifies, no officer twice.
    `keys` maps keyids to their key rows (read before the check; the writer re-reads status)."""
    if len(env.signatures) < MIN_OFFICERS:
        raise ContractError("record.too_few_signers", f"a record is signed by at least {MIN_OFFICERS} officers",
                            "检查记录须由至少两名执法人员各自签名", {"signatures": len(env.signatures)})
    signers = [officer_key(keys.get(keyid)) for keyid in env.keyids]
    for key in signers:
        envelope.verify(env, bytes.fromhex(key["public_key"]), key["algorithm"])
    users = [key["user_id"] for key in signers]
    if len(set(users)) != len(users):
        raise ContractError("record.signer_twice", "one officer signed the record twice (two keys)",
                            "同一执法人员签名了两次：须由两名不同的执法人员各自签名",
                            {"officers": sorted({u for u in users if users.count(u) > 1})})
    return signers


def officer_key(key: Any) -> Any:
    """An active officer's signing key (registered on a team tablet with the officer's own code);
    a tablet's own key signs decisions and follow-ups, never an inspection record."""
    key = active_device(key)
    if key["host_device_id"] is None:
        raise ContractError("key.not_officer", "records are signed by officers' signing keys, not a device key",
                            "该密钥是设备密钥，不是执法人员的签名密钥；请在平板上由执法人员输入本人 PIN 签名")
    return key


def signed_document(conn: Connection, raw: bytes, payload_type: str, schema: str,
                    wrong_type_zh: str) -> tuple[Row, dict[str, Any]]:
    """A decision or follow-up envelope: its type, an active enrolled key, the signature, the
    canonical form and the schema; the signing device and the document."""
    env = envelope.parse(raw)
    if env.payload_type != payload_type:
        raise ContractError("envelope.payload_type", f"push {payload_type} here", wrong_type_zh)
    device = active_device(users.get_device_by_keyid(conn, env.keyid))
    envelope.verify(env, bytes.fromhex(device["public_key"]), device["algorithm"])
    return device, checked_document(env, schema)


def checked_document(env: envelope.Envelope, schema: str = "inspection-record") -> dict[str, Any]:
    """The payload as a document, if it is canonical JSON and valid against its schema."""
    doc = env.document()
    if canonicalize_parsed(doc) != env.payload:
        raise ContractError("payload.not_canonical", "the payload is not RFC 8785 canonical JSON",
                            "记录未按规范编码（非规范 JSON）")
    contract.validate(schema, doc)
    return doc


def claimed_id(raw: bytes) -> str | None:
    """The id the payload claims, for the client to match a rejection (not trusted)."""
    try:
        doc = envelope.parse(raw).document()
    except (ContractError, ValueError):
        return None
    claimed = doc.get("id") if isinstance(doc, dict) else None
    return claimed if isinstance(claimed, str) and UUID.match(claimed) else None
