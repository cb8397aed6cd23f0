"""Both blob stores keep the same promises (sync_server/blobs/): the local photo directory, and an
S3 bucket on moto's server mode over real HTTP (tests/support/s3.py; not a production S3).

Every figure here comes from the test's own bytes and hashlib, and what is in the bucket is read
back with a separate boto3 client, not through the store under test."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sync_server.blobs import DirectoryStore, open_store
from sync_server.blobs.local import path_for
from sync_server.blobs.s3 import S3Store, parse_url
from sync_server.cli import main as cli_main
from sync_server.errors import ApiError, StorageUnavailable
from sync_server.settings import Settings
from tests.support.s3 import KEY_ID, REGION, SECRET, MotoServer
from tests.support.server import free_port

# The stores themselves, on a folder and on moto: no server database (engine_free, tests/support/engine.py).
pytestmark = pytest.mark.engine_free


def s3_store(moto: MotoServer, bucket: str, prefix: str = "county/photos", endpoint: str | None = None,
             attempts: int = 3) -> S3Store:
    return S3Store(f"s3://{bucket}/{prefix}", endpoint=endpoint or moto.url, region=REGION, access_key_id=KEY_ID,
                   secret_access_key=SECRET, addressing="path", max_attempts=attempts)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path):
    if request.param == "local":
        return DirectoryStore(tmp_path / "photos")
    moto = request.getfixturevalue("moto_s3")
    return s3_store(moto, moto.new_bucket())


def blob(n: int, size: int = 70_000) -> tuple[str, bytes]:
    data = (f"blob {n} ".encode() * (size // 7 + 1))[:size]
    return hashlib.sha256(data).hexdigest(), data


def stored_bytes(store, sha: str, moto: MotoServer | None) -> bytes | None:
    """The bytes where the layout says they are, read without the store under test."""
    if isinstance(store, DirectoryStore):
        path = path_for(store.root, sha)
        return path.read_bytes() if path.exists() else None
    assert moto is not None
    try:
        return moto.client().get_object(Bucket=store.bucket, Key=f"county/photos/{sha[:2]}/{sha}")["Body"].read()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchKey"
        return None


def moto_of(request) -> MotoServer | None:
    return request.getfixturevalue("moto_s3") if "s3" in request.node.callspec.id else None


def test_a_blob_is_kept_under_its_hash_and_read_back(store, request) -> None:
    sha, data = blob(1)
    assert not store.exists(sha) and store.size(sha) is None and store.get(sha) is None and store.open(sha) is None
    store.put(sha, data)
    assert store.exists(sha) and store.size(sha) == len(data) and store.get(sha) == data
    assert stored_bytes(store, sha, moto_of(request)) == data
    opened = store.open(sha)
    assert opened is not None and opened.size == len(data)
    read = opened.path.read_bytes() if opened.path else b"".join(opened.chunks)
    assert read == data
    assert list(store.keys()) == [sha]


def test_a_second_put_of_the_same_hash_changes_nothing(store, request) -> None:
    sha, data = blob(2)
    store.put(sha, data)
    store.put(sha, data)
    other_sha, other = blob(3, 10)
    store.put(other_sha, other)
    assert sorted(store.keys()) == sorted([sha, other_sha])
    assert stored_bytes(store, sha, moto_of(request)) == data


def test_bytes_that_do_not_hash_to_their_name_are_refused_and_nothing_is_written(store, request, tmp_path) -> None:
    sha, data = blob(4)
    damaged = data[:-1] + b"!"
    with pytest.raises(ApiError) as refused:
        store.put(sha, damaged)
    assert refused.value.status == 400 and refused.value.code == "blob.hash_mismatch"
    assert refused.value.detail == {"actual": hashlib.sha256(damaged).hexdigest()}
    assert "校验值不符" in refused.value.message_zh
    staged = tmp_path / "staged.part"
    staged.write_bytes(damaged)
    with pytest.raises(ApiError):
        store.put_file(sha, staged)
    assert not store.exists(sha) and stored_bytes(store, sha, moto_of(request)) is None
    assert list(store.keys()) == []


def test_a_staged_file_is_stored_whole_and_left_for_its_owner(store, request, tmp_path) -> None:
    sha, data = blob(5, 3 * 1024 * 1024 + 17)   # bigger than a read chunk: hashed and copied in parts
    staged = tmp_path / "upload.part"
    staged.write_bytes(data)
    store.put_file(sha, staged)
    store.put_file(sha, staged)
    assert staged.read_bytes() == data
    assert store.get(sha) == data and stored_bytes(store, sha, moto_of(request)) == data


def test_the_local_store_keeps_the_photo_directorys_layout(tmp_path) -> None:
    sha, data = blob(6)
    root = tmp_path / "server-photos"
    (root / sha[:2]).mkdir(parents=True)
    (root / sha[:2] / sha).write_bytes(data)            # a directory written by an earlier release
    (root / sha[:2] / f".{sha}.123.456.tmp").write_bytes(b"half")   # a write cut short: not a blob
    store = open_store(Settings.for_db(tmp_path / "server.db", photo_dir=root))
    assert isinstance(store, DirectoryStore) and store.get(sha) == data and list(store.keys()) == [sha]


def test_an_unreachable_store_is_a_clear_503_and_nothing_is_stored(moto_s3, tmp_path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"     # nothing listens there
    store = s3_store(moto_s3, "no-such-bucket", endpoint=dead, attempts=1)
    sha, data = blob(7)
    for attempt in (lambda: store.put(sha, data), lambda: store.exists(sha), lambda: store.open(sha),
                    lambda: list(store.keys())):
        with pytest.raises(StorageUnavailable) as down:
            attempt()
        assert down.value.status == 503 and down.value.code == "storage.unavailable"
        assert "照片存储暂时无法访问" in down.value.message_zh and down.value.headers == {"Retry-After": "30"}
        assert down.value.detail["store"] == "s3"


def test_a_bucket_that_does_not_exist_is_a_clear_503(moto_s3) -> None:
    store = s3_store(moto_s3, f"missing-{os.getpid()}", attempts=1)
    sha, data = blob(8)
    with pytest.raises(StorageUnavailable) as refused:
        store.put(sha, data)
    assert refused.value.detail["reason"] == "NoSuchBucket"


def test_the_store_is_chosen_by_the_settings(moto_s3, tmp_path) -> None:
    assert parse_url("s3://bucket/a/b/") == ("bucket", "a/b") and parse_url("s3://bucket") == ("bucket", "")
    with pytest.raises(ValueError):
        parse_url("https://bucket/a")
    settings = Settings.for_db(tmp_path / "server.db", blob_url="s3://b1/county", s3_endpoint=moto_s3.url,
                               s3_access_key_id=KEY_ID, s3_secret_access_key=SECRET)
    chosen = open_store(settings)
    assert isinstance(chosen, S3Store) and (chosen.bucket, chosen.prefix) == ("b1", "county")
    assert SECRET not in repr(settings), "the secret key never shows in a settings dump"
    assert isinstance(open_store(settings, "file:///srv/photos"), DirectoryStore)
    with pytest.raises(ValueError):
        open_store(settings, "ftp://host/dir")


def test_blobs_copy_moves_a_photo_directory_into_a_bucket(moto_s3, tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "server.db"
    local = DirectoryStore(db.with_name("server-photos"))
    blobs = [blob(n, 1000 + n) for n in range(5)]
    for sha, data in blobs[:4]:
        local.put(sha, data)
    bucket = moto_s3.new_bucket()
    target = s3_store(moto_s3, bucket)
    target.put(*blobs[0])       # already there: not sent again
    target.put(*blobs[4])       # only in the bucket: left alone
    for name, value in moto_s3.env(bucket, "county/photos").items():
        if name != "SUIJIAN_BLOB_URL":
            monkeypatch.setenv(name, value)
    assert cli_main(["blobs", "copy", "--db", str(db), "--to", f"s3://{bucket}/county/photos"]) == 0
    said = capsys.readouterr().out
    assert "copied 3" in said and "already there 1" in said
    for sha, data in blobs:
        assert stored_bytes(target, sha, moto_s3) == data
    assert cli_main(["blobs", "copy", "--db", str(db), "--to", f"s3://{bucket}/county/photos"]) == 0
    assert "copied 0" in capsys.readouterr().out


def test_the_start_up_check_of_each_store(moto_s3, tmp_path) -> None:
    """`serve` checks its store first (sync_server/cli.py, store_usable): usable -> None; settings
    the store refuses -> StoreRefused; a store that cannot be reached -> the reason (a warning)."""
    from sync_server.blobs import StoreRefused

    assert DirectoryStore(tmp_path / "not" / "yet" / "made").check() is None
    (tmp_path / "a-file").write_bytes(b"x")
    with pytest.raises(StoreRefused):
        DirectoryStore(tmp_path / "a-file" / "photos").check()
    assert s3_store(moto_s3, moto_s3.new_bucket()).check() is None
    with pytest.raises(StoreRefused) as refused:
        s3_store(moto_s3, "suijian-never-made").check()
    assert "没有存储桶 suijian-never-made" in refused.value.message_zh
    down = s3_store(moto_s3, "any", endpoint=f"http://127.0.0.1:{free_port()}", attempts=1).check()
    assert down and "Connect" in down
