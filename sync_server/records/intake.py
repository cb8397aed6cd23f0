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
