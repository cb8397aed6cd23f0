"""The OpenAPI document. Bodies refer to the contract files in schemas/, served under /schemas/."""
from __future__ import annotations

from typing import Any

from schemas.contract import VERSION

ERROR = {"description": "error (schemas/v1/error.schema.json)",
         "content": {"application/json": {"schema": {"$ref": f"/schemas/{VERSION}/error.schema.json"}}}}
BEARER = [{"device": []}]
ADMIN = [{"admin": []}]


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"/schemas/{VERSION}/{name}.schema.json"}}}}


def _op(summary: str, ok: str, security: list | None = None, body: str | None = None,
        media: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {ok: {"description": "ok"}, "default": ERROR}}
    if security is not None:
        op["security"] = security
    if body:
        op["requestBody"] = _body(body)
    if media:
        op["requestBody"] = {"required": True, "content": {media: {"schema": {"type": "string", "format": "binary"}}}}
    return op


def _param(name: str, where: str = "path", schema: dict | None = None) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema or {"type": "string"}}


PATHS: dict[str, Any] = {
    "/healthz": {"get": _op("liveness", "200")},
    "/v1/enroll": {"post": _op("trade a one-time code for a device token", "201", body="enrollment")},
    "/v1/me": {"get": _op("the calling device and its user", "200", BEARER)},
    "/v1/feed": {"get": {**_op("assignments since a cursor, page by page", "200", BEARER),
                         "parameters": [_param("cursor", "query"), _param("limit", "query", {"type": "integer"})]}},
    "/v1/photos/{sha256}": {"put": {**_op("upload a photo by its SHA-256 (idempotent)", "201", BEARER,
                                          media="image/jpeg"), "parameters": [_param("sha256")]},
                            "get": {**_op("a photo's bytes, for the record's team and a reviewing leader", "200",
                                          BEARER), "parameters": [_param("sha256")]}},
    "/v1/records/batch": {"post": _op("push signed records; one receipt each", "200", BEARER, body="push-batch")},
    "/v1/records/{record_id}": {"put": {**_op("push one signed record (409 on conflict)", "201", BEARER,
                                              media="application/json"), "parameters": [_param("record_id")]}},
    "/v1/records/{record_id}/receipt": {"get": {**_op("a stored record's receipt", "200", BEARER),
                                                "parameters": [_param("record_id")]}},
    "/v1/reviews/batch": {"post": _op("a leader's signed decisions (approve / return); one receipt each", "200",
                                      BEARER, body="push-batch")},
    "/v1/reviews/queue": {"get": {**_op("a leader's queue: complete records in review, of other teams", "200", BEARER),
                                  "parameters": [_param("limit", "query", {"type": "integer"})]}},
    "/v1/reinspections/batch": {"post": _op("signed re-inspections (复查) of approved records; one receipt each",
                                            "200", BEARER, body="push-batch")},
    "/v1/admin/results/{ref}/penalty": {"post": {**_op("enter a penalty decision (decision_no, decided_on, amount_fen)",
                                                       "201", ADMIN), "parameters": [_param("ref")]}},
    "/v1/admin/results/{ref}/transfers": {"post": {**_op("enter a transfer (to_body, kind, on, note)", "201", ADMIN),
                                                   "parameters": [_param("ref")]}},
    "/v1/admin/ledger": {"get": _op("the follow-up ledger: open rectifications, open cases, transfers", "200", ADMIN)},
    "/v1/admin/disclosures": {"get": _op("the disclosure list's status: due, overdue, published, rate", "200", ADMIN)},
    "/v1/admin/disclosures/publish": {"post": _op("the daily batch: publish what is due, send reminders", "200",
                                                  ADMIN)},
    "/v1/log/head": {"get": _op("the audit log's Merkle tree head, signed by the server (a checkpoint)", "200")},
    "/v1/log/key": {"get": _op("the server's public key that signs checkpoints", "200")},
    "/v1/log/proof/{index}": {"get": {**_op("an entry and its inclusion proof", "200"),
                                      "parameters": [_param("index"), _param("size", "query")]}},
    "/v1/admin/users": {"post": _op("create a user (office admin)", "201", ADMIN)},
    "/v1/admin/users/{user_id}/enrollment-codes": {"post": {**_op("a one-time enrollment code", "201", ADMIN),
                                                            "parameters": [_param("user_id")]}},
    "/v1/admin/devices/{device_id}/revoke": {"post": {**_op("revoke a device's key and token", "200", ADMIN),
                                                      "parameters": [_param("device_id")]}},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "随检 SuiJian sync server", "version": "1.0.0"},
        "components": {"securitySchemes": {
            "device": {"type": "http", "scheme": "bearer", "description": "device token from /v1/enroll"},
            "admin": {"type": "http", "scheme": "bearer", "description": "office admin token"}}},
        "paths": PATHS,
    }
