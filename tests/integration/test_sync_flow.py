"""The happy path and its retries, end to end: enroll, pull, capture offline, sync, receipt."""
from __future__ import annotations

from pathlib import Path

from field_app.outbox import record_photos
from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from tests.integration.conftest import FAST_RETRY, server_rows
from tests.support.photos import jpeg_bytes, save_photo
from tests.support.records import finding, officer_key, queue_record, record
from tests.support.server import ServerProcess, free_port


def first_assignment(client: SyncClient) -> dict:
    assert client.sync().pulled > 0
    return client.store.list_assignments()[0]


def test_enroll_and_pull_only_my_assignments(make_device, county) -> None:
    client = make_device(county.inspector)
    result = client.sync()
    assert not result.offline and result.error is None
    mine = client.store.list_assignments()
    assert len(mine) >= 10
    assert all(county.inspector in [m["id"] for m in a["team"]] for a in mine)
    expected = server_rows(county.db, "SELECT count(*) AS n FROM assignment_team WHERE user_id = ?", county.inspector)
    assert len(mine) == expected[0]["n"]
    assert client.sync().pulled == 0, "a second pull starts from the saved cursor"


def test_feed_pages_with_a_cursor(make_device, county) -> None:
    client = make_device(county.inspector)
    seen, cursor = [], "0"
    while True:
        page = client.http.get("/v1/feed", params={"cursor": cursor, "limit": 3}, headers=client._auth()).json()
        seen += [item["data"]["id"] for item in page["items"]]
        assert len(page["items"]) <= 3
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert len(seen) == len(set(seen)) >= 10


def test_offline_capture_then_sync_gives_a_receipt(county, server, admin, tmp_path: Path) -> None:
    home = tmp_path / "tablet"
    online = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
    online.code_for = admin.code_for
    online.enroll(admin.code_for(county.inspector), "平板一号")
    assignment = first_assignment(online)
    team = record(assignment, [county.inspector])["inspectors"]
    for officer in team:   # both officers register their signing keys before going out
        officer_key(online, officer)
    online.close()

    # The tablet goes out of range: the same store and keys, a server address that answers nothing.
    offline = SyncClient(f"http://127.0.0.1:{free_port()}", online.store, online.keys, retry=FAST_RETRY)
    sha, _ = save_photo(home / "photos", jpeg_bytes(1))
    online.store.add_photo(sha, home / "photos" / f"{sha}.jpg", 1)
    items = assignment["items"]
    doc = record(assignment, [county.inspector], findings=[finding(items[0], "non_compliant", photos=[sha])]
                 + [finding(i) for i in items[1:]])
    queue_record(offline, doc, record_photos(doc), "2026-11-20T10:00:00Z")   # signed with no network
    assert offline.sync().offline is True
    assert online.store.outbox_counts() == {"pending": 1}

    back = SyncClient(server.url, online.store, online.keys, retry=FAST_RETRY)
    result = back.sync()
    assert result.photos_uploaded == 1 and result.receipts == {"accepted": 1}
    row = online.store.outbox_rows()[0]
    assert row["state"] == "accepted"
    stored = server_rows(county.db, "SELECT envelope, category, state FROM records WHERE id = ?", doc["id"])[0]
    assert bytes(stored["envelope"]).decode() == row["envelope"], "stored verbatim"
    assert (stored["category"], stored["state"]) == ("rectify", "received")
    back.close()


def test_retry_is_idempotent(make_device, county) -> None:
    client = make_device(county.inspector)
    assignment = first_assignment(client)
    doc = record(assignment, [county.inspector])
    signed = queue_record(client, doc, [], "2026-11-20T10:00:00Z")
    first = client.http.post("/v1/records/batch", json={"envelopes": [signed.decode()]}, headers=client._auth())
    again = client.http.post("/v1/records/batch", json={"envelopes": [signed.decode()]}, headers=client._auth())
    a, b = first.json()["receipts"][0], again.json()["receipts"][0]
    assert (a["status"], b["status"]) == ("accepted", "duplicate")
    assert a["log_index"] == b["log_index"] and a["envelope_sha256"] == b["envelope_sha256"]
    assert server_rows(county.db, "SELECT count(*) AS n FROM records WHERE id = ?", doc["id"])[0]["n"] == 1
    single = client.http.put(f"/v1/records/{doc['id']}", content=signed, headers=client._auth())
    assert single.status_code == 200 and single.json()["status"] == "duplicate"


def test_record_waits_for_its_photos(make_device, county, tmp_path: Path) -> None:
    client = make_device(county.inspector)
    assignment = first_assignment(client)
    data = jpeg_bytes(7)
    sha, path = save_photo(tmp_path / "cam", data)
    doc = record(assignment, [county.inspector], party={"signature_photo": sha, "name": "王经理"})
    signed = queue_record(client, doc, [sha], "2026-11-20T10:00:00Z")
    held = client.http.post("/v1/records/batch", json={"envelopes": [signed.decode()]}, headers=client._auth())
    receipt = held.json()["receipts"][0]
    assert receipt["status"] == "incomplete" and receipt["missing_photos"] == [sha]
    assert client.http.put(f"/v1/photos/{sha}", content=data, headers=client._auth()).status_code == 201
    now = client.http.get(f"/v1/records/{doc['id']}/receipt", headers=client._auth()).json()
    assert now["status"] == "accepted" and now["missing_photos"] == []
    kinds = [r["kind"] for r in server_rows(county.db, "SELECT kind FROM audit_log WHERE subject = ?", doc["id"])]
    assert kinds == ["record.received", "record.completed"]


def test_client_completes_incomplete_records(make_device, county, tmp_path: Path) -> None:
    client = make_device(county.inspector)
    assignment = first_assignment(client)
    sha, path = save_photo(tmp_path / "cam", jpeg_bytes(9))
    doc = record(assignment, [county.inspector], findings=[finding(i, photos=[sha]) for i in assignment["items"]])
    signed = queue_record(client, doc, [sha], "2026-11-20T10:00:00Z")
    client.http.post("/v1/records/batch", json={"envelopes": [signed.decode()]}, headers=client._auth())
    client.store.apply_receipts([(doc["id"], {"status": "incomplete"})], "now")
    client.store.add_photo(sha, path, path.stat().st_size)
    result = client.sync()
    assert result.photos_uploaded == 1 and result.receipts == {"accepted": 1}
    assert client.store.outbox_counts() == {"accepted": 1}


def test_unreachable_and_penalty_categories(make_device, county) -> None:
    client = make_device(county.inspector)
    client.sync()
    first, second = client.store.list_assignments()[:2]
    gone = record(first, [county.inspector], outcome="unreachable")
    case = record(second, [county.inspector], findings=[
        finding(second["items"][0], "non_compliant", {"kind": "case", "case_no": "云溪卫罚〔2026〕8号"})])
    for doc in (gone, case):
        queue_record(client, doc, [], "2026-11-20T10:00:00Z")
    client.sync()
    receipts = {row["id"]: row["receipt"] for row in client.store.outbox_rows()}
    import json
    assert json.loads(receipts[gone["id"]])["category"]["code"] == "unreachable"
    penalty = json.loads(receipts[case["id"]])["category"]
    assert penalty["code"] == "penalty" and penalty["label"] == "行政处罚"
    assert penalty["basis"] == [f"item:{second['items'][0]['code']}:case"]


def test_many_records_in_batches(make_device, county) -> None:
    client = make_device(county.inspector)
    client.sync()
    assignments = client.store.list_assignments()
    for n in range(250):
        doc = record(assignments[n % len(assignments)], [county.inspector])
        queue_record(client, doc, [], "2026-11-20T10:00:00Z")
    result = client.sync()
    assert result.receipts == {"accepted": 250}
    assert server_rows(county.db, "SELECT count(*) AS n FROM records")[0]["n"] == 250


def test_server_restart_keeps_everything(county, tmp_path: Path, admin, server: ServerProcess, make_device) -> None:
    client = make_device(county.inspector)
    assignment = first_assignment(client)
    doc = record(assignment, [county.inspector])
    queue_record(client, doc, [], "2026-11-20T10:00:00Z")
    assert client.sync().receipts == {"accepted": 1}
    server.stop()
    server.start()
    again = client.http.get(f"/v1/records/{doc['id']}/receipt", headers=client._auth())
    assert again.status_code == 200 and again.json()["status"] == "accepted"


def test_a_lost_photo_file_is_reported_not_fatal(make_device, county, tmp_path: Path) -> None:
    client = make_device(county.inspector)
    assignment = first_assignment(client)
    sha, path = save_photo(tmp_path / "cam", jpeg_bytes(11))
    client.store.add_photo(sha, path, path.stat().st_size)
    doc = record(assignment, [county.inspector], party={"signature_photo": sha, "name": "李店长"})
    queue_record(client, doc, [sha], "2026-11-20T10:00:00Z")
    path.unlink()
    result = client.sync()
    assert not result.offline and result.receipts == {"incomplete": 1}
    assert "照片文件在本机已丢失" in result.photo_errors[0]
    assert client.store.outbox_rows()[0]["state"] == "incomplete", "the record is held, not lost"
