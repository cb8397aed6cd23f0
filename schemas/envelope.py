"""DSSE envelopes signed with Ed25519 (https://github.com/secure-systems-lab/dsse).

An envelope is `{"payloadType", "payload": base64(JCS bytes), "signatures": [{"keyid", "sig"}, …]}`;
each signature covers PAE(payloadType, payload), never the JSON around it. `keyid` is the hex
SHA-256 of the raw public key. The algorithm is named per key (`ed25519` today), so that a
hardware-backed P-256 key can be added without changing the wire.

An inspection record carries one signature per officer present (at least two, docs/SYNC.md);
reviews, re-inspections and checkpoints carry one (`Envelope.keyid` refuses an envelope with
several). `parse` takes 1..MAX_SIGNATURES signatures with distinct keyids, in any order; `sign`
with several keys and `countersign` (one more signature on the same payload) make them.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from schemas.errors import ContractError
from schemas.jcs import canonicalize, loads_strict

RECORD_TYPE = "application/vnd.suijian.inspection-record+json; version=1"
REVIEW_TYPE = "application/vnd.suijian.review-decision+json; version=1"
REINSPECTION_TYPE = "application/vnd.suijian.reinspection+json; version=1"
LAB_RESULT_TYPE = "application/vnd.suijian.lab-result+json; version=1"
CHECKPOINT_TYPE = "application/vnd.suijian.log-checkpoint+json; version=1"
PAYLOAD_TYPES = (RECORD_TYPE, REVIEW_TYPE, REINSPECTION_TYPE, LAB_RESULT_TYPE, CHECKPOINT_TYPE)
ALGORITHMS = ("ed25519",)
MAX_SIGNATURES = 10   # as many as a record may name inspectors (inspection-record.schema.json)


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def document(self) -> dict[str, Any]:
        """The payload as a JSON object (strictly parsed: no duplicate keys, no floats)."""
        return loads_strict(self.payload)

    @property
    def keyids(self) -> tuple[str, ...]:
        return tuple(s.keyid for s in self.signatures)

    @property
    def keyid(self) -> str:
        """The one signer's keyid, for the document types signed by one key."""
        if len(self.signatures) != 1:
            raise ContractError("envelope.signature_count", "this document type carries exactly one signature",
                                "该类文档只能由一人签名", {"signatures": len(self.signatures)})
        return self.signatures[0].keyid


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def keyid_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def public_raw_of(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(document: dict[str, Any], payload_type: str, *private_keys: Ed25519PrivateKey) -> bytes:
    """Canonicalize, sign with each key (in order), and return the envelope's bytes (themselves
    canonical JSON)."""
    if not 1 <= len(private_keys) <= MAX_SIGNATURES:
        raise ValueError(f"sign with 1 to {MAX_SIGNATURES} keys")
    payload = canonicalize(document)
    return _envelope_bytes(payload_type, payload, [_signature(payload_type, payload, k) for k in private_keys])


def countersign(data: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The same envelope with one more signature (another officer's) on the same payload.
    The signatures already there are not checked here: the server checks every one."""
    env = parse(data)
    added = _signature(env.payload_type, env.payload, private_key)
    return _envelope_bytes(env.payload_type, env.payload, [*env.signatures, added])


def _signature(payload_type: str, payload: bytes, private_key: Ed25519PrivateKey) -> Signature:
    return Signature(keyid_of(public_raw_of(private_key)), private_key.sign(pae(payload_type, payload)))


def _envelope_bytes(payload_type: str, payload: bytes, signatures: list[Signature]) -> bytes:
    if len({s.keyid for s in signatures}) != len(signatures) or len(signatures) > MAX_SIGNATURES:
        raise ValueError("each key signs once, at most MAX_SIGNATURES keys")
    return canonicalize({
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")} for s in signatures],
    })


def parse(data: bytes) -> Envelope:
    """Read an envelope's bytes; the shape is checked (1..MAX_SIGNATURES signatures, each keyid
    once), the signatures are not."""
    obj = loads_strict(data)
    if not isinstance(obj, dict) or set(obj) != {"payloadType", "payload", "signatures"}:
        raise _bad_shape("an envelope has exactly payloadType, payload and signatures")
    sigs = obj["signatures"]
    if not isinstance(sigs, list) or not 1 <= len(sigs) <= MAX_SIGNATURES \
            or not all(isinstance(s, dict) and set(s) == {"keyid", "sig"} for s in sigs):
        raise _bad_shape(f"an envelope carries 1 to {MAX_SIGNATURES} signatures {{keyid, sig}}")
    if obj["payloadType"] not in PAYLOAD_TYPES:
        raise ContractError("envelope.payload_type", f"unknown payloadType {obj['payloadType']!r}",
                            "不支持的文档类型", {"payloadType": obj["payloadType"]})
    signatures = tuple(Signature(_keyid(s["keyid"]), _b64(s["sig"])) for s in sigs)
    if len({s.keyid for s in signatures}) != len(signatures):
        raise ContractError("envelope.duplicate_keyid", "a key signs an envelope once",
                            "同一签名密钥在信封中出现了两次", {"signatures": len(signatures)})
    return Envelope(obj["payloadType"], _b64(obj["payload"]), signatures)


def verify(envelope: Envelope, public_raw: bytes, algorithm: str = "ed25519") -> None:
    """Raise ContractError unless the envelope carries a good signature by this key."""
    if algorithm not in ALGORITHMS:
        raise ContractError("envelope.algorithm", f"unsupported algorithm {algorithm!r}",
                            "不支持的签名算法")
    keyid = keyid_of(public_raw)
    signature = next((s for s in envelope.signatures if s.keyid == keyid), None)
    if signature is None:
        raise ContractError("envelope.keyid_mismatch", "keyid does not name this key",
                            "签名密钥标识与设备密钥不符")
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            signature.sig, pae(envelope.payload_type, envelope.payload))
    except InvalidSignature as exc:
        raise ContractError("envelope.bad_signature", "signature does not verify",
                            "签名验证失败：记录可能被篡改") from exc


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _bad_shape("payload and sig are base64 strings")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad_shape("payload and sig are standard base64") from exc


def _keyid(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 64 or value.strip("0123456789abcdef"):
        raise _bad_shape("keyid is 64 lowercase hex digits")
    return value


def _bad_shape(message: str) -> ContractError:
    return ContractError("envelope.malformed", message, "签名信封格式错误")
