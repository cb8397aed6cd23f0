"""The leader's review on the server: return with a reason, the correction supersedes, approve;
four eyes, forgeries, replays and decisions out of turn are refused."""
from __future__ import annotations

import base64
import json

import pytest

from field_app.ids import uuid7
from schemas import envelope
from schemas.jcs import canonicalize
from tests.support import engine
from tests.integration.conftest import server_rows
from tests.support.records import officer_key, queue_record, record


def decision(leader, record_row: dict, verdict: str, reason: str = "", review_id: str | None = None) -> dict:
    return {"schema": "suijian.review-decision/1", "id": review_id or uuid7(), "record_id": record_row["id"],
            "record_envelope_sha256": record_row["envelope_sha256"], "decision": verdict, "reason": reason,
            "leader": leader.keys.credentials()["user"]["id"], "decided_at": "2026-11-21T10:00:00Z"}


def send(device, *docs: dict, raw: list[bytes] | None = None) -> list[dict]:
    texts = [envelope.sign(d, envelope.REVIEW_TYPE, device.keys.private_key()).decode() for d in docs]
    texts += [r.decode() for r in raw or []]
    response = device.http.post("/v1/reviews/batch", json={"envelopes": texts}, headers=device._auth())
    assert response.status_code == 200, response.text
    return response.json()["receipts"]


@pytest.fixture
def submitted(make_device, county):
    inspector = make_device(county.inspector)
    inspector.sync()
    assignment = inspector.store.list_assignments()[0]
    doc = record(assignment, [county.inspector])
    queue_record(inspector, doc, [], "2026-11-20T10:00:00Z")
    assert inspector.sync().receipts == {"accepted": 1}
    leader = make_device(county.leader)
    return inspector, leader, assignment, doc


def queue_ids(leader) -> list[str]:
    response = leader.http.get("/v1/reviews/queue", headers=leader._auth())
    assert response.status_code == 200, response.text
    return [item["record_id"] for item in response.json()["items"]]


def test_return_correct_approve(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    assert doc["id"] in queue_ids(leader)
    item = next(i for i in leader.http.get("/v1/reviews/queue", headers=leader._auth()).json()["items"]
                if i["record_id"] == doc["id"])
    for officer in doc["inspectors"]:   # each officer's own signature, as it was signed
        envelope.verify(envelope.parse(item["envelope"].encode()),
                        envelope.public_raw_of(officer_key(inspector, officer)))
    (returned,) = send(leader, decision(leader, {"id": doc["id"], "envelope_sha256": item["envelope_sha256"]},
                                         "return", "现场照片不清晰，请补拍后重新提交"))
    assert returned["status"] == "accepted"
    inspector.sync()
    (notice,) = inspector.store.list_returns()
    assert notice["record_id"] == doc["id"] and notice["reason"] == "现场照片不清晰，请补拍后重新提交"
    correction = {**record(assignment, [county.inspector]), "supersedes": doc["id"]}
    queue_record(inspector, correction, [], "2026-11-22T10:00:00Z")
    assert inspector.sync().receipts == {"accepted": 1}
    assert queue_ids(leader).count(correction["id"]) == 1 and doc["id"] not in queue_ids(leader)
    states = dict(server_rows(county.db, "SELECT id, review_state FROM records"))
    assert (states[doc["id"]], states[correction["id"]]) == ("superseded", "in_review")
    new_sha = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", correction["id"])[0][0]
    approve = decision(leader, {"id": correction["id"], "envelope_sha256": new_sha}, "approve")
    assert send(leader, approve)[0]["status"] == "accepted"
    assert send(leader, approve)[0]["status"] == "duplicate", "a replay is answered, not applied twice"
    again = send(leader, decision(leader, {"id": correction["id"], "envelope_sha256": new_sha}, "return", "再看看"))
    assert again[0]["error"]["code"] == "review.not_in_review"
    kinds = [r[0] for r in server_rows(county.db, "SELECT kind FROM audit_log WHERE kind LIKE 'review.%' ORDER BY idx")]
    assert kinds == ["review.returned", "review.approved"]


def stored_sha(county, record_id: str) -> str:
    return server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", record_id)[0][0]


def test_four_eyes(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    conn = engine.connect(county.db)
    conn.execute("INSERT INTO assignment_team VALUES (?, ?)", (assignment["id"], county.leader))
    conn.close()
    (receipt,) = send(leader, decision(leader, {"id": doc["id"], "envelope_sha256": stored_sha(county, doc["id"])}, "approve"))
    assert receipt["status"] == "rejected" and receipt["error"]["code"] == "review.own_team"
    assert doc["id"] not in queue_ids(leader)


def test_only_leaders_decide(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    forged_leader = {**decision(leader, {"id": doc["id"], "envelope_sha256": stored_sha(county, doc["id"])}, "approve"),
                     "leader": county.inspector}
    (receipt,) = send(inspector, forged_leader)
    assert receipt["error"]["code"] == "review.not_leader"
    assert inspector.http.get("/v1/reviews/queue", headers=inspector._auth()).status_code == 403


def test_forged_and_mismatched_decisions(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    good = decision(leader, {"id": doc["id"], "envelope_sha256": stored_sha(county, doc["id"])}, "approve")
    signed = json.loads(envelope.sign(good, envelope.REVIEW_TYPE, leader.keys.private_key()))
    signed["payload"] = base64.b64encode(canonicalize({**good, "decision": "return", "reason": "伪造"})).decode()
    stale = decision(leader, {"id": doc["id"], "envelope_sha256": "0" * 64}, "approve")
    forged, mismatched = send(leader, stale, raw=[json.dumps(signed).encode()])[::-1]
    assert forged["error"]["code"] == "envelope.bad_signature"
    assert mismatched["error"]["code"] == "review.record_mismatch"
    assert server_rows(county.db, "SELECT review_state FROM records WHERE id = ?", doc["id"])[0][0] == "in_review"


def test_only_a_returned_record_can_be_superseded(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    sneaky = {**record(assignment, [county.inspector]), "supersedes": doc["id"]}
    queue_record(inspector, sneaky, [], "2026-11-22T10:00:00Z")
    assert inspector.sync().receipts == {"rejected": 1}
    row = next(r for r in inspector.store.outbox_rows() if r["id"] == sneaky["id"])
    assert json.loads(row["error"])["code"] == "record.supersedes_not_returned"


def test_a_correction_comes_with_the_returned_record_and_an_approval_keeps_its_comment(submitted, county) -> None:
    inspector, leader, assignment, doc = submitted
    first_sha = stored_sha(county, doc["id"])
    (item,) = [i for i in leader.http.get("/v1/reviews/queue", headers=leader._auth()).json()["items"]
               if i["record_id"] == doc["id"]]
    assert item["earlier"] is None, "a first record corrects nothing"
    back = {**decision(leader, {"id": doc["id"], "envelope_sha256": first_sha}, "return", "第1项备注不完整"),
            "comment": "请写明整改期限"}
    assert send(leader, back)[0]["status"] == "accepted"
    inspector.sync()
    correction = {**record(assignment, [county.inspector]), "supersedes": doc["id"]}
    queue_record(inspector, correction, [], "2026-11-22T10:00:00Z")
    assert inspector.sync().receipts == {"accepted": 1}
    (item,) = [i for i in leader.http.get("/v1/reviews/queue", headers=leader._auth()).json()["items"]
               if i["record_id"] == correction["id"]]
    earlier = item["earlier"]
    assert earlier["record_id"] == doc["id"]
    assert envelope.parse(earlier["envelope"].encode()).document() == doc, "the returned record, as signed"
    assert (earlier["returned"]["reason"], earlier["returned"]["comment"]) == ("第1项备注不完整", "请写明整改期限")
    assert earlier["returned"]["decided_at"] == back["decided_at"] and earlier["returned"]["leader_name"]
    approve = {**decision(leader, {"id": correction["id"], "envelope_sha256": stored_sha(county, correction["id"])},
                          "approve"), "comment": "更正完整，同意"}
    assert send(leader, approve)[0]["status"] == "accepted"
    stored = dict(server_rows(county.db, "SELECT decision, comment FROM reviews WHERE id = ?", approve["id"]))
    assert stored == {"approve": "更正完整，同意"}
    inspector.sync()
    approval = next(d for d in inspector.store.list_decisions() if d["record_id"] == correction["id"])
    assert (approval["decision"], approval["comment"]) == ("approve", "更正完整，同意")


def test_a_decision_without_a_comment_is_still_accepted(submitted, county) -> None:
    _, leader, _, doc = submitted
    plain = decision(leader, {"id": doc["id"], "envelope_sha256": stored_sha(county, doc["id"])}, "approve")
    too_long = {**plain, "id": uuid7(), "comment": "长" * 2001}
    (refused,) = send(leader, too_long)
    assert refused["status"] == "rejected" and refused["error"]["code"] == "schema.invalid", refused
    assert "comment" not in plain and send(leader, plain)[0]["status"] == "accepted"
    assert server_rows(county.db, "SELECT comment FROM reviews WHERE id = ?", plain["id"])[0][0] == ""
