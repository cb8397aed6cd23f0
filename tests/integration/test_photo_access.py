"""Photos back down: the record's team and the leader reviewing it see the photos; nobody else
does, and a hash alone does not tell whether a photo exists. The leader's tablet downloads the
queue's photos at sync, checks each against the signed record, and keeps them for offline work."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from field_app.outbox import record_photos
from field_app.photos import PhotoFiles
from sync_server.db.connection import migrate, open_db
from sync_server.blobs.local import path_for
from tests.integration.conftest import server_rows, team_of
from tests.support.photos import jpeg_bytes, save_photo
from tests.support.records import finding, queue_record, record


def submitted_with_photo(make_device, county, tmp_path: Path):
    inspector = make_device(county.inspector)
    inspector.sync()
    assignment = inspector.store.list_assignments()[0]
    data = jpeg_bytes(41)
    sha, path = save_photo(tmp_path / "cam", data)
    inspector.store.add_photo(sha, path, len(data))
    items = assignment["items"]
    doc = record(assignment, [county.inspector], findings=[finding(items[0], "non_compliant", photos=[sha])]
                 + [finding(i) for i in items[1:]])
    queue_record(inspector, doc, record_photos(doc), "2026-11-20T10:00:00Z")
    assert inspector.sync().receipts == {"accepted": 1}
    return inspector, assignment, doc, sha, data


def get(device, sha: str):
    return device.http.get(f"/v1/photos/{sha}", headers=device._auth())


def test_the_team_and_the_reviewing_leader_see_a_photo_and_nobody_else(make_device, county, tmp_path) -> None:
    inspector, assignment, doc, sha, data = submitted_with_photo(make_device, county, tmp_path)
    leader = make_device(county.leader)
    assert county.leader not in team_of(county.db, assignment["id"])
    for device in (inspector, leader):
        answer = get(device, sha)
        assert answer.status_code == 200 and answer.content == data
        assert answer.headers["content-type"] == "image/jpeg" and answer.headers["etag"] == f'"{sha}"'
    outsider_id = server_rows(county.db, "SELECT id FROM users WHERE role = 'inspector' AND id NOT IN"
                              " (SELECT user_id FROM assignment_team WHERE assignment_id = ?) ORDER BY id LIMIT 1",
                              assignment["id"])[0][0]
    outsider = make_device(outsider_id)
    refused, unknown = get(outsider, sha), get(outsider, "0" * 64)
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json(), "not-yours and does-not-exist answer alike"
    assert refused.json()["code"] == "photo.unknown" and "无权查看" in refused.json()["message_zh"]
    assert get(outsider, "ABC").json()["code"] == "photo.bad_hash"
    anonymous = leader.http.get(f"/v1/photos/{sha}")
    assert anonymous.status_code == 401


def test_the_leaders_tablet_downloads_the_queue_photos_and_refuses_altered_bytes(make_device, county, server,
                                                                                 tmp_path) -> None:
    _, _, doc, sha, data = submitted_with_photo(make_device, county, tmp_path)
    leader = make_device(county.leader)
    leader.files = PhotoFiles(tmp_path / "leader-photos")
    result = leader.sync()
    assert result.error is None and result.queued_for_review >= 1
    assert result.photos_downloaded == 1 and result.download_errors == []
    assert leader.files.full(sha) == data and leader.files.thumb(sha) is not None
    assert leader.sync().photos_downloaded == 0, "kept: not downloaded again"

    # The server's copy is damaged on disk: a second leader tablet refuses it and still has its queue.
    stored = path_for(county.db.with_name(county.db.stem + "-photos"), sha)
    stored.write_bytes(data[:-200] + b"\0" * 200)
    other = make_device(county.leader, "平板二号")
    other.files = PhotoFiles(tmp_path / "other-photos")
    result = other.sync()
    assert result.error is None and result.queued_for_review >= 1 and result.photos_downloaded == 0
    assert result.download_errors == ["下载的照片与记录中的校验值不符，已丢弃"]
    assert other.files.known() == set() and doc["id"] in [i["record_id"] for i in other.store.review_queue()]

    stored.unlink()  # lost from the server's disk: a clear answer, not a crash
    missing = get(other, sha)
    assert missing.status_code == 404 and missing.json()["code"] == "photo.file_missing"
    assert "备份" in missing.json()["message_zh"]


def test_the_records_already_stored_get_their_photo_links_on_upgrade(make_device, county, tmp_path) -> None:
    _, _, doc, sha, _ = submitted_with_photo(make_device, county, tmp_path)
    conn = sqlite3.connect(county.db)
    with conn:  # as a database from before migration 006 would be
        conn.execute("DROP TABLE record_photos")
        conn.execute("DELETE FROM migrations WHERE name = '006_record_photos'")
    conn.close()
    upgraded = open_db(county.db)
    try:
        assert migrate(upgraded) == []
        rows = upgraded.execute("SELECT record_id FROM record_photos WHERE sha256 = ?", (sha,)).fetchall()
        assert [tuple(r) for r in rows] == [(doc["id"],)]
        assert upgraded.execute("SELECT 1 FROM migrations WHERE name = '006_record_photos'").fetchone()
    finally:
        upgraded.close()
