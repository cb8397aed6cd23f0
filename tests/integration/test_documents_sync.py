"""The PDF handed over on site travels with its record: made and hashed into the record on the
inspector's tablet (the real visit flow), uploaded before the record, checked against that hash
by the server and kept; the record's team, the reviewing leader (whose tablet downloads it with
the queue) and the office open it, nobody else does; altered, foreign, truncated and huge uploads
are refused with their own errors; the QR code's address leads to the record's public entry."""
from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from field_app.device_clock import DeviceClock
from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from field_app.photos import PhotoFiles
from field_app.visit import Visit
from schemas import envelope
from sync_server.blobs.local import path_for
from tests.integration.conftest import server_rows, team_of
from tests.support import pdf_text
from tests.support.records import officer_key, record
from tests.support.office import ADMIN, PASSWORD

CLOCK = DeviceClock(stamp=lambda: "2026-11-20T01:30:00Z", local_stamp=lambda: "2026-11-20T09:40:00+08:00")


def inspected_visit(device, tmp_path, server_url: str) -> tuple[dict, dict]:
    """The inspector's visit through the app's own Visit: one problem, the party signs on the pad."""
    device.sync()
    device.store.set_meta("server_url", server_url)
    files = PhotoFiles(tmp_path / "inspector-photos")
    device.files = files
    assignment = device.store.list_assignments()[0]
    me = device.keys.credentials()["user"]["id"]
    visit = Visit.open(device.store, device.keys, files, assignment["id"], me, CLOCK)
    for n, (item, _) in enumerate(visit.items()):
        visit.set_outcome(f"{item['task_id']}/{item['code']}", "non_compliant" if n == 0 else "compliant")
    visit.sign([[(10, 10), (80, 40), (150, 20)]], (300, 100), "王芳")
    mate = next(m["id"] for m in assignment["team"] if m["id"] != me)
    done = visit.submit({person: officer_key(device, person) for person in (me, mate)})
    doc = envelope.parse(device.store.envelope_of(done.record_id).encode()).document()
    return assignment, doc


@pytest.fixture
def synced(make_device, county, server, tmp_path):
    inspector = make_device(county.inspector)
    assignment, doc = inspected_visit(inspector, tmp_path, server.url)
    result = inspector.sync()
    assert result.receipts == {"accepted": 1} and result.photo_errors == []
    return inspector, assignment, doc


def get(device, sha: str) -> httpx.Response:
    return device.http.get(f"/v1/documents/{sha}", headers=device._auth())


def put(device, sha: str, data: bytes) -> httpx.Response:
    return device.http.put(f"/v1/documents/{sha}", content=data, headers=device._auth())


def test_the_pdf_syncs_with_its_record_and_the_server_keeps_exactly_those_bytes(synced, county, tmp_path) -> None:
    inspector, assignment, doc = synced
    sha = doc["documents"]["pdf"]
    assert doc["documents"]["kinds"] == ["site_record", "opinion"]
    kept = path_for(county.db.with_name(county.db.stem + "-photos"), sha).read_bytes()
    assert hashlib.sha256(kept).hexdigest() == sha == hashlib.sha256(inspector.files.document(sha)).hexdigest()
    (row,) = server_rows(county.db, "SELECT media_type, bytes FROM photos WHERE sha256 = ?", sha)
    assert tuple(row) == ("application/pdf", len(kept))
    (state,) = server_rows(county.db, "SELECT state FROM records WHERE id = ?", doc["id"])
    assert state[0] == "received"
    text = re.sub(r"\s+", "", "".join(pdf_text.pages(kept)))
    assert assignment["unit"]["name"].replace(" ", "") in text and "当事人（签名）：王芳" in text
    assert f"/public/records/{doc['id']}" in text


def test_the_team_the_leader_and_the_office_open_it_and_a_stranger_cannot(synced, make_device, county, server,
                                                                           tmp_path) -> None:
    inspector, assignment, doc = synced
    sha = doc["documents"]["pdf"]
    data = inspector.files.document(sha)
    leader = make_device(county.leader)
    leader.files = PhotoFiles(tmp_path / "leader-photos")
    result = leader.sync()
    assert result.error is None and result.download_errors == []
    assert leader.files.document(sha) == data, "the leader's tablet keeps the PDF with the queue"
    for device in (inspector, leader):
        answer = get(device, sha)
        assert answer.status_code == 200 and answer.content == data
        assert answer.headers["content-type"] == "application/pdf"
    stranger_id = server_rows(county.db, "SELECT id FROM users WHERE role = 'inspector' AND id NOT IN"
                              " (SELECT user_id FROM assignment_team WHERE assignment_id = ?) ORDER BY id LIMIT 1",
                              assignment["id"])[0][0]
    stranger = make_device(stranger_id)
    refused, unknown = get(stranger, sha), get(stranger, "0" * 64)
    assert refused.status_code == unknown.status_code == 404 and refused.json() == unknown.json()
    assert refused.json()["code"] == "document.unknown"
    assert leader.http.get(f"/v1/documents/{sha}").status_code == 401
    assert get(inspector, sha.replace(sha[0], "X")).json()["code"] == "photo.bad_hash"
    assert inspector.http.get(f"/v1/photos/{sha}", headers=inspector._auth()).status_code == 404, "not a photo"

    with httpx.Client(base_url=server.url, timeout=30) as web:
        assert web.get("/office/results/2026-000001/document.pdf").headers["location"].startswith("/office/login")
        decide(leader, doc, county)
        no = server_rows(county.db, "SELECT no FROM disclosures WHERE record_id = ?", doc["id"])[0][0]
        form = web.get("/office/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        web.post("/office/login", data={"username": ADMIN, "password": PASSWORD, "csrf": csrf},
                 headers={"Origin": server.url})
        page = web.get("/office")
        assert f'href="/office/results/{no}/document.pdf"' in page.text, "the ledger line links the PDF"
        opened = web.get(f"/office/results/{no}/document.pdf")
        assert opened.status_code == 200 and opened.content == data
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.headers["content-disposition"].startswith("attachment;")
        assert web.get("/office/results/2099-999999/document.pdf").status_code == 404


def decide(leader, doc: dict, county) -> None:
    stored = server_rows(county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0][0]
    decision = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": doc["id"],
                "record_envelope_sha256": stored, "decision": "approve", "reason": "",
                "leader": leader.keys.credentials()["user"]["id"], "decided_at": "2026-11-21T10:00:00Z"}
    text = envelope.sign(decision, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    answer = leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth())
    assert answer.json()["receipts"][0]["status"] == "accepted", answer.text


def test_the_qr_address_leads_to_the_public_entry_once_published(synced, make_device, county, server) -> None:
    _, _, doc = synced
    with httpx.Client(base_url=server.url, timeout=30) as web:
        waiting = web.get(f"/public/records/{doc['id']}")
        assert waiting.status_code == 404 and "尚未公示" in waiting.text
        assert web.get("/public/records/not-a-record").status_code == 404
        decide(make_device(county.leader), doc, county)
        no = server_rows(county.db, "SELECT no FROM disclosures WHERE record_id = ?", doc["id"])[0][0]
        published = web.get(f"/public/records/{doc['id']}")
        assert published.status_code == 303 and published.headers["location"].endswith(f"/public/results/{no}/verify")
        assert web.get(published.headers["location"]).status_code == 200


def test_altered_foreign_truncated_and_huge_uploads_are_refused(make_device, county, server, tmp_path) -> None:
    inspector = make_device(county.inspector)
    assignment, doc = inspected_visit(inspector, tmp_path, server.url)
    sha = doc["documents"]["pdf"]
    data = inspector.files.document(sha)
    tampered = data[:-40] + b"X" + data[-39:]   # one byte changed
    refused = put(inspector, sha, tampered)
    assert refused.status_code == 400 and refused.json()["code"] == "document.hash_mismatch"
    assert "不符" in refused.json()["message_zh"]
    html = b"<html>not a pdf</html>"
    assert put(inspector, hashlib.sha256(html).hexdigest(), html).json()["code"] == "document.not_pdf"
    cut = data[: len(data) // 2]
    assert put(inspector, hashlib.sha256(cut).hexdigest(), cut).json()["code"] == "document.corrupt"
    huge = b"%PDF-1.4\n" + b"0" * (4 * 1024 * 1024) + b"\n%%EOF\n"
    too_large = put(inspector, hashlib.sha256(huge).hexdigest(), huge)
    assert too_large.status_code == 413 and too_large.json()["code"] == "document.too_large"
    assert server_rows(county.db, "SELECT COUNT(*) FROM photos WHERE media_type = 'application/pdf'")[0][0] == 0

    # The record waits for its PDF (incomplete) and is complete once the right bytes arrive.
    raw = inspector.store.envelope_of(doc["id"]).encode()
    answer = inspector.http.post("/v1/records/batch", json={"envelopes": [raw.decode()]}, headers=inspector._auth())
    (receipt,) = answer.json()["receipts"]
    assert receipt["status"] == "incomplete" and sha in receipt["missing_photos"]
    assert server_rows(county.db, "SELECT state FROM records WHERE id = ?", doc["id"])[0][0] == "incomplete"
    assert put(inspector, sha, data).status_code == 201
    waiting = server_rows(county.db, "SELECT sha256 FROM record_missing_photos WHERE record_id = ?", doc["id"])
    assert [r[0] for r in waiting] == [doc["party"]["signature_photo"]], "only the pad's PNG is still missing"
    assert inspector.sync().error is None
    assert server_rows(county.db, "SELECT state FROM records WHERE id = ?", doc["id"])[0][0] == "received"
    assert county.inspector in team_of(county.db, assignment["id"])
