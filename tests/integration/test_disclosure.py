"""After approval: the disclosure entry, its publication and verification, follow-ups (penalty,
re-inspection, transfer), provisional deadlines recomputed, the daily batch, and the public
list's search and downloads, all over real HTTP against a real server and SQLite file."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook

from field_app.ids import uuid7
from field_app.photos import PhotoRefused
from schemas import envelope
from schemas.jcs import canonicalize
from sync_server.audit.core import merkle
from tests.integration.conftest import server_rows
from tests.support import dates
from tests.support.photos import jpeg_bytes
from tests.support.records import PIN, finding, queue_record, record
from tests.support.server import ServerProcess

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates


def approve(leader, record_id: str, sha: str) -> dict:
    doc = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": record_id, "record_envelope_sha256": sha,
           "decision": "approve", "reason": "", "leader": leader.keys.credentials()["user"]["id"],
           "decided_at": dates.now_stamp()}
    text = envelope.sign(doc, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    response = leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth())
    return response.json()["receipts"][0]


def reinspect(device, record_id: str, sha: str, outcome: str, inspectors: list[str],
              checked_at: str | None = None, doc_id: str | None = None) -> tuple[dict, str]:
    doc = {"schema": "suijian.reinspection/1", "id": doc_id or uuid7(), "record_id": record_id,
           "record_envelope_sha256": sha, "checked_at": checked_at or dates.now_stamp(), "outcome": outcome, "note": "复查", "photos": [],
           "inspectors": inspectors}
    text = envelope.sign(doc, envelope.REINSPECTION_TYPE, device.keys.private_key()).decode()
    response = device.http.post("/v1/reinspections/batch", json={"envelopes": [text]}, headers=device._auth())
    assert response.status_code == 200, response.text
    return response.json()["receipts"][0], text


def submit(inspector, county, assignment: dict, **kwargs) -> tuple[str, str]:
    doc = record(assignment, [county.inspector], **kwargs)
    queue_record(inspector, doc, [], dates.now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}
    sha = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
    return doc["id"], sha


@pytest.fixture
def team(make_device, county):
    inspector = make_device(county.inspector)
    inspector.sync()
    return inspector, make_device(county.leader)


def entry_of(county, record_id: str) -> dict:
    rows = server_rows(county.db, "SELECT d.*, x.doc FROM disclosures d LEFT JOIN disclosure_docs x ON x.id = d.id"
                       " WHERE d.record_id = ?", record_id)
    return dict(rows[0]) if rows else {}


def test_an_approved_result_is_published_at_once_and_verifies(team, county, server, tmp_path) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[0]
    items = assignment["items"]
    deadline = dates.days_from_today(17).isoformat()
    findings = [finding(items[0], "non_compliant", {"kind": "rectify", "deadline": deadline}, note="台账不全")] + \
        [finding(i) for i in items[1:]]
    record_id, sha = submit(inspector, county, assignment, findings=findings)
    assert entry_of(county, record_id) == {}, "nothing is public before approval"
    assert approve(leader, record_id, sha)["status"] == "accepted"
    entry = entry_of(county, record_id)
    # Inspected three days ago: 20 working days on the official calendar (e.g. 2026-11-20 → 2026-12-18).
    inspected = dates.inspection_day()
    due = dates.workdays_after(inspected, 20)
    assert (entry["state"], entry["category"], entry["inspected_on"], entry["due_on"]) == \
        ("published", "rectify", inspected.isoformat(), due.isoformat())
    assert entry["due_provisional"] == dates.provisional(inspected, due) and entry["revision"] == 1
    notices = server_rows(county.db, "SELECT user_id, doc FROM notices WHERE kind = 'approved'")
    signed_by = record(assignment, [county.inspector])["inspectors"]   # the two officers who signed it
    assert sorted((u, json.loads(d)["record_id"], json.loads(d)["disclosure_no"]) for u, d in notices) == \
        sorted((p, record_id, entry["no"]) for p in signed_by), "each officer's tablet learns of the approval"
    body = httpx.get(f"{server.url}/public/results/{entry['no']}.json").content
    assert hashlib.sha256(body).hexdigest() == entry["doc_sha256"]
    doc = json.loads(body)
    assert canonicalize(doc) == body and doc["record"]["envelope_sha256"] == sha
    assert doc["handling"]["rectify"] == {"deadline": deadline, "status": "pending", "checked_on": None}
    proof = httpx.get(f"{server.url}/public/results/{entry['no']}/proof.json").json()
    logged = json.loads(proof["publication"]["entry"])
    assert logged["doc_sha256"] == entry["doc_sha256"] and logged["kind"] == "disclosure.published"
    leaf = merkle.leaf_hash(proof["publication"]["entry"].encode())
    assert merkle.verify_inclusion(proof["publication"]["index"], proof["checkpoint"]["size"], leaf,
                                   [bytes.fromhex(h) for h in proof["publication"]["proof"]],
                                   bytes.fromhex(proof["checkpoint"]["root"]))
    signed = envelope.parse(proof["checkpoint"]["envelope"].encode())
    envelope.verify(signed, bytes.fromhex(proof["public_key"]))
    proof_file, entry_file = tmp_path / "proof.json", tmp_path / "entry.json"
    proof_file.write_bytes(httpx.get(f"{server.url}/public/results/{entry['no']}/proof.json").content)
    entry_file.write_bytes(body)
    checker = httpx.get(f"{server.url}/public/verify/ssj_check_entry.py").content
    (tmp_path / "ssj_check_entry.py").write_bytes(checker)
    check = [sys.executable, "-I", str(tmp_path / "ssj_check_entry.py"), str(proof_file), str(entry_file)]
    agreed = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert agreed.returncode == 0 and "AGREED / 一致" in agreed.stdout, agreed.stdout + agreed.stderr
    entry_file.write_bytes(body.replace(b'"rectify"', b'"no_problem"', 1))
    differs = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert differs.returncode == 1 and "公示内容的哈希与审计日志不一致" in differs.stdout
    page = httpx.get(f"{server.url}/public/results/{entry['no']}").text
    assert "发现问题已责令整改" in page and "<svg" in page and f"/public/results/{entry['no']}/verify" in page
    names = [m["name"] for m in assignment["team"]]
    assert not any(name in page for name in names), "inspectors' names are never public"


def test_penalty_decision_turns_the_entry_into_a_penalty_within_7_working_days(team, county, server) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[1]
    items = assignment["items"]
    findings = [finding(items[0], "non_compliant", {"kind": "case", "case_no": None})] + [finding(i) for i in items[1:]]
    record_id, sha = submit(inspector, county, assignment, findings=findings)
    approve(leader, record_id, sha)
    entry = entry_of(county, record_id)
    assert entry["category"] == "rectify" and entry["record_category"] == "penalty", "a case without a decision yet"
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {county.admin_token}"}) as office:
        check_penalty_and_transfer(office, county, server, record_id, entry)


def check_penalty_and_transfer(office: httpx.Client, county, server, record_id: str, entry: dict) -> None:
    url = f"/v1/admin/results/{entry['no']}/penalty"
    inspected = dates.inspection_day()
    before = (inspected - timedelta(days=1)).isoformat()
    early = office.post(url, json={"decision_no": "云卫罚〔2026〕88号", "decided_on": before, "amount_fen": 500000})
    assert early.status_code == 400 and early.json()["code"] == "followup.before_inspection"
    assert "早于检查日期" in early.json()["message_zh"]
    bad = office.post(url, json={"decision_no": "云卫罚〔2026〕88号", "decided_on": "2026-13-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "followup.bad_date"
    assert entry_of(county, record_id)["category"] == "rectify", "refusals change nothing"
    future = office.post(url, json={"decision_no": "云卫罚〔2026〕88号", "decided_on": dates.days_from_today(1).isoformat()})
    assert future.status_code == 400, "a decision cannot be dated after today"
    done = office.post(url, json={"decision_no": "云卫罚〔2026〕88号", "decided_on": inspected.isoformat(),
                                  "amount_fen": 500000})
    assert done.status_code == 201, done.text
    entry = entry_of(county, record_id)
    assert (entry["category"], entry["due_basis"], entry["due_from"], entry["due_on"], entry["revision"]) == \
        ("penalty", "penalty_decision", inspected.isoformat(), dates.workdays_after(inspected, 7).isoformat(), 2)
    again = office.post(url, json={"decision_no": "云卫罚〔2026〕89号", "decided_on": inspected.isoformat()})
    assert again.status_code == 409 and again.json()["code"] == "followup.penalty_exists"
    doc = httpx.get(f"{server.url}/public/results/{entry['no']}.json").json()
    assert doc["category"]["label"] == "行政处罚" and doc["handling"]["case"]["decision_no"] == "云卫罚〔2026〕88号"
    transfer = office.post(f"/v1/admin/results/{record_id}/transfers",
                           json={"to_body": "云溪县公安局", "kind": "judicial",
                                 "on": (inspected + timedelta(days=1)).isoformat(), "note": "涉嫌犯罪"})
    assert transfer.status_code == 201, transfer.text
    ledger = office.get("/v1/admin/ledger").json()
    assert any(t["to_body"] == "云溪县公安局" for t in ledger["transfers"])
    pubs = server_rows(county.db, "SELECT revision, due_basis FROM disclosure_publications WHERE disclosure_id = ?"
                       " ORDER BY revision", entry["id"])
    assert [tuple(p) for p in pubs] == [(1, "inspection"), (2, "penalty_decision"), (3, "followup")]
    kinds = [r[0] for r in server_rows(county.db, "SELECT kind FROM audit_log WHERE subject IN (?, ?) ORDER BY idx",
                                       record_id, entry["no"])]
    assert "followup.penalty" in kinds and "followup.transfer" in kinds and kinds.count("disclosure.published") == 3


def test_a_reinspection_from_the_tablet_updates_the_entry(team, county, make_device) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[2]
    items = assignment["items"]
    deadline = dates.days_from_today(2).isoformat()
    findings = [finding(items[0], "non_compliant", {"kind": "rectify", "deadline": deadline})] + \
        [finding(i) for i in items[1:]]
    record_id, sha = submit(inspector, county, assignment, findings=findings)
    early, _ = reinspect(inspector, record_id, sha, "rectified", [county.inspector])
    assert early["status"] == "accepted", "held with a record still in review (test_work_that_fits.py)"
    approve(leader, record_id, sha)
    forged_doc = reinspect(inspector, record_id, sha, "rectified", [county.inspector])[1]
    tampered = json.loads(forged_doc)
    tampered["signatures"][0]["sig"] = tampered["signatures"][0]["sig"][::-1]
    response = inspector.http.post("/v1/reinspections/batch", json={"envelopes": [json.dumps(tampered)]},
                                   headers=inspector._auth())
    assert response.json()["receipts"][0]["error"]["code"].startswith("envelope.")
    entry = entry_of(county, record_id)
    assert json.loads(entry["handling"])["rectify"]["status"] == "met", "the good one was stored"
    duplicate = inspector.http.post("/v1/reinspections/batch", json={"envelopes": [forged_doc]}, headers=inspector._auth())
    assert duplicate.json()["receipts"][0]["status"] == "duplicate"
    outsider = make_device(leader.keys.credentials()["user"]["id"])
    refused, _ = reinspect(outsider, record_id, sha, "rectified", [leader.keys.credentials()["user"]["id"]])
    assert refused["error"]["code"] == "assignment.not_on_team"
    assert len(server_rows(county.db, "SELECT 1 FROM followups WHERE record_id = ?", record_id)) == 2


def test_loading_next_years_notice_recomputes_provisional_due_dates(team, county, tmp_path) -> None:
    inspector, leader = team
    assignment = inspector.store.list_assignments()[3]
    doc = record(assignment, [county.inspector])
    doc["visit"]["arrived_at"] = "2026-12-21T02:00:00Z"
    queue_record(inspector, doc, [], "2026-12-21T10:00:00Z")
    inspector.sync()
    sha = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
    approve(leader, doc["id"], sha)
    entry = entry_of(county, doc["id"])
    assert (entry["due_on"], entry["due_provisional"]) == ("2027-01-18", 1), "2027's notice is not out yet"
    notice = tmp_path / "2027.txt"
    notice.write_text("2027-01-01,休,元旦\n2027-01-04,休,测试假日\n2027-01-05,休,测试假日\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "sync_server", "load-calendar", str(notice), "--db", str(county.db)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    entry = entry_of(county, doc["id"])
    assert (entry["due_on"], entry["due_provisional"]) == ("2027-01-21", 0)   # three days off: 01-01, 01-04, 01-05
    pub = server_rows(county.db, "SELECT due_on, due_provisional FROM disclosure_publications WHERE disclosure_id = ?",
                      entry["id"])[0]
    assert tuple(pub) == ("2027-01-21", 0)   # three days off: 01-01, 01-04, 01-05


def test_search_and_downloads_agree(history_county) -> None:
    proc = ServerProcess(history_county.db).start()
    try:
        get = lambda path, **params: httpx.get(proc.url + path, params=params, timeout=30)  # noqa: E731
        total = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE first_published_on IS NOT NULL"
                            " AND category = 'rectify' AND year = 2026")[0][0]
        page = get("/public/results", year="2026", category="rectify")
        assert page.status_code == 200 and f"共 <strong>{total}</strong> 条" in page.text
        rows = list(csv.reader(io.StringIO(get("/public/results.csv", year="2026", category="rectify").text.lstrip("\ufeff"))))
        assert rows[0][0] == "公示编号" and len(rows) - 1 == total
        assert all(r[7] == "发现问题已责令整改" for r in rows[1:])
        docs = get("/public/results.json", year="2026", category="rectify").json()
        assert len(docs) == total
        stored = dict(server_rows(history_county.db, "SELECT no, doc_sha256 FROM disclosures"))
        assert all(hashlib.sha256(canonicalize(d)).hexdigest() == stored[d["no"]] for d in docs), \
            "every downloaded entry is byte for byte what the log covers"
        sheet = load_workbook(io.BytesIO(get("/public/results.xlsx", category="rectify", year="2026").content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == "公示编号" and len(values) - 1 == total
        assert sorted(v[0] for v in values[1:]) == sorted(d["no"] for d in docs)
        unit = docs[0]["unit"]
        by_name = get("/public/results", q=unit["name"]).text
        by_code = get("/public/results", q=unit["uscc"].lower()).text
        assert unit["name"] in by_name and unit["uscc"] in by_code
        for params, status in [({"q": "' OR 1=1 --"}, 200), ({"q": "%"}, 200), ({"q": "_"}, 200),
                               ({"page": "99999999999"}, 400), ({"page": "0"}, 400), ({"page": "²"}, 400),
                               ({"year": "２０２６"}, 400), ({"category": "x"}, 400), ({"specialty": "'; DROP"}, 400),
                               ({"q": "云" * 51}, 400)]:
            response = get("/public/results", **params)
            assert response.status_code == status, (params, response.status_code)
            assert "服务器内部错误" not in response.text
        injected = get("/public/results", q="' OR 1=1 --")
        assert "共 <strong>0</strong> 条" in injected.text
        literal = get("/public/results", q="%")
        assert "共 <strong>0</strong> 条" in literal.text, "% is a character, not a wildcard"
        beyond = get("/public/results", page="9999")
        assert beyond.status_code == 200 and "没有第 9999 页" in beyond.text
        assert get("/public/results/2026-999999").status_code == 404
        assert get("/public/results.pdf").status_code == 404
    finally:
        proc.stop()


def test_the_daily_batch_publishes_what_is_due_and_the_office_sees_the_rate(history_county) -> None:
    run = lambda *args: subprocess.run([sys.executable, "-m", "sync_server", *args, "--db", str(history_county.db)],  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    waiting = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE state = 'due'")[0][0]
    assert waiting > 0, "the demo history leaves some approved results for the daily batch"
    status = run("disclosures")
    assert status.returncode == 0 and "公示率" in status.stdout and "逾期" in status.stdout
    published = run("publish")
    assert published.returncode == 0, published.stderr
    assert f"已公示 {waiting} 条" in published.stdout
    reminded = server_rows(history_county.db, "SELECT user_id, doc FROM notices WHERE kind = 'reminder'")
    assert reminded and f"发送整改期限提醒 {len({json.loads(d)['record_id'] for _, d in reminded})} 条" in published.stdout
    team = {r[0] for r in server_rows(history_county.db, "SELECT user_id FROM assignment_team WHERE assignment_id = ?",
                                      json.loads(reminded[0][1])["assignment_id"])}
    assert {u for u, d in reminded if d == reminded[0][1]} == team, "every team member is reminded, through the feed"
    assert server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE state = 'due'")[0][0] == 0
    again = run("publish").stdout
    assert "已公示 0 条" in again and "发送整改期限提醒 0 条" in again, "a second batch does nothing twice"
    ledger = run("ledger")
    assert ledger.returncode == 0 and "后续处置台账" in ledger.stdout


def test_the_demo_history_has_every_category_and_follow_up(history_county) -> None:
    categories = {r[0] for r in server_rows(history_county.db, "SELECT DISTINCT category FROM disclosures")}
    assert categories == {"no_problem", "rectify", "penalty", "unreachable"}
    kinds = {r[0] for r in server_rows(history_county.db, "SELECT DISTINCT kind FROM followups")}
    assert kinds == {"reinspection", "penalty", "transfer"}
    late = server_rows(history_county.db, "SELECT count(*) FROM disclosure_publications WHERE late_days > 0")[0][0]
    assert late > 0



def test_the_demo_leader_has_records_with_photos_to_review(history_county) -> None:
    waiting = server_rows(history_county.db, "SELECT r.id, r.category, r.assignment_id, count(rp.sha256) AS photos"
                          " FROM records r JOIN record_photos rp ON rp.record_id = r.id"
                          " WHERE r.review_state = 'in_review' GROUP BY r.id")
    assert {w["category"] for w in waiting} == {"no_problem", "rectify", "penalty", "unreachable"}
    assert all(w["photos"] >= 1 for w in waiting)
    for w in waiting:  # four eyes: the demo leader may decide every one of them
        team = [r[0] for r in server_rows(history_county.db, "SELECT user_id FROM assignment_team"
                                                             " WHERE assignment_id = ?", w["assignment_id"])]
        assert history_county.leader not in team
    stored = {r[0] for r in server_rows(history_county.db, "SELECT sha256 FROM photos")}
    linked = {r[0] for r in server_rows(history_county.db, "SELECT sha256 FROM record_photos")}
    assert linked <= stored, "every photo a record names is on the server"


def test_in_daily_mode_an_approved_result_waits_for_the_batch(team, county, server) -> None:
    inspector, leader = team
    cli = lambda *args: subprocess.run([sys.executable, "-m", "sync_server", *args, "--db", str(county.db)],  # noqa: E731
                                       capture_output=True, text=True, timeout=60)
    switched = cli("publish", "--mode", "daily")
    assert switched.returncode == 0 and "每日批量公示" in switched.stdout
    record_id, sha = submit(inspector, county, inspector.store.list_assignments()[4])
    assert approve(leader, record_id, sha)["status"] == "accepted"
    entry = entry_of(county, record_id)
    assert entry["state"] == "due" and entry["doc"] is None
    assert httpx.get(f"{server.url}/public/results/{entry['no']}").status_code == 404, "not public before the batch"
    assert "已公示 1 条" in cli("publish").stdout
    assert entry_of(county, record_id)["state"] == "published"
    assert httpx.get(f"{server.url}/public/results/{entry['no']}").status_code == 200


def test_a_reminder_reaches_the_tablet_and_its_reinspection_updates_the_entry(team, county, server, admin,
                                                                               tmp_path) -> None:
    from field_app.app_state import AppState, Settings

    inspector, leader = team
    assignment = inspector.store.list_assignments()[5]
    items = assignment["items"]
    deadline = dates.days_from_today(2).isoformat()   # within the 3 working days that trigger a reminder
    findings = [finding(items[0], "non_compliant", {"kind": "rectify", "deadline": deadline}, note="消毒记录缺失")] + \
        [finding(i) for i in items[1:]]
    record_id, sha = submit(inspector, county, assignment, findings=findings)
    approve(leader, record_id, sha)
    batch = subprocess.run([sys.executable, "-m", "sync_server", "publish", "--db", str(county.db)],
                           capture_output=True, text=True, timeout=60)
    assert "发送整改期限提醒 1 条" in batch.stdout, batch.stdout
    tablet = AppState(Settings(tmp_path / "tablet", server.url, 0))
    try:
        assert tablet.session.enroll(server.url, admin.code_for(county.inspector), PIN, PIN) is None
        tablet.syncing.now()
        (due,) = tablet.reinspections.due()
        assert (due.record_id, due.unit_name, due.deadline) == (record_id, assignment["unit"]["name"], deadline)
        assert tablet.reinspections.answer(due, "not_rectified", " ") == "复查未整改时请写明情况"
        tablet.reinspections.edit_note(record_id, "已补建消毒记录")
        photo = tablet.reinspections.add_photo(record_id, jpeg_bytes(31))
        with pytest.raises(PhotoRefused):
            tablet.reinspections.add_photo(record_id, b"not a photo")
    finally:
        tablet.close()
    tablet = AppState(Settings(tmp_path / "tablet", server.url, 0))  # the app was closed: the draft is kept
    try:
        assert tablet.reinspections.draft(record_id) == {"note": "已补建消毒记录", "photos": [photo]}
        (due,) = tablet.reinspections.due()
        assert tablet.reinspections.answer(due, "rectified") is None
        assert tablet.reinspections.due() == [], "answered on this device: off the to-do list at once"
        assert tablet.reinspections.draft(record_id) == {"note": "", "photos": []}, "the draft is retired"
        tablet.syncing.now()
        lines = [line for line in tablet.outbox_lines() if line.kind == "reinspection"]
        assert [(line.unit_name, line.state, line.state_zh[:4]) for line in lines] == [(assignment["unit"]["name"], "accepted", "复查已整")]
    finally:
        tablet.close()
    handling = json.loads(entry_of(county, record_id)["handling"])
    assert handling["rectify"]["status"] == "met"
    (stored,) = server_rows(county.db, "SELECT doc FROM followups WHERE record_id = ? AND kind = 'reinspection'",
                            record_id)
    assert json.loads(stored["doc"])["photos"] == [photo] and json.loads(stored["doc"])["note"] == "已补建消毒记录"
    assert server_rows(county.db, "SELECT record_id FROM record_photos WHERE sha256 = ?", photo)[0][0] == record_id
    assert server_rows(county.db, "SELECT 1 FROM photos WHERE sha256 = ?", photo), "the photo went up before it"
