"""The deployment's blob store, from its settings: S3 when `blob_url` is s3://…, else the photo directory."""
from __future__ import annotations

from pathlib import Path

from sync_server.blobs.local import DirectoryStore
from sync_server.blobs.store import BlobStore
from sync_server.settings import Settings


def open_store(settings: Settings, url: str | None = None) -> BlobStore:
    """`url` (default: the settings' own store) is "s3://bucket/prefix", "file:///dir" or a directory path."""
    target = settings.blob_url if url is None else url
    if not target:
        return DirectoryStore(settings.photo_dir)
    if target.startswith("s3://"):
        from sync_server.blobs.s3 import S3Store   # boto3 is loaded only by deployments that use it

        return S3Store(target, endpoint=settings.s3_endpoint, region=settings.s3_region,
                       access_key_id=settings.s3_access_key_id, secret_access_key=settings.s3_secret_access_key,
                       addressing=settings.s3_addressing, max_attempts=settings.s3_max_attempts)
    if "://" in target and not target.startswith("file://"):
        raise ValueError(f"a blob store is s3://bucket/prefix, file:///directory or a directory, not {target!r}")
    return DirectoryStore(Path(target.removeprefix("file://")))
