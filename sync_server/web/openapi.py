"""The OpenAPI 3.1 document, valid on its own (no server needed to resolve it).

The contract files of schemas/v1/ are embedded under components/schemas by their file names
(`inspection-record`, `error`, …) with their `$ref`s pointed there; the replies the server makes
up itself (checkpoints, proofs, lists) are described beside them (`Checkpoint`, `Feed`, …). Every
operation names the body of its 2xx replies; every error is `error`. The same contract files are
served byte for byte under /schemas/v1/{name}.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from schemas import contract
from schemas.contract import VERSION

SCHEMA_FILES = (*contract.NAMES, "common")


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def embedded(name: str) -> dict[str, Any]:
    """A contract file as a component: no `$schema`/`$id`, its references pointed inside the document.
    Read from the file, not contract.load(), whose cached copy the compiled validators rewrite."""
    schema = json.loads(contract.schema_path(name).read_text(encoding="utf-8"))
    return _pointed({key: value for key, value in schema.items() if key not in ("$schema", "$id")}, name)


def _pointed(node: Any, owner: str) -> Any:
    if isinstance(node, list):
        return [_pointed(item, owner) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _pointed(value, owner) for key, value in node.items()}
    if isinstance(node.get("$ref"), str):
        file, _, pointer = node["$ref"].removeprefix(contract.BASE_URI).partition("#")
        out["$ref"] = f"#/components/schemas/{file.removesuffix('.schema.json') or owner}{pointer}"
    return out


# --- what the server makes up itself ---------------------------------------------------------------

STR, INT, BOOL = {"type": "string"}, {"type": "integer", "minimum": 0}, {"type": "boolean"}
HEX = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
NULLABLE_STR = {"type": ["string", "null"]}
OBJECTS = {"type": "array", "items": {"type": "object"}}


def obj(description: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "description": description, "required": list(required),
            "properties": {**required, **(optional or {})}}


USER_BRIEF = {"id": STR, "name": STR, "role": {"enum": ["admin", "leader", "inspector"]}}
REPLIES: dict[str, Any] = {
    "Health": obj("the server is up", {"status": {"const": "ok"}}),
    "User": obj("a user as stored; admin_token only when an admin is made (shown once)",
                {**USER_BRIEF, "department": STR},
                {"specialties": {"type": "array", "items": STR}, "cert_valid_until": NULLABLE_STR,
                 "phone": STR, "admin_token": STR}),
    "EnrollmentCode": obj("a one-time code, good once until expires_at",
                          {"user_id": STR, "code": STR, "expires_at": STR}),
    "Enrolled": obj("the device's token (shown once) and its user",
                    {"device_id": STR, "token": STR, "keyid": STR, "user": obj("the user", {**USER_BRIEF,
                                                                                          "department": STR})},
                    {"officer_keyid": STR}),
    "OfficerKey": obj("an officer's signing key registered on the calling tablet",
                      {"device_id": STR, "keyid": STR, "user": obj("the officer", {**USER_BRIEF, "department": STR})}),
    "Me": obj("the calling device and its user", {"device_id": STR, "keyid": STR, "user": obj("the user", USER_BRIEF)}),
    "Revoked": obj("the device can no longer sign or sync", {"device_id": STR, "status": {"const": "revoked"}}),
    "Feed": obj("a page of the user's feed; ask again from cursor while more is true", {
        "items": {"type": "array", "items": obj("an assignment, or a notice (review, approved, reminder)",
                                                {"kind": STR, "data": {"type": "object"}})},
        "cursor": STR, "more": BOOL}),
    "PhotoStored": obj("the stored photo's facts", {"sha256": HEX, "media_type": {"enum": ["image/jpeg", "image/png"]},
                                                    "bytes": INT, "width": INT, "height": INT}),
    "UploadOffset": obj("how much of a resumable upload has arrived", {
        "sha256": HEX, "offset": INT, "total": {"type": ["integer", "null"]}, "complete": {"type": "boolean"}}),
    "DocumentStored": obj("the stored PDF handed over on site", {"sha256": HEX, "media_type": {"const": "application/pdf"},
                                                                "bytes": INT}),
    "Receipts": obj("one receipt per envelope, in order", {"receipts": {"type": "array", "items": ref("receipt")}}),
    "ReviewQueue": obj("complete records waiting for this leader's decision", {"items": {"type": "array", "items": obj(
        "a record in review", {"record_id": STR, "envelope": STR, "envelope_sha256": HEX,
                               "category": ref("receipt/definitions/category"), "received_at": STR,
                               "assignment": ref("assignment")})}}),
    "Penalty": obj("the penalty decision entered, and the disclosure entry it changes", {
        "id": STR, "decision_no": STR, "decided_on": STR, "amount_fen": {"type": ["integer", "null"]},
        "record_id": STR, "log_index": INT, "entry": {"type": ["object", "null"]}}),
    "Transfer": obj("the transfer entered, and the disclosure entry it changes", {
        "id": STR, "to_body": STR, "kind": {"enum": ["transfer", "copy", "judicial"]}, "on": STR, "note": STR,
        "record_id": STR, "log_index": INT, "entry": {"type": ["object", "null"]}}),
    "LabResultEntered": obj("the lab result entered (the lab-result document), the record's category as it now "
                            "is, and its disclosure entry", {
        "id": STR, "record_id": STR, "item_code": STR, "sample_no": STR, "outcome": {"enum": ["compliant", "non_compliant"]},
        "status": STR, "envelope_sha256": HEX, "log_index": INT, "category": ref("receipt/definitions/category"),
        "entry": {"type": ["object", "null"]}}),
    "Ledger": obj("the follow-up ledger", {"today": STR, "rectifications": OBJECTS, "open_cases": OBJECTS,
                                           "transfers": OBJECTS}),
    "DisclosureStatus": obj("counts of the disclosure list and the publication rate", {
        **{name: INT for name in ("entries", "published", "due", "overdue", "updates_waiting", "publications",
                                  "late_publications", "on_time")},
        "today": STR, "rate_percent": {"type": "number"}, "overdue_list": OBJECTS}),
    "PublishBatch": obj("what the daily batch did", {"published": INT, "late": INT, "reminders": INT}),
    "Checkpoint": obj("the tree head signed now; `envelope` is a DSSE envelope (JSON text) whose payload is "
                      "{log, size, root, at}: only the signed payload counts", {
                          "log": STR, "size": INT, "root": HEX, "at": STR, "envelope": STR, "keyid": STR}),
    "PublicKey": obj("the Ed25519 key that signs checkpoints", {"algorithm": {"const": "ed25519"},
                                                                "public_key": HEX, "keyid": STR}),
    "InclusionProof": obj("RFC 9162 §2.1.3 inclusion proof of one entry in the tree of `size` entries", {
        "index": INT, "size": INT, "entry": STR, "leaf_hash": HEX, "root": HEX,
        "proof": {"type": "array", "items": HEX}}),
    "ConsistencyProof": obj("RFC 9162 §2.1.4 consistency proof: the tree of `second` entries extends the tree of "
                            "`first`; check it against roots you kept, not against the roots given here", {
                                "first": INT, "second": INT, "first_root": HEX, "second_root": HEX,
                                "proof": {"type": "array", "items": HEX}}),
    "OpenAPI": {"type": "object", "description": "this document"},
}

# --- the paths -------------------------------------------------------------------------------------

ERROR = {"description": "error (the contract file error.schema.json)",
         "content": {"application/json": {"schema": ref("error")}}}
BEARER = [{"device": []}]
ADMIN = [{"admin": []}]


def json_reply(schema: dict[str, Any], description: str = "ok", media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _op(summary: str, replies: dict[str, Any], security: list | None = None, body: str | None = None,
        media: str | None = None, parameters: list | None = None) -> dict[str, Any]:
    ok = {status: reply if "content" in reply else json_reply(reply) for status, reply in replies.items()}
    op: dict[str, Any] = {"summary": summary, "responses": {**ok, "default": ERROR}}
    if security is not None:
        op["security"] = security
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    if media:
        op["requestBody"] = {"required": True, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
    if parameters:
        op["parameters"] = parameters
    return op


def _param(name: str, where: str = "path", schema: dict | None = None, description: str | None = None) -> dict[str, Any]:
    param = {"name": name, "in": where, "required": where == "path", "schema": schema or {"type": "string"}}
    return {**param, "description": description} if description else param


def _size(name: str, description: str) -> dict[str, Any]:
    return _param(name, "query", {"type": "integer", "minimum": 1}, description)


RECEIPT_BY_STATUS = {"200": json_reply(ref("receipt"), "duplicate: these bytes were stored before"),
                     "201": json_reply(ref("receipt"), "accepted"),
                     "202": json_reply(ref("receipt"), "incomplete: stored, photos missing")}
IMAGE = {"type": "string", "format": "binary"}

PATHS: dict[str, Any] = {
    "/healthz": {"get": _op("liveness", {"200": ref("Health")})},
    "/openapi.json": {"get": _op("this document", {"200": ref("OpenAPI")})},
    f"/schemas/{VERSION}/{{name}}": {"get": _op(
        "a contract file (JSON Schema draft-07), byte for byte; the same schemas are embedded in this document",
        {"200": json_reply({"type": "object"}, "the schema", "application/schema+json")},
        parameters=[_param("name", schema={"enum": [f"{name}.schema.json" for name in SCHEMA_FILES]})])},
    "/v1/enroll": {"post": _op("trade a one-time code for a device token", {"201": ref("Enrolled")},
                               body="enrollment")},
    "/v1/officer-keys": {"post": _op("an officer registers their own signing key on this enrolled tablet with "
                                     "their one-time code (body: the enrollment shape)", {"201": ref("OfficerKey")},
                                     BEARER, body="enrollment")},
    "/v1/me": {"get": _op("the calling device and its user", {"200": ref("Me")}, BEARER)},
    "/v1/feed": {"get": _op("assignments and notices since a cursor, page by page", {"200": ref("Feed")}, BEARER,
                            parameters=[_param("cursor", "query"), _param("limit", "query", {"type": "integer"})])},
    "/v1/photos/{sha256}": {
        "put": _op("upload a photo by its SHA-256 (idempotent)", {"201": ref("PhotoStored")}, BEARER,
                   media="image/jpeg", parameters=[_param("sha256")]),
        "get": _op("a photo's bytes, for the record's team and a reviewing leader",
                   {"200": {"description": "the photo", "content": {"image/jpeg": {"schema": IMAGE},
                                                                   "image/png": {"schema": IMAGE}}}},
                   BEARER, parameters=[_param("sha256")])},
    "/v1/uploads/{sha256}": {
        "put": _op("one piece of a resumable upload of a photo or the on-site PDF (header Content-Range: "
                   "bytes first-last/total); 200 while more is due, 201 when whole and stored",
                   {"200": ref("UploadOffset"), "201": ref("PhotoStored")}, BEARER, media="application/octet-stream",
                   parameters=[_param("sha256"), _param("Content-Range", "header")]),
        "get": _op("how much of this device's upload has arrived (also as the Upload-Offset header; HEAD too)",
                   {"200": ref("UploadOffset")}, BEARER, parameters=[_param("sha256")])},
    "/v1/documents/{sha256}": {
        "put": _op("upload the PDF handed over on site by its SHA-256 (idempotent)", {"201": ref("DocumentStored")},
                   BEARER, media="application/pdf", parameters=[_param("sha256")]),
        "get": _op("the PDF's bytes, for the record's team and a reviewing leader",
                   {"200": {"description": "the PDF", "content": {"application/pdf": {"schema": IMAGE}}}},
                   BEARER, parameters=[_param("sha256")])},
    "/v1/records/batch": {"post": _op("push signed records; one receipt each", {"200": ref("Receipts")}, BEARER,
                                      body="push-batch")},
    "/v1/records/{record_id}": {"put": _op("push one signed record (409 on conflict)", RECEIPT_BY_STATUS, BEARER,
                                           media="application/json", parameters=[_param("record_id")])},
    "/v1/records/{record_id}/receipt": {"get": _op("a stored record's receipt", {"200": ref("receipt")}, BEARER,
                                                   parameters=[_param("record_id")])},
    "/v1/reviews/batch": {"post": _op("a leader's signed decisions (approve / return); one receipt each",
                                      {"200": ref("Receipts")}, BEARER, body="push-batch")},
    "/v1/reviews/queue": {"get": _op("a leader's queue: complete records in review, of other teams",
                                     {"200": ref("ReviewQueue")}, BEARER,
                                     parameters=[_param("limit", "query", {"type": "integer"})])},
    "/v1/reinspections/batch": {"post": _op("signed re-inspections (复查) of approved records; one receipt each",
                                            {"200": ref("Receipts")}, BEARER, body="push-batch")},
    "/v1/lab-results/batch": {"post": _op("signed lab results (检验结果) for samples of stored records; one receipt each",
                                          {"200": ref("Receipts")}, BEARER, body="push-batch")},
    "/v1/admin/results/{ref}/lab-results": {"post": _op(
        "enter a lab's result (item_code, sample_no, lab, report_no, reported_on, outcome, note, rectify_by | case)",
        {"201": ref("LabResultEntered")}, ADMIN, parameters=[_param("ref")])},
    "/v1/admin/results/{ref}/penalty": {"post": _op(
        "enter a penalty decision (decision_no, decided_on, amount_fen)", {"201": ref("Penalty")}, ADMIN,
        parameters=[_param("ref")])},
    "/v1/admin/results/{ref}/transfers": {"post": _op("enter a transfer (to_body, kind, on, note)",
                                                      {"201": ref("Transfer")}, ADMIN, parameters=[_param("ref")])},
    "/v1/admin/ledger": {"get": _op("the follow-up ledger: open rectifications, open cases, transfers",
                                    {"200": ref("Ledger")}, ADMIN)},
    "/v1/admin/disclosures": {"get": _op("the disclosure list's status: due, overdue, published, rate",
                                         {"200": ref("DisclosureStatus")}, ADMIN)},
    "/v1/admin/disclosures/publish": {"post": _op("the daily batch: publish what is due, send reminders",
                                                  {"200": ref("PublishBatch")}, ADMIN)},
    "/v1/log/head": {"get": _op("the audit log's Merkle tree head, signed by the server now (a checkpoint); "
                                "the server keeps no past checkpoints: keep the ones you see",
                                {"200": ref("Checkpoint")})},
    "/v1/log/key": {"get": _op("the server's public key that signs checkpoints", {"200": ref("PublicKey")})},
    "/v1/log/proof/{index}": {"get": _op("an entry and its inclusion proof", {"200": ref("InclusionProof")},
                                         parameters=[_param("index", schema={"type": "integer", "minimum": 0}),
                                                     _size("size", "the tree's size; the current size when left out")])},
    "/v1/log/consistency": {"get": _op(
        "RFC 9162 consistency proof between two tree sizes, 0 < first ≤ second ≤ the log's size",
        {"200": ref("ConsistencyProof")},
        parameters=[{**_size("first", "the older tree's size"), "required": True},
                    _size("second", "the newer tree's size; the current size when left out")])},
    "/v1/admin/users": {"post": _op("create a user (office admin)", {"201": ref("User")}, ADMIN)},
    "/v1/admin/users/{user_id}/enrollment-codes": {"post": _op("a one-time enrollment code",
                                                               {"201": ref("EnrollmentCode")}, ADMIN,
                                                               parameters=[_param("user_id")])},
    "/v1/admin/devices/{device_id}/revoke": {"post": _op("revoke a device's key and token", {"200": ref("Revoked")},
                                                         ADMIN, parameters=[_param("device_id")])},
}


def document() -> dict[str, Any]:
    """A fresh copy each time: callers may change theirs."""
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {"title": "随检 SuiJian sync server", "version": "1.0.0"},
        "components": {
            "schemas": {**{name: embedded(name) for name in SCHEMA_FILES}, **REPLIES},
            "securitySchemes": {
                "device": {"type": "http", "scheme": "bearer", "description": "device token from /v1/enroll"},
                "admin": {"type": "http", "scheme": "bearer", "description": "office admin token"}}},
        "paths": PATHS,
    })
