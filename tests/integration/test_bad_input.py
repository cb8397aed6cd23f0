"""Every bad input the foundation names: a clear error (Chinese for people), nothing stored lost."""
from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import contract, envelope
from schemas.errors import ContractError
from schemas.jcs import canonicalize
from tests.integration.conftest import server_rows, team_of
from tests.support.photos import jpeg_bytes, png_bomb
from tests.support.records import officer_key, queue_record, record, sign_record

NOW = "2026-11-20T10:00:00Z"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    jsonschema.validate(body, contract.load("error"))
    assert body["code"] == code and body["message_zh"]
    return body


def push(client, *envelopes: bytes | str) -> list[dict]:
    texts = [e.decode() if isinstance(e, bytes) else e for e in envelopes]
    response = client.http.post("/v1/records/batch", json={"envelopes": texts}, headers=client._auth())
    assert response.status_code == 200, response.text
    return response.json()["receipts"]


@pytest.fixture
def inspector(make_device, county):
    client = make_device(county.inspector)
    client.sync()
    return client


def good(inspector, county, n: int = 0) -> tuple[dict, bytes]:
    assignment = inspector.store.list_assignments()[n]
    doc = record(assignment, [county.inspector])
    return doc, sign_record(inspector, doc)


def test_altered_record_is_refused_and_the_good_one_beside_it_kept(inspector, county) -> None:
    doc, signed = good(inspector, county)
    obj = json.loads(signed)
    payload = json.loads(base64.b64decode(obj["payload"]))
    payload["findings"][0]["outcome"] = "not_applicable"
    obj["payload"] = base64.b64encode(canonicalize(payload)).decode()
    _, other = good(inspector, county, 1)
    forged, kept = push(inspector, json.dumps(obj), other)
    assert forged["status"] == "rejected" and forged["error"]["code"] == "envelope.bad_signature"
    assert forged["error"]["message_zh"] == "签名验证失败：记录可能被篡改"
    assert kept["status"] == "accepted", "one bad record never blocks the others"
    assert server_rows(county.db, "SELECT count(*) AS n FROM records")[0]["n"] == 1


def test_unknown_key(inspector, county) -> None:
    doc = record(inspector.store.list_assignments()[0], [county.inspector])
    stranger = envelope.sign(doc, envelope.RECORD_TYPE, Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())
    (receipt,) = push(inspector, stranger)
    assert receipt["error"]["code"] == "key.unknown"


def test_revoked_key_and_token(inspector, county, admin) -> None:
    _, signed = good(inspector, county)
    device_id = inspector.keys.credentials()["device_id"]
    assert admin.http.post(f"/v1/admin/devices/{device_id}/revoke").status_code == 200
    response = inspector.http.post("/v1/records/batch", json={"envelopes": [signed.decode()]},
                                   headers=inspector._auth())
    assert_error(response, 401, "auth.invalid_token")


def test_revoked_signer_pushed_by_a_teammate(make_device, county, admin) -> None:
    signer = make_device(county.inspector)
    signer.sync()
    assignment = signer.store.list_assignments()[0]
    mate_id = next(p for p in team_of(county.db, assignment["id"]) if p != county.inspector)
    mate = make_device(mate_id)
    doc = record(assignment, [county.inspector, mate_id])
    signed = sign_record(signer, doc)
    admin.http.post(f"/v1/admin/devices/{signer.keys.credentials()['device_id']}/revoke")
    (receipt,) = push(mate, signed)
    assert receipt["status"] == "rejected" and receipt["error"]["code"] == "key.revoked"


def test_someone_elses_assignment(make_device, county) -> None:
    me = make_device(county.inspector)
    mine = {a["id"] for a in (me.sync(), me.store.list_assignments())[1]}
    rows = server_rows(county.db, "SELECT doc FROM assignments")
    theirs = next(json.loads(r["doc"]) for r in rows if json.loads(r["doc"])["id"] not in mine)
    doc = record(theirs, [county.inspector, theirs["team"][0]["id"]])   # signed by two, pushed by me
    (receipt,) = push(me, sign_record(me, doc))
    assert receipt["error"]["code"] == "assignment.not_on_team"
    single = me.http.put(f"/v1/records/{doc['id']}", content=sign_record(me, doc),
                         headers=me._auth())
    assert_error(single, 403, "assignment.not_on_team")


def test_same_id_other_bytes_is_a_conflict(inspector, county) -> None:
    doc, signed = good(inspector, county)
    assert push(inspector, signed)[0]["status"] == "accepted"
    changed = {**doc, "findings": [{**doc["findings"][0], "note": "补充说明"}] + doc["findings"][1:]}
    other = sign_record(inspector, changed)
    (receipt,) = push(inspector, other)
    assert receipt["status"] == "conflict" and receipt["error"]["code"] == "record.conflict"
    single = inspector.http.put(f"/v1/records/{doc['id']}", content=other, headers=inspector._auth())
    assert_error(single, 409, "record.conflict")
    stored = server_rows(county.db, "SELECT envelope FROM records WHERE id = ?", doc["id"])[0]["envelope"]
    assert bytes(stored) == signed, "the first bytes stay"


def test_one_batch_gets_every_answer_in_order(inspector, county) -> None:
    """The store reads what a batch needs once (sync_server/records/ingest.py, Known): a record
    and then its own duplicate and a rewrite of it in the same batch, a record waiting for a photo,
    one on an assignment that does not exist, and a good one after them: each its own receipt."""
    visits = inspector.store.list_assignments()
    first, signed = good(inspector, county, 0)
    rewritten = sign_record(inspector, {**first, "party": {"refused": True, "note": "另行说明"}})
    photo = hashlib.sha256(b"a photo never uploaded").hexdigest()
    waiting_doc = record(visits[1], [county.inspector])
    waiting_doc["findings"][0]["photos"] = [photo]
    nowhere = record({**visits[2], "id": str(uuid.uuid4())}, [county.inspector])
    last, last_signed = good(inspector, county, 3)
    receipts = push(inspector, signed, signed, rewritten, sign_record(inspector, waiting_doc),
                    sign_record(inspector, nowhere), last_signed)
    assert [r["status"] for r in receipts] == ["accepted", "duplicate", "conflict", "incomplete", "rejected", "accepted"]
    assert receipts[1]["log_index"] == receipts[0]["log_index"]
    assert receipts[2]["error"]["code"] == "record.conflict"
    assert receipts[3]["missing_photos"] == [photo]
    assert receipts[4]["error"]["code"] == "assignment.unknown"
    stored = {r["id"]: r["state"] for r in server_rows(county.db, "SELECT id, state FROM records")}
    assert stored == {first["id"]: "received", waiting_doc["id"]: "incomplete", last["id"]: "received"}
    # Pushed again, the whole batch answers the same, and nothing more is stored.
    again = push(inspector, signed, sign_record(inspector, waiting_doc), last_signed)
    assert [r["status"] for r in again] == ["duplicate", "duplicate", "duplicate"]
    assert again[1]["missing_photos"] == [photo]
    assert server_rows(county.db, "SELECT count(*) AS n FROM records")[0]["n"] == 3


def test_schema_violation(inspector, county) -> None:
    doc, _ = good(inspector, county)
    doc["visit"]["outcome"] = "closed"
    (receipt,) = push(inspector, sign_record(inspector, doc))
    assert receipt["error"]["code"] == "schema.invalid" and "/visit/outcome" in receipt["error"]["message"]


def _sign_raw(payload: bytes, keys: list[Ed25519PrivateKey]) -> str:
    return json.dumps({"payloadType": envelope.RECORD_TYPE, "payload": base64.b64encode(payload).decode(),
                       "signatures": [{"keyid": envelope.keyid_of(envelope.public_raw_of(key)),
                                       "sig": base64.b64encode(key.sign(envelope.pae(envelope.RECORD_TYPE,
                                                                                     payload))).decode()}
                                      for key in keys]})


def test_duplicate_keys_floats_and_non_canonical_payloads(inspector, county) -> None:
    doc, _ = good(inspector, county)
    key = [officer_key(inspector, person) for person in doc["inspectors"]]
    canonical = canonicalize(doc).decode()
    duplicated = canonical.replace('{"assignment_id"', '{"id":"x","assignment_id"', 1).encode()
    floated = canonical.replace('"accuracy_m":15', '"accuracy_m":15.0').encode()
    spaced = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    receipts = push(inspector, _sign_raw(duplicated, key), _sign_raw(floated, key), _sign_raw(spaced, key))
    assert [r["error"]["code"] for r in receipts] == ["json.duplicate_key", "json.float", "payload.not_canonical"]


def test_duplicate_keys_in_the_request_body(inspector) -> None:
    body = b'{"envelopes": ["a"], "envelopes": ["b"]}'
    response = inspector.http.post("/v1/records/batch", content=body, headers=inspector._auth())
    assert_error(response, 400, "json.duplicate_key")


def test_non_utf8_body(inspector) -> None:
    response = inspector.http.post("/v1/records/batch", content=b'{"envelopes": ["\xff"]}', headers=inspector._auth())
    assert_error(response, 400, "json.not_utf8")


def test_oversized_body(inspector) -> None:
    body = json.dumps({"envelopes": ["x" * 200_000] * 50}).encode()
    response = inspector.http.post("/v1/records/batch", content=body, headers=inspector._auth())
    assert_error(response, 413, "request.too_large")


def test_photo_bad_inputs(inspector, county) -> None:
    def put(sha: str, data: bytes):
        return inspector.http.put(f"/v1/photos/{sha}", content=data, headers=inspector._auth())

    good_bytes = jpeg_bytes(3)
    import hashlib
    sha = hashlib.sha256(good_bytes).hexdigest()
    assert_error(put(sha, good_bytes + b"tampered"), 400, "photo.hash_mismatch")
    bomb = png_bomb()
    assert_error(put(hashlib.sha256(bomb).hexdigest(), bomb), 413, "photo.too_many_pixels")
    text = b"not a photo at all"
    assert_error(put(hashlib.sha256(text).hexdigest(), text), 415, "photo.unsupported_type")
    cut = good_bytes[: len(good_bytes) // 2]
    assert_error(put(hashlib.sha256(cut).hexdigest(), cut), 400, "photo.corrupt")
    huge = b"\xff\xd8\xff" + bytes(11 * 1024 * 1024)
    assert_error(put(hashlib.sha256(huge).hexdigest(), huge), 413, "request.too_large")
    assert_error(put("ABC", good_bytes), 400, "photo.bad_hash")
    assert put(sha, good_bytes).status_code == 201
    assert put(sha, good_bytes).status_code == 201, "idempotent"
    assert server_rows(county.db, "SELECT count(*) AS n FROM photos")[0]["n"] == 1
    photo_files = [p for p in county.photos.rglob("*") if p.is_file()]
    assert [p.name for p in photo_files] == [sha], "refused uploads leave nothing behind"


def test_replayed_enrollment_code(server, admin, county, tmp_path: Path) -> None:
    import httpx
    code = admin.code_for(county.inspector)
    body = lambda key: {"code": code, "public_key": key, "algorithm": "ed25519", "device_name": "t"}
    first = httpx.post(server.url + "/v1/enroll", json=body("11" * 32))
    assert first.status_code == 201
    assert_error(httpx.post(server.url + "/v1/enroll", json=body("22" * 32)), 409, "enrollment.code_used")
    assert_error(httpx.post(server.url + "/v1/enroll", json={**body("33" * 32), "code": "AAAA-BBBB-CCCC"}),
                 400, "enrollment.code_invalid")


def test_no_token_and_not_admin(server, inspector) -> None:
    import httpx
    assert_error(httpx.get(server.url + "/v1/feed"), 401, "auth.missing_token")
    assert_error(inspector.http.post("/v1/admin/users", json={}, headers=inspector._auth()), 403, "auth.not_admin")


def test_bad_feed_parameters(inspector) -> None:
    response = inspector.http.get("/v1/feed", params={"cursor": "-1"}, headers=inspector._auth())
    assert_error(response, 400, "request.bad_parameter")
    # Who asks comes before what is asked: without a token, or with a made-up one, the same bad
    # cursor is a 401, as on every device route.
    assert_error(inspector.http.get("/v1/feed", params={"cursor": "-1"}), 401, "auth.missing_token")
    made_up = inspector.http.get("/v1/feed", params={"cursor": "x"}, headers={"Authorization": "Bearer dev_made_up"})
    assert made_up.status_code == 401, made_up.text
    response = inspector.http.get("/v1/feed", params={"limit": "999999999999"}, headers=inspector._auth())
    assert_error(response, 400, "request.bad_parameter")


def test_outbox_survives_rejections(inspector, county) -> None:
    doc, _ = good(inspector, county)
    signers = doc["inspectors"]
    doc["inspectors"] = ["somebody-else"]
    with pytest.raises(ContractError) as caught:
        queue_record(inspector, {**doc, "id": "bad"}, [], NOW, signers=signers)
    assert caught.value.code == "schema.invalid"
    assert inspector.store.outbox_counts() == {}, "an invalid record never reaches the outbox"
    queue_record(inspector, doc, [], NOW, signers=signers)
    result = inspector.sync()
    assert result.receipts == {"rejected": 1}
    row = inspector.store.outbox_rows()[0]
    assert row["state"] == "rejected" and json.loads(row["error"])["code"] == "record.inspectors"
    assert row["envelope"], "the signed bytes stay on the tablet"
