"""Resumable uploads: a photo or the PDF handed over on site, sent in pieces over a poor link.

    PUT  /v1/uploads/{sha256}   Content-Range: bytes a-b/total   the bytes a..b (inclusive) appended
    GET  /v1/uploads/{sha256}   (and HEAD)                       how many bytes have arrived so far

The pieces are staged per device, in `photo_dir/.uploads/<device>/<sha256>-<total>.part`, so one
device never sees (nor continues) another's. Each piece is appended as its bytes stream in and
synced when the request ends, whether it ended well or was cut: what arrived before a cut is
kept, and the tablet continues from the offset it is told, re-sending nothing that arrived.
A piece must start where the staged bytes end (409 `upload.offset_mismatch`, with the offset).
When the last byte is in, the whole file is hashed: a mismatch discards it (`upload.hash_mismatch`),
a match goes through the checks and the store of a one-shot upload (`finish` in routes/uploads.py).

A staged file untouched for a day is removed (`sweep`, run when an upload starts). Only one
request at a time may write a staged file (an advisory lock; a second gets 409 `upload.busy`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from schemas import clock
from sync_server.errors import BadRequest, Conflict, StorageFull, TooLarge

STAGING = ".uploads"
STALE_SECONDS = 24 * 3600
LOCK_WAIT = 5.0             # seconds a piece waits for the request before it to let go of the file
RANGE = re.compile(r"^bytes (\d{1,12})-(\d{1,12})/(\d{1,12})$")


@dataclass(frozen=True)
class Span:
    """The bytes start..end (end exclusive) of a file of `total` bytes."""
    start: int
    end: int
    total: int


def parse_range(header: str | None, limit: int) -> Span:
    """`Content-Range: bytes a-b/total` (b inclusive, as HTTP writes it), checked against `limit`."""
    match = RANGE.match((header or "").strip())
    if match is None:
        raise BadRequest("upload.bad_range", "Content-Range must be 'bytes first-last/total'",
                         "分段上传的范围（Content-Range）格式错误")
    first, last, total = (int(group) for group in match.groups())
    if not first <= last < total:
        raise BadRequest("upload.bad_range", f"range {first}-{last} does not fit in {total} bytes",
                         "分段上传的范围超出文件大小")
    if total > limit:
        raise TooLarge("upload.too_large", f"a file over {limit} bytes",
                       f"文件过大（上限 {limit // (1024 * 1024)} MB），已拒收", {"limit": limit})
    return Span(first, last + 1, total)


def root_of(photo_dir: Path) -> Path:
    return photo_dir / STAGING


def _device_dir(root: Path, device_id: str) -> Path:
    return root / hashlib.sha256(device_id.encode()).hexdigest()[:32]


def _existing(folder: Path, sha: str) -> tuple[Path, int] | None:
    for path in folder.glob(f"{sha}-*.part"):
        return path, int(path.name[len(sha) + 1:-len(".part")])
    return None


def received(photo_dir: Path, device_id: str, sha: str) -> tuple[int, int | None]:
    """(bytes staged so far, the file's total) for this device; (0, None) when nothing is staged."""
    found = _existing(_device_dir(root_of(photo_dir), device_id), sha)
    if found is None:
        return 0, None
    path, total = found
    try:
        return path.stat().st_size, total
    except FileNotFoundError:
        return 0, None


class Staged:
    """One request's writing of a staged file: opened (and locked) at the piece's start, appended
    to as the body streams in, synced and closed at the end whatever happened."""

    def __init__(self, path: Path, handle, span: Span) -> None:
        self.path, self.handle, self.span = path, handle, span
        self.size = span.start

    @classmethod
    def open(cls, photo_dir: Path, device_id: str, sha: str, span: Span) -> "Staged":
        folder = _device_dir(root_of(photo_dir), device_id)
        found = _existing(folder, sha)
        if found is not None and (found[1] != span.total or span.start == 0):
            found[0].unlink(missing_ok=True)   # a fresh start, or another length: the old bytes are void
            found = None
        if found is None and span.start != 0:
            raise _mismatch(0)
        if found is None:
            sweep(root_of(photo_dir))
        path = folder / f"{sha}-{span.total}.part"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(path, "ab")
        except OSError as exc:
            raise _storage(exc) from exc
        if not _lock(handle):
            handle.close()
            raise Conflict("upload.busy", "another request is writing this upload",
                           "该文件正在上传中，请稍后重试") from None
        size = os.fstat(handle.fileno()).st_size
        if size != span.start:
            handle.close()
            raise _mismatch(size)
        return cls(path, handle, span)

    def append(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.span.end:
            raise BadRequest("upload.too_long", "the body is longer than its Content-Range",
                             "分段上传的数据比声明的范围长", {"offset": self.size})
        try:
            self.handle.write(chunk)
        except OSError as exc:
            raise _storage(exc) from exc
        self.size += len(chunk)

    def close(self) -> None:
        """Flush and sync what arrived (kept for the next piece), then let go of the lock."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
        finally:
            self.handle.close()

    @property
    def complete(self) -> bool:
        return self.size == self.span.total


def _lock(handle, wait: float = LOCK_WAIT) -> bool:
    """The staged file's lock. A piece sent again right after a cut may find the cut request
    still holding it (the server has not yet seen the connection close): wait for it a little."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def hashed(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_hash(path: Path, sha: str) -> None:
    """The whole file against its name; a mismatch discards the staged bytes."""
    actual = hashed(path)
    if actual != sha:
        path.unlink(missing_ok=True)
        raise BadRequest("upload.hash_mismatch", f"the uploaded bytes hash to {actual}, not {sha}",
                         "上传的文件与其校验值不符（传输中损坏），已丢弃，请重新上传", {"actual": actual})


def sweep(root: Path, now: float | None = None) -> int:
    """Remove staged files untouched for a day (an upload given up); how many were removed."""
    if now is None:     # file times are the machine's: the product's clock less its move (schemas/clock.py)
        now = (clock.now() - clock.current().offset).timestamp()
    cutoff = now - STALE_SECONDS
    removed = 0
    for path in root.glob("*/*.part"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


def _mismatch(offset: int) -> Conflict:
    return Conflict("upload.offset_mismatch", f"the next piece must start at byte {offset}",
                    f"分段上传的位置不连续，应从第 {offset} 字节继续", {"offset": offset})


def _storage(exc: OSError) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull({"store": "uploads"})
    return exc
