"""Lab samples (委托检验检测) end to end over real HTTP against a real server and SQLite file: a
record with a pending sample syncs (category 待检验结果), is approved and published as pending, a
lab result arrives from the office or from the tablet, and the record's category, the public
entry and the audit log follow; a forged or mismatched result is refused with a clear error."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from schemas import envelope
from schemas.lab import LabResult
from schemas.record import Rectify
from tests.integration.conftest import server_rows
from tests.integration.test_disclosure import approve, entry_of, submit
from tests.integration.test_office_sessions import csrf_of, sign_in
from tests.support.office import CLERK
from tests.support import dates
from tests.support.records import finding

pytestmark = pytest.mark.dates   # the report's date and the deadlines read the suite's today

SAMPLE = {"sample_no": "YP-2026-0042", "lab": "市疾控中心", "tests": "游泳池水 浑浊度、余氯", "photos": []}


@pytest.fixture
def team(make_device, county):
    inspector = make_device(county.inspector)
    inspector.sync()
    return inspector, make_device(county.leader)


def sampled_findings(assignment: dict) -> list[dict]:
    items = assignment["items"]
    return [{**finding(items[0], "pending_lab"), "sample": SAMPLE}] + [finding(i) for i in items[1:]]


def lab_result(record_id: str, sha: str, item_code: str, by: str, outcome: str = "compliant",
               sample_no: str = "YP-2026-0042", action: Rectify | None = None) -> dict:
    return LabResult(uuid7(), record_id, sha, item_code, sample_no, "市疾控中心", dates.today().isoformat(), outcome,
                     by, dates.now_stamp(), report_no="JC-2026-118", note="检验报告", action=action).as_json()


def push(device, doc: dict, key=None) -> httpx.Response:
    text = envelope.sign(doc, envelope.LAB_RESULT_TYPE, key or device.keys.private_key()).decode()
    return device.http.post("/v1/lab-results/batch", json={"envelopes": [text]}, headers=device._auth())


def log_kinds(county, record_id: str) -> list[tuple[str, dict]]:
    rows = server_rows(county.db, "SELECT kind, entry FROM audit_log WHERE subject = ? ORDER BY idx", record_id)
    return [(r["kind"], json.loads(r["entry"])) for r in rows]


def public_doc(server, no: str) -> dict:
    return httpx.get(f"{server.url}/public/results/{no}.json").json()


def test_the_office_enters_a_failed_result_and_the_entry_follows(team, county, server, admin) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[0]
    item = assignment["items"][0]["code"]
    record_id, sha = submit(inspector, county, assignment, findings=sampled_findings(assignment))
    (stored,) = server_rows(county.db, "SELECT category, category_json FROM records WHERE id = ?", record_id)
    assert stored["category"] == "pending_lab"
    assert json.loads(stored["category_json"])["label"] == "待检验结果"
    assert approve(leader, record_id, sha)["status"] == "accepted", "approval does not wait for the lab"
    before = entry_of(county, record_id)
    assert (before["state"], before["category"], before["revision"]) == ("published", "pending_lab", 1)
    due_first = dates.workdays_after(dates.inspection_day(), 20)
    assert before["due_on"] == due_first.isoformat(), "the 20 working days from the inspection still run"
    doc = public_doc(server, before["no"])
    assert doc["category"] == {"code": "pending_lab", "label": "待检验结果"}
    assert doc["handling"]["lab"] == {"samples": 1, "pending": 1, "non_compliant": 0}
    assert "抽样送检 1 份，检验结果待出" in httpx.get(f"{server.url}/public/results/{before['no']}").text

    deadline = dates.days_from_today(30).isoformat()
    response = admin.http.post(f"/v1/admin/results/{before['no']}/lab-results", json={
        "item_code": item, "sample_no": "YP-2026-0042", "lab": "市疾控中心", "report_no": "JC-2026-118",
        "reported_on": dates.today().isoformat(), "outcome": "non_compliant", "rectify_by": deadline})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["category"]["code"] == "rectify" and body["entry"]["category"] == "rectify"
    after = entry_of(county, record_id)
    assert (after["state"], after["category"], after["record_category"], after["revision"]) == \
        ("published", "rectify", "rectify", 2)
    assert after["due_basis"] == "followup" and after["due_on"] == dates.workdays_after(dates.today(), 7).isoformat()
    doc = public_doc(server, after["no"])
    assert doc["category"]["label"] == "发现问题已责令整改"
    assert doc["handling"]["rectify"] == {"deadline": deadline, "status": "pending", "checked_on": None}
    assert doc["handling"]["lab"] == {"samples": 1, "pending": 0, "non_compliant": 1}
    kinds = [kind for kind, _ in log_kinds(county, record_id)]
    assert kinds == ["record.received", "review.approved", "lab.result", "record.category"], kinds
    logged = dict(log_kinds(county, record_id))
    assert logged["lab.result"]["source"] == "office" and logged["lab.result"]["outcome"] == "non_compliant"
    assert (logged["record.category"]["before"], logged["record.category"]["after"]) == ("pending_lab", "rectify")
    published = server_rows(county.db, "SELECT count(*) FROM audit_log WHERE kind = 'disclosure.published'"
                            " AND subject = ?", after["no"])[0][0]
    assert published == 2, "each version of the entry is in the log"
    again = admin.http.post(f"/v1/admin/results/{record_id}/lab-results", json={
        "item_code": item, "sample_no": "YP-2026-0042", "lab": "市疾控中心", "reported_on": dates.today().isoformat(),
        "outcome": "compliant"})
    assert again.status_code == 409 and again.json()["code"] == "lab.result_exists"
    assert envelope.parse(server_rows(county.db, "SELECT envelope FROM records WHERE id = ?", record_id)[0][0]) \
        .document()["findings"][0]["outcome"] == "pending_lab", "the signed record is never rewritten"


def test_the_inspector_enters_a_passed_result_on_the_tablet_before_approval(team, county, server) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[0]
    item = assignment["items"][0]["code"]
    record_id, sha = submit(inspector, county, assignment, findings=sampled_findings(assignment))
    doc = lab_result(record_id, sha, item, county.inspector)
    sign_and_queue(inspector.store, inspector.keys, "lab_result", doc, [], dates.now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}, "the tablet's outbox pushes it like a re-inspection"
    (row,) = inspector.store.outbox_rows_of("lab_result")
    receipt = json.loads(row["receipt"])
    assert row["state"] == "accepted" and receipt["category"]["code"] == "no_problem", receipt
    notices = inspector.store.list_lab_notices()
    assert [(n["record_id"], n["item_code"], n["outcome"]) for n in notices] == [(record_id, item, "compliant")], \
        "the team's tablets hear of the result through the feed"
    assert server_rows(county.db, "SELECT category FROM records WHERE id = ?", record_id)[0][0] == "no_problem"
    assert entry_of(county, record_id) == {}, "nothing is public before approval"
    assert approve(leader, record_id, sha)["status"] == "accepted"
    entry = entry_of(county, record_id)
    assert (entry["category"], entry["revision"]) == ("no_problem", 1)
    assert public_doc(server, entry["no"])["handling"]["lab"] == {"samples": 1, "pending": 0, "non_compliant": 0}
    logged = dict(log_kinds(county, record_id))
    assert logged["lab.result"]["source"] == "device" and logged["lab.result"]["by"] == county.inspector
    assert (logged["record.category"]["before"], logged["record.category"]["after"]) == ("pending_lab", "no_problem")


def test_forged_and_mismatched_results_are_refused_with_a_clear_error(team, county, server, admin, make_device) -> None:
    inspector, _ = team
    assignment = inspector.store.list_assignments()[0]
    item = assignment["items"][0]["code"]
    other_item = assignment["items"][1]["code"]
    record_id, sha = submit(inspector, county, assignment, findings=sampled_findings(assignment))
    stranger = make_device(county.leader)   # enrolled, but not on the record's team
    log_size = server_rows(county.db, "SELECT count(*) FROM audit_log")[0][0]
    cases = [
        (push(inspector, lab_result(record_id, sha, item, county.inspector), key=Ed25519PrivateKey.generate()),
         "key.unknown"),
        (push(inspector, lab_result(record_id, "0" * 64, item, county.inspector)), "lab.record_mismatch"),
        (push(inspector, lab_result(record_id, sha, item, county.inspector, sample_no="YP-OTHER")),
         "lab.sample_mismatch"),
        (push(inspector, lab_result(record_id, sha, other_item, county.inspector)), "lab.not_sampled"),
        (push(inspector, lab_result(uuid7(), sha, item, county.inspector)), "record.unknown"),
        (push(stranger, lab_result(record_id, sha, item, county.leader)), "assignment.not_on_team"),
        (push(inspector, lab_result(record_id, sha, item, county.leader)), "assignment.not_on_team"),
    ]
    for response, code in cases:
        assert response.status_code == 200, response.text
        (receipt,) = response.json()["receipts"]
        assert (receipt["status"], receipt["error"]["code"]) == ("rejected", code), receipt
        assert receipt["error"]["message_zh"]
    forged = json.loads(envelope.sign(lab_result(record_id, sha, item, county.inspector), envelope.LAB_RESULT_TYPE,
                                      inspector.keys.private_key()))
    forged["payload"] = forged["payload"][:-4] + ("AAAA" if not forged["payload"].endswith("AAAA") else "BBBB")
    response = inspector.http.post("/v1/lab-results/batch", json={"envelopes": [json.dumps(forged)]},
                                   headers=inspector._auth())
    assert response.status_code == 200 and response.json()["receipts"][0]["status"] == "rejected"
    bad = admin.http.post(f"/v1/admin/results/{record_id}/lab-results", json={
        "item_code": item, "sample_no": "YP-2026-0042", "lab": "市疾控中心",
        "reported_on": dates.today().isoformat(), "outcome": "non_compliant"})
    assert bad.status_code == 400 and bad.json()["code"] == "lab.action_required"
    wrong_type = admin.http.post(f"/v1/admin/results/{record_id}/lab-results", json={"item_code": 7})
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "request.field_type"
    future = admin.http.post(f"/v1/admin/results/{record_id}/lab-results", json={
        "item_code": item, "sample_no": "YP-2026-0042", "lab": "市疾控中心",
        "reported_on": dates.days_from_today(3).isoformat(), "outcome": "compliant"})
    assert future.status_code == 400 and future.json()["code"] == "lab.in_future"
    assert server_rows(county.db, "SELECT count(*) FROM audit_log")[0][0] == log_size, "nothing refused is logged"
    assert server_rows(county.db, "SELECT category FROM records WHERE id = ?", record_id)[0][0] == "pending_lab"


def test_the_cli_enters_a_result(team, county, server) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[0]
    record_id, sha = submit(inspector, county, assignment, findings=sampled_findings(assignment))
    assert approve(leader, record_id, sha)["status"] == "accepted"
    no = entry_of(county, record_id)["no"]
    cli = [sys.executable, "-m", "sync_server", "lab-result", no, "--db", str(county.db),
           "--item", assignment["items"][0]["code"], "--sample", "YP-2026-0042", "--lab", "市疾控中心",
           "--date", dates.today().isoformat(), "--outcome", "compliant"]
    done = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "已录入样品 YP-2026-0042 的检验结果：合格；检查结果：未发现问题" in done.stdout
    assert entry_of(county, record_id)["category"] == "no_problem"
    twice = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert twice.returncode == 1 and "lab.result_exists" in twice.stderr


def test_the_office_form_lists_the_sample_and_enters_its_result(team, county, server) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[0]
    record_id, sha = submit(inspector, county, assignment, findings=sampled_findings(assignment))
    assert approve(leader, record_id, sha)["status"] == "accepted"
    with httpx.Client(base_url=server.url, timeout=30) as web:
        assert sign_in(web, CLERK).status_code == 303, "a clerk (录入员) enters lab results"
        board = web.get("/office").text
        assert "待检验结果的样品（1）" in board and "样品 YP-2026-0042" in board and assignment["unit"]["name"] in board
        origin = {"Origin": server.url.rstrip("/")}
        form = {"csrf": csrf_of(board), "record_id": record_id, "item_code": assignment["items"][0]["code"],
                "sample_no": "YP-2026-0042", "lab": "市疾控中心", "report_no": "JC-9",
                "reported_on": dates.today().isoformat(), "outcome": "non_compliant", "rectify_by": "", "note": ""}
        refused = web.post("/office/lab-results", data=form, headers=origin)
        assert refused.status_code == 400 and "未录入：检验不合格须填写整改期限" in refused.text
        foreign = web.post("/office/lab-results", data={**form, "outcome": "compliant"},
                           headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        stale = web.post("/office/lab-results", data={**form, "csrf": "x", "outcome": "compliant"}, headers=origin)
        assert stale.status_code == 403
        assert server_rows(county.db, "SELECT count(*) FROM lab_results")[0][0] == 0
        done = web.post("/office/lab-results", data={**form, "outcome": "compliant"}, headers=origin)
        assert done.status_code == 303 and done.headers["location"].startswith("/office?lab=YP-2026-0042")
        board = web.get(done.headers["location"]).text
        assert "已录入样品 YP-2026-0042 的检验结果" in board and "待检验结果的样品（0）" in board
    entry = entry_of(county, record_id)
    assert (entry["category"], entry["revision"]) == ("no_problem", 2)
    (row,) = server_rows(county.db, "SELECT source, by_user FROM lab_results WHERE record_id = ?", record_id)
    assert (row["source"], row["by_user"]) == ("office", f"office:{CLERK}"), "attributed to the signed-in office account"
