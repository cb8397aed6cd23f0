"""Two officers, each signing (执法人员不得少于两人): a record is accepted only with valid
signatures of at least two distinct officers of the assignment's team, each with their own
signing key registered on a team tablet; every other way is refused, with nothing saved."""
from __future__ import annotations

import base64
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import envelope
from tests.integration.conftest import server_rows, team_of
from tests.support.records import PIN, officer_key, record, sign_record


def push(client, *texts: bytes) -> list[dict]:
    answer = client.http.post("/v1/records/batch", json={"envelopes": [t.decode() for t in texts]},
                              headers=client._auth())
    assert answer.status_code == 200, answer.text
    return answer.json()["receipts"]


def refused(receipt: dict, code: str) -> None:
    assert receipt["status"] == "rejected" and receipt["error"]["code"] == code, receipt
    assert receipt["error"]["message_zh"], "a Chinese message for the inspector"


def stored(county) -> int:
    return server_rows(county.db, "SELECT count(*) AS n FROM records")[0]["n"]


@pytest.fixture
def team(make_device, county):
    """The demo inspector's team tablet, an assignment, its team and someone not on it."""
    tablet = make_device(county.inspector)
    tablet.sync()
    assignment = tablet.store.list_assignments()[0]
    members = team_of(county.db, assignment["id"])
    mate = next(p for p in members if p != county.inspector)
    outsider = next(r["id"] for r in server_rows(county.db, "SELECT id FROM users WHERE role = 'inspector'"
                                                               " ORDER BY id") if r["id"] not in members)
    return tablet, assignment, mate, outsider


def test_two_officers_of_the_team_each_signing_are_accepted(team, county) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    signed = sign_record(tablet, doc)
    (receipt,) = push(tablet, signed)
    assert receipt["status"] == "accepted", receipt
    env = envelope.parse(bytes(server_rows(county.db, "SELECT envelope FROM records WHERE id = ?", doc["id"])[0][0]))
    keys = server_rows(county.db, "SELECT keyid, user_id, host_device_id FROM devices WHERE keyid IN (?, ?)", *env.keyids)
    assert {k["user_id"] for k in keys} == {county.inspector, mate}
    assert {k["host_device_id"] for k in keys} == {tablet.keys.credentials()["device_id"]}, "kept on the team tablet"
    row = server_rows(county.db, "SELECT signer_id FROM records WHERE id = ?", doc["id"])[0]
    assert row["signer_id"] == county.inspector


def test_one_officer_alone_is_refused(team, county) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    alone = envelope.sign(doc, envelope.RECORD_TYPE, officer_key(tablet, county.inspector))
    (receipt,) = push(tablet, alone)
    refused(receipt, "record.too_few_signers")
    assert receipt["error"]["message_zh"] == "检查记录须由至少两名执法人员各自签名"
    assert stored(county) == 0


def test_a_forged_second_signature_is_refused(team, county) -> None:
    tablet, assignment, mate, _ = team
    obj = json.loads(sign_record(tablet, record(assignment, [county.inspector, mate])))
    obj["signatures"][1]["sig"] = base64.b64encode(Ed25519PrivateKey.generate().sign(b"something else")).decode()
    (receipt,) = push(tablet, json.dumps(obj).encode())
    refused(receipt, "envelope.bad_signature")
    assert stored(county) == 0


def test_one_officer_signing_twice_is_refused(team, make_device, county) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    second_tablet = make_device(mate)   # the inspector registers a second key there
    twice = envelope.sign(doc, envelope.RECORD_TYPE, officer_key(tablet, county.inspector),
                          officer_key(second_tablet, county.inspector))
    (receipt,) = push(tablet, twice)
    refused(receipt, "record.signer_twice")
    same_key = json.loads(envelope.sign(doc, envelope.RECORD_TYPE, officer_key(tablet, county.inspector)))
    same_key["signatures"] *= 2                     # the very same signature twice
    (receipt,) = push(tablet, json.dumps(same_key).encode())
    refused(receipt, "envelope.duplicate_keyid")
    assert stored(county) == 0


def test_an_officer_not_on_the_team_is_refused(team, county) -> None:
    tablet, assignment, _, outsider = team
    doc = record(assignment, [county.inspector, outsider])
    (receipt,) = push(tablet, sign_record(tablet, doc))
    refused(receipt, "record.signer_not_on_team")
    assert receipt["error"]["detail"]["officers"] == [outsider]
    assert stored(county) == 0


def test_the_inspectors_are_exactly_the_officers_who_signed(team, county) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    named_one = {**doc, "inspectors": [county.inspector]}          # two signed, one named
    (receipt,) = push(tablet, sign_record(tablet, named_one, signers=[county.inspector, mate]))
    refused(receipt, "record.inspectors")
    assert stored(county) == 0


def test_the_tablets_own_key_cannot_sign_a_record(team, county) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    (receipt,) = push(tablet, envelope.sign(doc, envelope.RECORD_TYPE, tablet.keys.private_key(),
                                            officer_key(tablet, mate)))
    refused(receipt, "key.not_officer")
    assert stored(county) == 0


def test_a_revoked_officer_key_and_a_revoked_tablets_keys_are_refused(team, make_device, county, admin) -> None:
    tablet, assignment, mate, _ = team
    doc = record(assignment, [county.inspector, mate])
    signed = sign_record(tablet, doc)
    mate_key = envelope.keyid_of(envelope.public_raw_of(officer_key(tablet, mate)))
    key_row = server_rows(county.db, "SELECT id FROM devices WHERE keyid = ?", mate_key)[0]["id"]
    assert admin.http.post(f"/v1/admin/devices/{key_row}/revoke").status_code == 200
    (receipt,) = push(tablet, signed)
    refused(receipt, "key.revoked")

    mates_tablet = make_device(mate)   # the whole team tablet is lost: every key on it goes with it
    other = record(assignment, [county.inspector, mate])
    signed = envelope.sign(other, envelope.RECORD_TYPE, officer_key(tablet, county.inspector),
                           officer_key(mates_tablet, mate))
    assert admin.http.post(f"/v1/admin/devices/{tablet.keys.credentials()['device_id']}/revoke").status_code == 200
    (receipt,) = push(mates_tablet, signed)
    refused(receipt, "key.revoked")
    assert stored(county) == 0
    states = server_rows(county.db, "SELECT DISTINCT status FROM devices WHERE host_device_id = ?",
                         tablet.keys.credentials()["device_id"])
    assert [s["status"] for s in states] == ["revoked"]


def test_an_officer_key_registers_only_with_a_tablet_and_a_good_code(team, county, admin, server) -> None:
    tablet, _, mate, _ = team
    body = {"code": admin.code_for(mate), "public_key": "ab" * 32, "algorithm": "ed25519", "device_name": "t"}
    answer = httpx.post(f"{server.url}/v1/officer-keys", json=body)
    assert answer.status_code == 401 and answer.json()["code"] == "auth.missing_token"
    answer = tablet.http.post("/v1/officer-keys", json={**body, "code": "AAAA-BBBB-CCCC"}, headers=tablet._auth())
    assert answer.status_code == 400 and answer.json()["code"] == "enrollment.code_invalid"
    answer = tablet.http.post("/v1/officer-keys", json=body, headers=tablet._auth())
    assert answer.status_code == 201 and answer.json()["user"]["id"] == mate
    again = tablet.http.post("/v1/officer-keys", json=body, headers=tablet._auth())
    assert again.status_code == 409 and again.json()["code"] in ("enrollment.code_used", "enrollment.key_exists")


def test_a_decision_signed_by_two_is_refused(team, make_device, county) -> None:
    leader = make_device(county.leader)
    decision = {"schema": "suijian.review-decision/1", "id": "0190f3b4-0000-7000-8000-0000000000aa",
                "record_id": "0190f3b4-0000-7000-8000-0000000000bb", "record_envelope_sha256": "0" * 64,
                "decision": "approve", "reason": "", "leader": county.leader, "decided_at": "2026-11-21T10:00:00Z"}
    text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key(), Ed25519PrivateKey.generate())
    answer = leader.http.post("/v1/reviews/batch", json={"envelopes": [text.decode()]}, headers=leader._auth())
    assert answer.status_code == 200
    refused(answer.json()["receipts"][0], "envelope.signature_count")


def test_the_pin_is_needed_to_sign_on_the_tablet(team, county) -> None:
    tablet, _, mate, _ = team
    officer_key(tablet, mate)   # registered with the PIN
    from field_app.officer_keys import WrongPin
    with pytest.raises(WrongPin):
        tablet.keys.officers.unlock(mate, "000111")
    assert tablet.keys.officers.unlock(mate, PIN) is not None
