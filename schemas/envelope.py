"""DSSE envelopes signed with Ed25519 (https://github.com/secure-systems-lab/dsse).

An envelope is `{"payloadType", "payload": base64(JCS bytes), "signatures": [{"keyid", "sig"}]}`;
the signature covers PAE(payloadType, payload), never the JSON around it. `keyid` is the hex
SHA-256 of the raw public key. The algorithm is named per key (`ed25519` today), so that a
hardware-backed P-256 key can be added without changing the wire.
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


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    keyid: str
    sig: bytes

    def document(self) -> dict[str, Any]:
        """The payload as a JSON object (strictly parsed: no duplicate keys, no floats)."""
        return loads_strict(self.payload)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def keyid_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def public_raw_of(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(document: dict[str, Any], payload_type: str, private_key: Ed25519PrivateKey) -> bytes:
    """Canonicalize, sign, and return the envelope's bytes (themselves canonical JSON)."""
    payload = canonicalize(document)
    sig = private_key.sign(pae(payload_type, payload))
    return canonicalize({
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": keyid_of(public_raw_of(private_key)),
                        "sig": base64.b64encode(sig).decode("ascii")}],
    })


def parse(data: bytes) -> Envelope:
    """Read an envelope's bytes; the shape is checked, the signature is not."""
    obj = loads_strict(data)
    if not isinstance(obj, dict) or set(obj) != {"payloadType", "payload", "signatures"}:
        raise _bad_shape("an envelope has exactly payloadType, payload and signatures")
    sigs = obj["signatures"]
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict) \
            or set(sigs[0]) != {"keyid", "sig"}:
        raise _bad_shape("an envelope carries exactly one signature {keyid, sig}")
    if obj["payloadType"] not in PAYLOAD_TYPES:
        raise ContractError("envelope.payload_type", f"unknown payloadType {obj['payloadType']!r}",
                            "不支持的文档类型", {"payloadType": obj["payloadType"]})
    return Envelope(obj["payloadType"], _b64(obj["payload"]), _keyid(sigs[0]["keyid"]),
                    _b64(sigs[0]["sig"]))


def verify(envelope: Envelope, public_raw: bytes, algorithm: str = "ed25519") -> None:
    """Raise ContractError unless the signature is good for this key."""
    if algorithm not in ALGORITHMS:
        raise ContractError("envelope.algorithm", f"unsupported algorithm {algorithm!r}",
                            "不支持的签名算法")
    if keyid_of(public_raw) != envelope.keyid:
        raise ContractError("envelope.keyid_mismatch", "keyid does not name this key",
                            "签名密钥标识与设备密钥不符")
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(
            envelope.sig, pae(envelope.payload_type, envelope.payload))
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
