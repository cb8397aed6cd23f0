"""The S3 store: blobs as objects of an S3-compatible bucket, s3://bucket/prefix/<sha[:2]>/<sha>
(the local directory's layout under a prefix, so `aws s3 sync` or `sync-server blobs copy` moves one
to the other). boto3's errors are mapped here, at the boundary:

    the store cannot be reached (refused, time-out, DNS), answers 5xx after the retries, or refuses
    us (AccessDenied, NoSuchBucket, a bad key or signature)  ->  StorageUnavailable (503), logged
    the object is not there                                  ->  None from size/get/open, False from exists

Objects are written with one PUT (≤ 5 GB; ours are ≤ 10 MiB) carrying Content-MD5 (S3 refuses a
body damaged on the way; moto does not check it), after the SHA-256 was checked here. Only checksums the API requires are sent (boto3 ≥ 1.36 adds CRC32 by
default, which several S3-compatible stores refuse). Tested against moto's server mode over real
HTTP, not a production S3 (docs/DEPLOY.md "Object storage")."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sync_server.blobs.store import CHUNK, Blob, StoreRefused, check_file_hash, check_hash, is_name, key_of
from sync_server.errors import StorageUnavailable

logger = logging.getLogger("sync_server.blobs")
ABSENT = {"NoSuchKey", "404", "NotFound"}
MISSING = {"NoSuchBucket", "404", "NotFound"}        # HEAD on a bucket has no body: the code is the status
REFUSED = {"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}


def _md5(digest: Any) -> str:
    """Content-MD5: an integrity check of the body on the way (S3's, not a security use of MD5)."""
    return base64.b64encode(digest.digest()).decode()


def parse_url(url: str) -> tuple[str, str]:
    """"s3://bucket/some/prefix" -> ("bucket", "some/prefix")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3://bucket[/prefix] URL: {url!r}")
    return parts.netloc, parts.path.strip("/")


class S3Store:
    def __init__(self, url: str, *, endpoint: str = "", region: str = "us-east-1", access_key_id: str = "",
                 secret_access_key: str = "", addressing: str = "auto", max_attempts: int = 3) -> None:
        self.url = url
        self.bucket, self.prefix = parse_url(url)
        config = Config(region_name=region, s3={"addressing_style": addressing},
                        retries={"max_attempts": max_attempts, "mode": "standard"},
                        connect_timeout=5, read_timeout=30, max_pool_connections=32,
                        request_checksum_calculation="when_required", response_checksum_validation="when_required")
        credentials = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key} \
            if access_key_id else {}
        self.endpoint, self._config, self._credentials = endpoint, config, credentials
        self.client = self._new_client(config)

    def _new_client(self, config: Config) -> Any:
        return boto3.session.Session().client("s3", endpoint_url=self.endpoint or None, config=config,
                                              **self._credentials)

    def check(self) -> str | None:
        """HEAD the bucket. No such bucket, or access refused: StoreRefused (a mistake in the
        settings; nothing makes the bucket). Unreachable or failing: the reason, to warn of."""
        try:
            # One try, a short wait: a store that is down must not hold the start.
            self._new_client(self._config.merge(Config(retries={"max_attempts": 1, "mode": "standard"},
                                                       connect_timeout=3, read_timeout=5))).head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in MISSING:
                raise StoreRefused(code, f"对象存储中没有存储桶 {self.bucket}（{self.describe()}）：请先建好存储桶，"
                                         "或改正 SUIJIAN_BLOB_URL") from exc
            if code in REFUSED:
                raise StoreRefused(code, f"对象存储拒绝访问存储桶 {self.bucket}（{code}）：请检查访问密钥和存储桶权限") from exc
            return f"{code or 'client_error'}: {exc}"
        except BotoCoreError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    def describe(self) -> str:
        return f"{self.url} at {self.endpoint or 'AWS'}"

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{key_of(sha256)}" if self.prefix else key_of(sha256)

    def put(self, sha256: str, data: bytes) -> None:
        check_hash(sha256, data)
        if not self.exists(sha256):
            with self._mapped("put"):
                self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data,
                                       ContentMD5=_md5(hashlib.md5(data, usedforsecurity=False)), ContentType="application/octet-stream")

    def put_file(self, sha256: str, path: Path) -> None:
        check_file_hash(sha256, path)
        if not self.exists(sha256):
            with open(path, "rb") as handle, self._mapped("put"):
                md5 = _md5(hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)))
                handle.seek(0)
                self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=handle, ContentMD5=md5,
                                       ContentType="application/octet-stream")

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        with self._mapped("head", absent_is_none=True) as found:
            found.append(self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))["ContentLength"])
        return found[0] if found else None

    def get(self, sha256: str) -> bytes | None:
        blob = self.open(sha256)
        if blob is None:
            return None
        try:
            return b"".join(blob.chunks or ())
        finally:
            if blob.close:
                blob.close()

    def open(self, sha256: str) -> Blob | None:
        with self._mapped("get", absent_is_none=True) as found:
            found.append(self.client.get_object(Bucket=self.bucket, Key=self.key(sha256)))
        if not found:
            return None
        body = found[0]["Body"]
        return Blob(found[0]["ContentLength"], chunks=self._chunks(body), close=body.close)

    def _chunks(self, body: Any) -> Iterator[bytes]:
        try:
            with self._mapped("read"):
                yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        with self._mapped("list"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", ()):
                    rest = item["Key"][len(start):]
                    fan, _, name = rest.partition("/")
                    if is_name(name) and fan == name[:2]:
                        yield name

    @contextlib.contextmanager
    def _mapped(self, operation: str, absent_is_none: bool = False) -> Iterator[list]:
        """boto3's errors as the API's: absent -> nothing found (when asked), anything else -> 503."""
        found: list = []
        try:
            yield found
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if absent_is_none and code in ABSENT:
                return
            raise self._unavailable(operation, code or "client_error", exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(operation, type(exc).__name__, exc) from exc

    def _unavailable(self, operation: str, reason: str, exc: Exception) -> StorageUnavailable:
        logger.error("object store %s: %s failed (%s): %s", self.describe(), operation, reason, exc)
        return StorageUnavailable({"store": "s3", "operation": operation, "reason": reason})
