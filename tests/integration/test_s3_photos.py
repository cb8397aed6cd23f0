"""A real server whose photos and documents live in an S3 bucket (moto's server mode over real
HTTP, tests/support/s3.py; not a production S3): a tablet's photos and its visit's PDF arrive
through the normal sync, land in the bucket under their hash (read back with a separate boto3
client), and come back to the leader's tablet and the team through the server, never from the
bucket directly. A store that is down answers 503 in Chinese, stores no row, and the tablet keeps
everything until the store is back. Two offices of one platform share the store and each reaches
only the blobs its own database rows name."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

import pytest

from field_app.keys import KeyStore
from field_app.outbox import record_photos
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas.photo_refs import referenced_files
from field_app.photos import PhotoFiles
from sync_server.cli import main as cli_main
from tests.integration.conftest import County, server_rows
from tests.integration.test_documents_sync import inspected_visit
from tests.support.photos import jpeg_bytes, save_photo
from tests.support.records import finding, queue_record, record
from tests.support.s3 import MotoServer
from tests.support.server import ServerProcess, free_port

PREFIX = "shandong/photos"


@pytest.fixture
def bucket(moto_s3: MotoServer) -> str:
    return moto_s3.new_bucket()


@pytest.fixture
def server(county: County, moto_s3: MotoServer, bucket: str) -> Iterator[ServerProcess]:
    """The integration fixtures' server (make_device, admin use it), configured with the S3 store."""
    proc = ServerProcess(county.db, env=moto_s3.env(bucket, PREFIX)).start()
    yield proc
    proc.stop()


def in_bucket(moto: MotoServer, bucket: str) -> dict[str, bytes]:
    client = moto.client()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def photo_record(inspector, county: County, assignment: dict, tmp_path: Path, seeds: list[int]) -> tuple[dict, dict]:
    """A record on `assignment` whose first finding has one photo per seed, queued on the tablet."""
    photos: dict[str, bytes] = {}
    for seed in seeds:
        data = jpeg_bytes(seed, size=(800, 600))
        sha, path = save_photo(tmp_path / "camera", data)
        inspector.store.add_photo(sha, path, len(data))
        photos[sha] = data
    items = assignment["items"]
    doc = record(assignment, [county.inspector], findings=[finding(items[0], "non_compliant", photos=list(photos))]
                 + [finding(i) for i in items[1:]])
    queue_record(inspector, doc, record_photos(doc), "2026-11-20T10:00:00Z")
    return doc, photos


def test_photos_and_the_pdf_go_through_the_sync_into_the_bucket_and_back_to_the_leader(
        make_device, county, server, moto_s3, bucket, tmp_path) -> None:
    inspector = make_device(county.inspector)
    _, visit_doc = inspected_visit(inspector, tmp_path, server.url)       # the app's own visit: its PDF
    pdf_sha = visit_doc["documents"]["pdf"]
    assignment = inspector.store.list_assignments()[1]
    doc, photos = photo_record(inspector, county, assignment, tmp_path, [3, 5, 7])
    visit_files = {sha: inspector.files.full(sha) or inspector.files.document(sha)
                   for sha in referenced_files(visit_doc)}     # the PDF and what the visit took (a signature)
    assert pdf_sha in visit_files and None not in visit_files.values()
    expected = {**photos, **visit_files}
    result = inspector.sync()
    assert result.receipts == {"accepted": 2} and result.photo_errors == []
    assert result.photos_uploaded == len(expected)

    stored = in_bucket(moto_s3, bucket)
    assert stored == {f"{PREFIX}/{sha[:2]}/{sha}": data for sha, data in expected.items()}
    assert all(hashlib.sha256(data).hexdigest() == key.rsplit("/", 1)[1] for key, data in stored.items())
    assert not [p for p in county.photos.rglob("*") if p.is_file()], "nothing stays in the local photo directory"
    rows = server_rows(county.db, "SELECT sha256, bytes FROM photos ORDER BY sha256")
    assert {(r["sha256"], r["bytes"]) for r in rows} == {(sha, len(data)) for sha, data in expected.items()}

    leader = make_device(county.leader)
    leader.files = PhotoFiles(tmp_path / "leader-photos")
    pulled = leader.sync()
    assert pulled.error is None and pulled.download_errors == [] and pulled.queued_for_review == 2
    assert pulled.photos_downloaded == len(expected)
    assert {sha: leader.files.full(sha) or leader.files.document(sha) for sha in expected} == expected
    served = inspector.http.get(f"/v1/documents/{pdf_sha}", headers=inspector._auth())
    assert served.status_code == 200 and served.content == expected[pdf_sha]
    assert served.headers["content-type"] == "application/pdf" and served.headers["etag"] == f'"{pdf_sha}"'
    assert int(served.headers["content-length"]) == len(expected[pdf_sha])

    lost = next(iter(photos))          # gone from the bucket: the clear answer of a lost file, not a 500
    moto_s3.client().delete_object(Bucket=bucket, Key=f"{PREFIX}/{lost[:2]}/{lost}")
    missing = leader.http.get(f"/v1/photos/{lost}", headers=leader._auth())
    assert missing.status_code == 404 and missing.json()["code"] == "photo.file_missing"


def test_a_store_that_is_down_stores_nothing_and_the_tablet_keeps_everything_until_it_is_back(
        make_device, county, server, moto_s3, bucket, tmp_path) -> None:
    inspector = make_device(county.inspector)
    inspector.sync()
    server.stop()
    dead = {**moto_s3.env(bucket, PREFIX), "SUIJIAN_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            "SUIJIAN_S3_MAX_ATTEMPTS": "1"}
    down = ServerProcess(county.db, port=server.port, env=dead).start()
    said = down.log.read_text(errors="replace")
    assert "警告 storage.unavailable" in said and "服务照常启动" in said, "a store that is down is said at start"
    try:
        doc, photos = photo_record(inspector, county, inspector.store.list_assignments()[0], tmp_path, [11])
        sha, data = next(iter(photos.items()))
        answer = inspector.http.put(f"/v1/photos/{sha}", content=data, headers=inspector._auth())
        assert answer.status_code == 503 and answer.json()["code"] == "storage.unavailable"
        assert "照片存储暂时无法访问" in answer.json()["message_zh"] and answer.headers["retry-after"] == "30"
        result = inspector.sync()
        assert result.offline and result.receipts == {} and result.error is None
    finally:
        down.stop()
    assert server_rows(county.db, "SELECT count(*) AS n FROM photos")[0]["n"] == 0, "no row without its bytes"
    assert server_rows(county.db, "SELECT count(*) AS n FROM records WHERE id = ?", doc["id"])[0]["n"] == 0
    assert in_bucket(moto_s3, bucket) == {}

    server.start()                     # the store is back: the same tablet sends what it kept
    result = inspector.sync()
    assert result.receipts == {"accepted": 1} and result.photos_uploaded == 1
    assert in_bucket(moto_s3, bucket) == {f"{PREFIX}/{sha[:2]}/{sha}": data}


def test_offices_share_one_store_and_each_reaches_only_the_blobs_its_own_rows_name(
        make_device, county, server, moto_s3, bucket, tmp_path, capsys) -> None:
    inspector = make_device(county.inspector)
    inspector.sync()
    doc, photos = photo_record(inspector, county, inspector.store.list_assignments()[0], tmp_path, [21])
    assert inspector.sync().receipts == {"accepted": 1}
    sha, data = next(iter(photos.items()))

    db = str(county.db)      # a second office on the same platform, with its own database and officer
    for argv in (["office", "add", "--db", db, "--code", "370000", "--name", "山东省卫生健康委员会", "--level", "province"],
                 ["office", "add", "--db", db, "--code", "370102", "--name", "历下区卫生健康局", "--level", "county",
                  "--parent", "370000"],
                 ["create-user", "--db", db, "--office", "370102", "--id", "LX0001", "--name", "李四",
                  "--role", "inspector"]):
        assert cli_main(argv) == 0, capsys.readouterr()
    capsys.readouterr()
    assert cli_main(["enroll-code", "--db", db, "--office", "370102", "LX0001"]) == 0
    code = capsys.readouterr().out.split()[0]
    other = SyncClient(f"{server.url}/o/370102", LocalStore(tmp_path / "lx" / "app.db"), KeyStore(tmp_path / "lx" / "keys"))
    try:
        other.enroll(code, "历下平板")
        theirs, unknown = (other.http.get(f"/v1/photos/{name}", headers=other._auth()) for name in (sha, "0" * 64))
        assert theirs.status_code == unknown.status_code == 404 and theirs.json() == unknown.json()
        assert theirs.json()["code"] == "photo.unknown", "the bytes are in the shared store; the other office has no row"
        again = other.http.put(f"/v1/photos/{sha}", content=data, headers=other._auth())
        assert again.status_code == 201
        mine = other.http.get(f"/v1/photos/{sha}", headers=other._auth())   # its own row now: its uploader sees it
        assert mine.status_code == 200 and mine.content == data
    finally:
        other.close()
        other.store.close()
    assert in_bucket(moto_s3, bucket) == {f"{PREFIX}/{sha[:2]}/{sha}": data}, "the same bytes are stored once"


def test_a_bucket_that_does_not_exist_stops_the_start_with_a_clear_message(county, moto_s3, tmp_path) -> None:
    """A bucket that is not there is a mistake in the settings, not a passing fault: `serve` says so
    in Chinese and does not start (nothing creates the bucket), where an unreachable store only warns."""
    import subprocess
    import sys

    from tests.support import engine
    from tests.support.server import ROOT

    env = {**os.environ, **engine.server_env(county.db), **moto_s3.env("suijian-no-such-bucket", PREFIX)}
    done = subprocess.run([sys.executable, "-m", "sync_server", "serve", "--db", str(county.db), "--port",
                           str(free_port())], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "错误 storage.refused" in done.stderr and "没有存储桶 suijian-no-such-bucket" in done.stderr
    assert "Traceback" not in done.stderr and "listening" not in done.stdout
