"""The audit log's proofs, the OpenAPI document (valid on its own, true to the replies), the one
error shape, and 405 with Allow."""
from __future__ import annotations


import hashlib

import httpx
import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openapi_spec_validator import validate as validate_spec

from schemas import contract, envelope
from sync_server.app import routes
from sync_server.audit.core import merkle
from sync_server.web.openapi import PATHS
from tests.support.photos import jpeg_bytes
from tests.support.records import queue_record, record


def test_receipt_log_index_has_a_valid_proof(make_device, county, server) -> None:
    client = make_device(county.inspector)
    client.sync()
    doc = record(client.store.list_assignments()[0], [county.inspector])
    queue_record(client, doc, [], "2026-11-20T10:00:00Z")
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
    routed = {route.path for route in routes() if route.path.startswith(("/v1/", "/healthz", "/schemas/", "/openapi"))}
    assert routed == set(doc["paths"]) == set(PATHS)
    schema = httpx.get(server.url + "/schemas/v1/inspection-record.schema.json")
    assert schema.status_code == 200 and schema.json()["$id"].endswith("inspection-record.schema.json")


def test_unknown_paths_and_methods_use_the_error_shape(server) -> None:
    for response in (httpx.get(server.url + "/nowhere"), httpx.delete(server.url + "/v1/feed")):
        jsonschema.validate(response.json(), contract.load("error"))
        assert response.json()["message_zh"]
    assert httpx.request("BREW", server.url + "/v1/feed").status_code == 400, "not HTTP: the parser refuses it"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PATCH", "DELETE", "OPTIONS"])
def test_unknown_methods_answer_405_with_allow_and_unknown_paths_404(server, method: str) -> None:
    allowed = {"/v1/feed": "GET, HEAD", "/v1/reviews/batch": "POST", "/v1/photos/" + "a" * 64: "GET, HEAD, PUT",
               "/v1/log/consistency": "GET, HEAD", "/public/results": "GET, HEAD"}
    with httpx.Client(base_url=server.url) as http:
        for path, allow in allowed.items():
            refused = http.request(method, path)
            assert (refused.status_code, refused.headers.get("allow")) == (405, allow), (method, path, refused.text)
            jsonschema.validate(refused.json(), contract.load("error"))
            assert refused.json()["code"] == "request.method_not_allowed" and refused.json()["message_zh"]
            assert all(http.request(m, path).status_code != 405 for m in allow.split(", ")), "Allow tells the truth"
        for path in ("/nowhere", "/v1/nowhere", "/v1/log/consistency/1"):
            missing = http.request(method, path)
            assert missing.status_code == 404 and missing.json()["code"] == "request.not_found", (method, path)
            assert "allow" not in missing.headers


def test_openapi_document_over_http_is_valid_on_its_own(server) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    validate_spec(doc)
    schema = httpx.get(server.url + "/schemas/v1/receipt.schema.json")
    assert schema.headers["content-type"].startswith("application/schema+json")


def test_replies_are_what_the_openapi_document_says(server, county) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()

    def check(method: str, path: str, response: httpx.Response) -> dict:
        """The reply validates against what the document says of `method path` at its status."""
        status = str(response.status_code)
        assert status.startswith("2"), (method, path, response.text)
        content = doc["paths"][path][method]["responses"][status]["content"]
        schema = content[response.headers["content-type"].split(";")[0]]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(response.json())
        return response.json()

    admin = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {county.admin_token}"})
    with admin, httpx.Client(base_url=server.url) as anyone:
        for path in ("/healthz", "/openapi.json", "/v1/log/head", "/v1/log/key"):
            check("get", path, anyone.get(path))
        check("get", "/v1/log/proof/{index}", anyone.get("/v1/log/proof/0"))
        check("get", "/v1/log/consistency", anyone.get("/v1/log/consistency", params={"first": 1}))
        check("post", "/v1/admin/users", admin.post("/v1/admin/users", json={"id": "A9", "name": "管理员",
                                                                              "role": "admin"}))
        devices = {}
        for user in (county.inspector, county.leader):
            code = check("post", "/v1/admin/users/{user_id}/enrollment-codes",
                         admin.post(f"/v1/admin/users/{user}/enrollment-codes"))["code"]
            public = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
            devices[user] = check("post", "/v1/enroll", anyone.post("/v1/enroll", json={
                "code": code, "public_key": public, "algorithm": "ed25519", "device_name": "平板"}))
        inspector = {"Authorization": f"Bearer {devices[county.inspector]['token']}"}
        check("get", "/v1/me", anyone.get("/v1/me", headers=inspector))
        check("get", "/v1/feed", anyone.get("/v1/feed", headers=inspector))
        photo = jpeg_bytes(7)
        sha = hashlib.sha256(photo).hexdigest()
        check("put", "/v1/photos/{sha256}", anyone.put(f"/v1/photos/{sha}", content=photo, headers=inspector))
        for path in ("/v1/records/batch", "/v1/reviews/batch", "/v1/reinspections/batch"):
            check("post", path, anyone.post(path, json={"envelopes": ["{}"]}, headers=inspector))
        check("get", "/v1/reviews/queue", anyone.get("/v1/reviews/queue", headers={
            "Authorization": f"Bearer {devices[county.leader]['token']}"}))
        for path in ("/v1/admin/ledger", "/v1/admin/disclosures"):
            check("get", path, admin.get(path))
        check("post", "/v1/admin/disclosures/publish", admin.post("/v1/admin/disclosures/publish"))
        device_id = devices[county.leader]["device_id"]
        check("post", "/v1/admin/devices/{device_id}/revoke", admin.post(f"/v1/admin/devices/{device_id}/revoke"))


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
