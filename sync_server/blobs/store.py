"""The blob store's interface, the stored blob, and the two rules every store keeps: the name is
the bytes' SHA-256 (checked before anything is written), and the key fans out on its first two
characters (the photo directory's layout since the first release)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

from sync_server.errors import BadRequest

CHUNK = 256 * 1024


@dataclass(frozen=True)
class Blob:
    """A stored blob, opened for sending: a local file (`path`) or a stream of chunks."""
    size: int
    path: Path | None = None
    chunks: Iterator[bytes] | None = None
    close: Callable[[], None] | None = None   # releases the stream (an S3 response body)


class StoreRefused(Exception):
    """At start-up: the store answered, and refuses this deployment's settings (no such bucket,
    access denied, a bad key). A mistake in the settings, not a passing fault: the server does
    not start with it (sync_server/cli.py, `serve`)."""

    def __init__(self, reason: str, message_zh: str) -> None:
        super().__init__(reason)
        self.reason, self.message_zh = reason, message_zh


class BlobStore(Protocol):
    def check(self) -> str | None:
        """At start-up: None when the store is usable; a reason when it cannot be reached now (the
        server starts, and uploads answer 503 until it is back); StoreRefused when it refuses us."""
        ...

    def put(self, sha256: str, data: bytes) -> None: ...
    def put_file(self, sha256: str, path: Path) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int | None: ...
    def get(self, sha256: str) -> bytes | None: ...
    def open(self, sha256: str) -> Blob | None: ...
    def keys(self) -> Iterator[str]: ...
    def describe(self) -> str: ...


def key_of(sha256: str) -> str:
    """The blob's place under the store's root: "ab/ab12…" (a directory, or a key prefix)."""
    return f"{sha256[:2]}/{sha256}"


def check_hash(sha256: str, data: bytes) -> None:
    _refuse_other(sha256, hashlib.sha256(data).hexdigest())


def check_file_hash(sha256: str, path: Path) -> int:
    """Hash a staged file in chunks (a big or resumed upload); its size if it is the named blob."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    _refuse_other(sha256, digest.hexdigest())
    return size


def _refuse_other(sha256: str, actual: str) -> None:
    if actual != sha256:
        raise BadRequest("blob.hash_mismatch", f"bytes hash to {actual}, not {sha256}; not stored",
                         "文件内容与其校验值不符（传输中损坏），未保存，请重新上传", {"actual": actual})


def is_name(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)
