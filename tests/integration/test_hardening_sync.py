"""The sync never stalls: what used to turn a good push into a 500, or a refusal into a receipt.

Each test runs a real server process on a real SQLite file and talks real HTTP to it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import clock, envelope
from schemas.jcs import canonicalize
from tests.integration.conftest import FAST_RETRY, Admin, server_rows, team_of
from tests.integration.test_kill9 import children_of
from tests.integration.test_review_loop import decision
from tests.support.disk import fill
from tests.support.photos import jpeg_bytes
from tests.support.records import finding, officer_key, queue_record, record, sign_record
from tests.support.server import ServerProcess

BATCH = 20               # at least ingest.PARALLEL_FROM: the batch is checked on the worker processes
IDLE = 12                # longer than anyio's worker-thread idle time (10 s)


def now_stamp() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_records(device, inspector: str, n: int) -> list[str]:
    assignments = device.store.list_assignments()
    return [sign_record(device, record(assignments[i % len(assignments)], [inspector])).decode() for i in range(n)]


def post_batch(url: str, device, texts: list[str]) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as http:   # one client per thread
        return http.post("/v1/records/batch", json={"envelopes": texts}, headers=device._auth())


def pool_workers(server_pid: int) -> set[int]:
    """The server's envelope-checking processes (not multiprocessing's resource tracker)."""
    found = set()
    for pid in children_of(server_pid):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
        except FileNotFoundError:
            pass
    return found


def wait_gone(pid: int) -> None:
    """Until the killed process is dead (gone, or a zombie waiting for its parent)."""
    while True:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)


@pytest.fixture
def inspector(make_device, county):
    device = make_device(county.inspector)
    device.sync()
    return device


# --- 1. the envelope-checking pool -----------------------------------------------------------------

def test_pool_survives_idle_request_threads(inspector, county, server) -> None:
    texts = signed_records(inspector, county.inspector, 20 * BATCH)
    batches = [texts[i:i + BATCH] for i in range(0, 18 * BATCH, BATCH)]
    with ThreadPoolExecutor(6) as threads:   # six tablets, three batches each, at once
        answers = list(threads.map(lambda batch: post_batch(server.url, inspector, batch), batches))
    assert [a.status_code for a in answers] == [200] * 18, answers[0].text
    workers = pool_workers(server.proc.pid)
    assert workers, "batches of 20 are checked on the worker processes"
    time.sleep(IDLE)   # the request threads that spawned the workers are retired after 10 s idle
    for batch in (texts[18 * BATCH:19 * BATCH], texts[19 * BATCH:]):
        answer = post_batch(server.url, inspector, batch)
        assert answer.status_code == 200, answer.text
        assert {r["status"] for r in answer.json()["receipts"]} == {"accepted"}
    assert workers <= pool_workers(server.proc.pid), "the same workers, not killed with the retired threads"


def test_a_killed_pool_worker_is_replaced(inspector, county, server) -> None:
    texts = signed_records(inspector, county.inspector, 3 * BATCH)
    assert post_batch(server.url, inspector, texts[:BATCH]).status_code == 200
    before = pool_workers(server.proc.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_gone(victim)
    for batch in (texts[BATCH:2 * BATCH], texts[2 * BATCH:]):
        answer = post_batch(server.url, inspector, batch)
        assert answer.status_code == 200, answer.text
        assert {r["status"] for r in answer.json()["receipts"]} == {"accepted"}
    after = pool_workers(server.proc.pid)
    assert after and victim not in after, "a fresh pool checks the batches that follow"


# --- 2. one bad record, one rejected receipt ------------------------------------------------------

LONE = "LONE-SURROGATE-HERE"


def with_lone_surrogate(doc: dict) -> bytes:
    """Canonical bytes, then one string's text swapped for the JSON escape of a lone surrogate."""
    return canonicalize(doc).replace(LONE.encode(), b"\\ud800")


def sign_raw(payload: bytes, payload_type: str, *keys) -> str:
    return json.dumps({"payloadType": payload_type, "payload": base64.b64encode(payload).decode(),
                       "signatures": [{"keyid": envelope.keyid_of(envelope.public_raw_of(key)),
                                       "sig": base64.b64encode(key.sign(envelope.pae(payload_type, payload))).decode()}
                                      for key in keys]})


def assert_lone_surrogate(receipt: dict) -> None:
    assert receipt["status"] == "rejected", receipt
    assert receipt["error"]["code"] == "json.lone_surrogate" and receipt["error"]["message_zh"]


def test_a_lone_surrogate_is_refused_alone(inspector, county, server) -> None:
    first, second = signed_records(inspector, county.inspector, 2)
    doc = record(inspector.store.list_assignments()[0], [county.inspector])
    doc["findings"][0]["note"] = LONE
    bad = sign_raw(with_lone_surrogate(doc), envelope.RECORD_TYPE,
                   *[officer_key(inspector, person) for person in doc["inspectors"]])
    body = json.dumps({"envelopes": [first, bad, "\ud800", second]})   # the third: not even UTF-8
    answer = inspector.http.post("/v1/records/batch", content=body, headers=inspector._auth())
    assert answer.status_code == 200, answer.text
    receipts = answer.json()["receipts"]
    assert [r["status"] for r in receipts] == ["accepted", "rejected", "rejected", "accepted"]
    assert_lone_surrogate(receipts[1])
    single = inspector.http.put(f"/v1/records/{doc['id']}", content=bad, headers=inspector._auth())
    assert single.status_code == 400, single.text
    assert single.json()["code"] == "json.lone_surrogate"
    assert server_rows(county.db, "SELECT count(*) AS n FROM records")[0]["n"] == 2


def test_lone_surrogates_in_reviews_and_reinspections(inspector, make_device, county, server) -> None:
    doc = record(inspector.store.list_assignments()[0], [county.inspector])
    queue_record(inspector, doc, [], now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}
    leader = make_device(county.leader)
    stored = {"id": doc["id"], "envelope_sha256": server_rows(
        county.db, "SELECT envelope_sha256 FROM records WHERE id = ?", doc["id"])[0]["envelope_sha256"]}
    key = leader.keys.private_key()
    bad = sign_raw(with_lone_surrogate(decision(leader, stored, "return", LONE)), envelope.REVIEW_TYPE, key)
    good = envelope.sign(decision(leader, stored, "return", "照片不清晰"), envelope.REVIEW_TYPE, key).decode()
    answer = leader.http.post("/v1/reviews/batch", json={"envelopes": [bad, good]}, headers=leader._auth())
    assert answer.status_code == 200, answer.text
    refused, accepted = answer.json()["receipts"]
    assert_lone_surrogate(refused)
    assert accepted["status"] == "accepted"

    key = inspector.keys.private_key()
    texts = [sign_raw(with_lone_surrogate({"schema": "suijian.reinspection/1", "id": uuid7(), "note": LONE}),
                      envelope.REINSPECTION_TYPE, key),
             envelope.sign({"schema": "nonsense"}, envelope.REINSPECTION_TYPE, key).decode()]
    answer = inspector.http.post("/v1/reinspections/batch", json={"envelopes": texts}, headers=inspector._auth())
    assert answer.status_code == 200, answer.text
    refused, other = answer.json()["receipts"]
    assert_lone_surrogate(refused)
    assert other["status"] == "rejected" and other["error"]["code"] == "schema.invalid"


# --- 5. authorization before the duplicate check --------------------------------------------------

def stranger_to(county, assignment_id: str, role: str) -> str:
    team = set(team_of(county.db, assignment_id)) | {county.leader}
    rows = server_rows(county.db, "SELECT id FROM users WHERE role = ? ORDER BY id", role)
    return next(r["id"] for r in rows if r["id"] not in team)


def push(device, path: str, *texts: str) -> list[dict]:
    answer = device.http.post(path, json={"envelopes": list(texts)}, headers=device._auth())
    assert answer.status_code == 200, answer.text
    return answer.json()["receipts"]


def assert_refused_like(again: dict, stranger: dict, code: str) -> None:
    assert stranger["status"] == "rejected" and stranger["error"]["code"] == code, stranger
    assert again["status"] == "rejected" and again["error"] == stranger["error"], again
    assert "log_index" not in again and "category" not in again and "received_at" not in again


def test_a_stored_envelope_pushed_by_a_stranger_gets_a_strangers_answer(inspector, make_device, county, server) -> None:
    assignment = inspector.store.list_assignments()[0]
    items = assignment["items"]
    doc = record(assignment, [county.inspector], findings=[finding(items[0], "non_compliant")] +
                 [finding(i) for i in items[1:]])
    signed = sign_record(inspector, doc).decode()
    (mine,) = push(inspector, "/v1/records/batch", signed)
    assert mine["status"] == "accepted"

    b_id = stranger_to(county, assignment["id"], "inspector")
    b = make_device(b_id)
    own = sign_record(b, record(assignment, [b_id, county.inspector])).decode()
    again, stranger = push(b, "/v1/records/batch", signed, own)
    assert_refused_like(again, stranger, "assignment.not_on_team")
    single = b.http.put(f"/v1/records/{doc['id']}", content=signed, headers=b._auth())
    assert single.status_code == 403 and single.json()["code"] == "assignment.not_on_team", single.text
    mate = make_device(next(p for p in team_of(county.db, assignment["id"]) if p != county.inspector))
    for device in (inspector, mate):   # the team still gets its receipt back on a retry
        (dup,) = push(device, "/v1/records/batch", signed)
        assert dup["status"] == "duplicate" and dup["log_index"] == mine["log_index"]

    leader = make_device(county.leader)
    stored = {"id": doc["id"], "envelope_sha256": mine["envelope_sha256"]}
    approval = envelope.sign(decision(leader, stored, "approve"), envelope.REVIEW_TYPE, leader.keys.private_key())
    assert push(leader, "/v1/reviews/batch", approval.decode())[0]["status"] == "accepted"
    other = make_device(stranger_to(county, assignment["id"], "leader"))
    theirs = envelope.sign(decision(leader, stored, "approve"), envelope.REVIEW_TYPE, leader.keys.private_key())
    again, stranger = push(other, "/v1/reviews/batch", approval.decode(), theirs.decode())
    assert_refused_like(again, stranger, "review.not_leader")
    assert push(leader, "/v1/reviews/batch", approval.decode())[0]["status"] == "duplicate"

    check = {"schema": "suijian.reinspection/1", "id": uuid7(), "record_id": doc["id"],
             "record_envelope_sha256": mine["envelope_sha256"], "checked_at": now_stamp(),
             "outcome": "rectified", "note": "已整改", "photos": [], "inspectors": [county.inspector]}
    followup = envelope.sign(check, envelope.REINSPECTION_TYPE, inspector.keys.private_key()).decode()
    assert push(inspector, "/v1/reinspections/batch", followup)[0]["status"] == "accepted"
    own = envelope.sign({**check, "id": uuid7(), "inspectors": [b_id]}, envelope.REINSPECTION_TYPE,
                        b.keys.private_key()).decode()
    again, stranger = push(b, "/v1/reinspections/batch", followup, own)
    assert_refused_like(again, stranger, "assignment.not_on_team")
    assert push(inspector, "/v1/reinspections/batch", followup)[0]["status"] == "duplicate"


# --- 4. numbers in paths and queries ---------------------------------------------------------------

HUGE = "99999999999999999999"     # beyond SQLite's 64-bit integers


def assert_bad(answer: httpx.Response, code: str = "request.bad_parameter") -> None:
    assert answer.status_code == 400, (answer.request.url, answer.text)
    body = answer.json()
    assert body["code"] == code and body["message_zh"], body


def test_out_of_range_numbers_are_400s(inspector, make_device, county, server) -> None:
    size = httpx.get(f"{server.url}/v1/log/head").json()["size"]
    assert size > 0
    for path in (f"/v1/log/proof/{HUGE}", f"/v1/log/proof/0?size={HUGE}", "/v1/log/proof/²", "/v1/log/proof/0?size=²",
                 f"/v1/log/proof/{'9' * 5000}", "/v1/log/proof/-1", "/v1/log/proof/0?size=-1"):
        assert_bad(httpx.get(server.url + path))
    assert_bad(httpx.get(f"{server.url}/v1/log/proof/0", params={"size": size + 1000}), "log.bad_range")
    assert httpx.get(f"{server.url}/v1/log/proof/0", params={"size": size}).json()["size"] == size
    assert httpx.get(f"{server.url}/v1/log/proof/{size - 1}").status_code == 200
    assert httpx.get(f"{server.url}/v1/log/proof/{size}").status_code == 404, "no entry there yet"

    leader = make_device(county.leader)
    for device, path, name in ((inspector, "/v1/feed", "cursor"), (inspector, "/v1/feed", "limit"),
                               (leader, "/v1/reviews/queue", "limit")):
        for raw in (HUGE, "²", "٣", "9" * 5000, "-1", "1.5"):
            assert_bad(device.http.get(path, params={name: raw}, headers=device._auth()))
    year = clock.beijing_today().year
    for path in (f"/public/results?page={HUGE}", "/public/results?page=²", f"/public/items?version={HUGE}",
                 f"/public/plans/{HUGE}", "/public/plans/２０２６", f"/public/reports/{HUGE}",
                 f"/public/reports/{year}?half=²"):
        assert httpx.get(server.url + path).status_code in (400, 404), path   # the public pages' own refusals


# --- 3. a full disk is an answer ------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 4 MiB file system (tmpfs) for the server's database and photos."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"this test needs a small tmpfs: `mount -t tmpfs` failed (run the suite as root, with mounts "
                    f"permitted): {mounted.stderr.strip() or mounted.returncode}")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def put_photo(device, data: bytes) -> httpx.Response:
    return device.http.put(f"/v1/photos/{hashlib.sha256(data).hexdigest()}", content=data, headers=device._auth())


def assert_full(answer: httpx.Response) -> None:
    assert answer.status_code == 507, answer.text
    body = answer.json()
    assert body["code"] == "storage.full" and "存储空间已满" in body["message_zh"], body


@pytest.mark.sqlite_only
def test_a_full_disk_is_an_answer_and_nothing_is_lost(county_template, small_disk: Path, tmp_path: Path) -> None:
    """sqlite_only: the database file and the photos share one small disk here, and SQLite's
    SQLITE_FULL is what is mapped to the 507. On PostgreSQL the database lives in the server's
    own data directory: filling it would take a cluster of its own on a small disk, per test (the
    run's cluster is shared); its disk_full (53100) is mapped to the same 507 in
    sync_server/db/postgres.py and checked by the engine's own test of a really full tablespace
    (tests/integration/test_pg_engine.py)."""
    db = small_disk / "server.db"
    shutil.copy(county_template.db, db)
    server = ServerProcess(db, env={"SUIJIAN_PHOTO_DIR": str(small_disk / "photos")})
    server.log = tmp_path / "server.log"          # the log is not on the full disk
    server.start()
    home = tmp_path / "tablet"
    device = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
    admin = Admin(server.url, county_template.admin_token)
    device.code_for = admin.code_for
    try:
        device.enroll(admin.code_for(county_template.inspector), "tablet")
        device.sync()
        texts = signed_records(device, county_template.inspector, 3 + 2 * BATCH)
        earlier = post_batch(server.url, device, texts[:3]).json()["receipts"]
        assert {r["status"] for r in earlier} == {"accepted"}
        assert put_photo(device, jpeg_bytes(1)).status_code == 201

        filler = small_disk / "filler"
        fill(filler)
        photo, batch, single = jpeg_bytes(2), texts[3:3 + 2 * BATCH - 1], texts[-1]
        single_id = envelope.parse(single.encode()).document()["id"]
        assert_full(put_photo(device, photo))
        assert_full(post_batch(server.url, device, batch))
        assert_full(device.http.put(f"/v1/records/{single_id}", content=single, headers=device._auth()))
        assert httpx.get(f"{server.url}/healthz").status_code == 200, "the server is still up"
        assert [p.name for p in (small_disk / "photos").rglob("*") if p.is_file()] == \
            [hashlib.sha256(jpeg_bytes(1)).hexdigest()], "a photo write that failed leaves nothing behind"

        filler.unlink()
        assert put_photo(device, photo).status_code == 201
        answer = post_batch(server.url, device, batch)
        assert answer.status_code == 200 and {r["status"] for r in answer.json()["receipts"]} == {"accepted"}
        assert device.http.put(f"/v1/records/{single_id}", content=single, headers=device._auth()).status_code == 201
        for receipt in earlier:
            again = device.http.get(f"/v1/records/{receipt['id']}/receipt", headers=device._auth()).json()
            assert again["log_index"] == receipt["log_index"], "acknowledged before the disk filled, still there"
    finally:
        device.close()
        device.store.close()
        admin.http.close()
        server.stop()
    assert server_rows(db, "SELECT count(*) AS n FROM records")[0]["n"] == 3 + 2 * BATCH
    assert server_rows(db, "SELECT count(*) AS n FROM photos")[0]["n"] == 2
