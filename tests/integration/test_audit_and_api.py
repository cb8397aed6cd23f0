"""The audit log's proofs, the OpenAPI document, and the one error shape."""
from __future__ import annotations


import httpx
import jsonschema

from field_app.outbox import sign_and_queue
from schemas import contract, envelope
from sync_server.app import ROUTES
from sync_server.core import merkle
from sync_server.openapi import PATHS
from tests.support.records import record


def test_receipt_log_index_has_a_valid_proof(make_device, county, server) -> None:
    client = make_device(county.inspector)
    client.sync()
    doc = record(client.store.list_assignments()[0], [county.inspector])
    sign_and_queue(client.store, client.keys, "record", doc, [], "2026-11-20T10:00:00Z")
    client.sync()
    import json
    receipt = json.loads(client.store.outbox_rows()[0]["receipt"])
    contract.validate("receipt", receipt)
    head = httpx.get(server.url + "/v1/log/head").json()
    key = httpx.get(server.url + "/v1/log/key").json()
    signed = envelope.parse(head["envelope"].encode())
    envelope.verify(signed, bytes.fromhex(key["public_key"]))
    assert signed.document() == {"log": head["log"], "size": head["size"], "root": head["root"], "at": head["at"]}
    proof = httpx.get(f"{server.url}/v1/log/proof/{receipt['log_index']}", params={"size": head["size"]}).json()
    entry = json.loads(proof["entry"])
    assert entry["subject"] == doc["id"] and entry["envelope_sha256"] == receipt["envelope_sha256"]
    leaf = merkle.leaf_hash(proof["entry"].encode())
    assert leaf.hex() == proof["leaf_hash"]
    assert merkle.verify_inclusion(receipt["log_index"], head["size"], leaf,
                                   [bytes.fromhex(h) for h in proof["proof"]], bytes.fromhex(head["root"]))
    missing = httpx.get(f"{server.url}/v1/log/proof/{head['size'] + 5}")
    assert missing.status_code == 404 and missing.json()["code"] == "log.no_entry"


def test_openapi_lists_every_route(server) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    routed = {route.path for route in ROUTES if route.path.startswith(("/v1/", "/healthz"))}
    assert routed == set(doc["paths"]) == set(PATHS)
    schema = httpx.get(server.url + "/schemas/v1/inspection-record.schema.json")
    assert schema.status_code == 200 and schema.json()["$id"].endswith("inspection-record.schema.json")


def test_unknown_paths_and_methods_use_the_error_shape(server) -> None:
    for response in (httpx.get(server.url + "/nowhere"), httpx.delete(server.url + "/v1/feed")):
        jsonschema.validate(response.json(), contract.load("error"))
        assert response.json()["message_zh"]


def test_admin_creates_users(server, county) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {county.admin_token}"}) as admin:
        _create_users(admin)


def _create_users(admin: httpx.Client) -> None:
    made = admin.post("/v1/admin/users", json={"id": "37000020260099", "name": "赵敏", "role": "inspector",
                                               "specialties": ["public_places"]})
    assert made.status_code == 201
    again = admin.post("/v1/admin/users", json={"id": "37000020260099", "name": "赵敏", "role": "inspector"})
    assert again.status_code == 409 and again.json()["code"] == "user.exists"
    bad = admin.post("/v1/admin/users", json={"id": "x", "name": "y", "role": "inspector", "specialties": ["cooking"]})
    assert bad.status_code == 400 and bad.json()["code"] == "user.specialty"
