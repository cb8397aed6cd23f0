"""Sign a finished document and put it in the outbox: the moment a record becomes "saved"."""
from __future__ import annotations

from typing import Any, Iterable

from schemas import contract, envelope
from field_app.keys import KeyStore
from field_app.store import LocalStore
from schemas.photo_refs import referenced_files, referenced_photos as record_photos  # the server's own rule

KINDS = {"record": ("inspection-record", envelope.RECORD_TYPE),
         "review": ("review-decision", envelope.REVIEW_TYPE),
         "reinspection": ("reinspection", envelope.REINSPECTION_TYPE),
         "lab_result": ("lab-result", envelope.LAB_RESULT_TYPE)}


def sign_and_queue(store: LocalStore, keys: KeyStore, kind: str, document: dict[str, Any],
                   photos: Iterable[str], now: str) -> bytes:
    """Validate against the contract, sign (JCS + DSSE), enqueue; return the envelope bytes."""
    schema, payload_type = KINDS[kind]
    contract.validate(schema, document)
    signed = envelope.sign(document, payload_type, keys.private_key())
    store.enqueue(document["id"], kind, signed, photos, now)
    return signed


def submit_record(store: LocalStore, keys: KeyStore, document: dict[str, Any], now: str) -> bytes:
    """A finished visit: validate, sign, and in one transaction queue it and retire its draft."""
    contract.validate("inspection-record", document)
    signed = envelope.sign(document, envelope.RECORD_TYPE, keys.private_key())
    store.submit(document, signed, referenced_files(document), now)
    return signed
