"""Sign a finished document and put it in the outbox: the moment a record becomes "saved".

An inspection record is signed by the officers present, each with their own key (unlocked by
their PIN: field_app/officer_keys.py), at least MIN_OFFICERS of them; a leader's decision and a
re-inspection by the tablet's own key."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import contract, envelope
from field_app.keys import KeyStore
from field_app.store import LocalStore
from schemas.photo_refs import referenced_files, referenced_photos as record_photos  # the server's own rule

KINDS = {"record": ("inspection-record", envelope.RECORD_TYPE),
         "review": ("review-decision", envelope.REVIEW_TYPE),
         "reinspection": ("reinspection", envelope.REINSPECTION_TYPE),
         "lab_result": ("lab-result", envelope.LAB_RESULT_TYPE)}
MIN_OFFICERS = 2   # 执法人员不得少于两人 (the server's rule: sync_server/records/intake.py)


def sign_and_queue(store: LocalStore, keys: KeyStore, kind: str, document: dict[str, Any],
                   photos: Iterable[str], now: str, officers: Sequence[Ed25519PrivateKey] = ()) -> bytes:
    """Validate against the contract, sign (JCS + DSSE), enqueue; return the envelope bytes.
    A record is signed by `officers`' keys, anything else by the tablet's key."""
    schema, payload_type = KINDS[kind]
    contract.validate(schema, document)
    signed = envelope.sign(document, payload_type, *_signers(kind, keys, officers))
    store.enqueue(document["id"], kind, signed, photos, now)
    return signed


def submit_record(store: LocalStore, officers: Sequence[Ed25519PrivateKey], document: dict[str, Any],
                  now: str) -> bytes:
    """A finished visit: validate, sign by each officer, and in one transaction queue it and
    retire its draft."""
    contract.validate("inspection-record", document)
    signed = envelope.sign(document, envelope.RECORD_TYPE, *_signers("record", None, officers))
    store.submit(document, signed, referenced_files(document), now)
    return signed


def _signers(kind: str, keys: KeyStore | None, officers: Sequence[Ed25519PrivateKey]) -> list[Ed25519PrivateKey]:
    if kind != "record":
        assert keys is not None
        return [keys.private_key()]
    if len(officers) < MIN_OFFICERS:
        raise ValueError("检查记录须由至少两名执法人员各自输入 PIN 签名")
    return list(officers)
