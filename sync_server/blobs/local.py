"""The local store: the photo directory as it always was, <dir>/<sha[:2]>/<sha>, written once
(a temp file beside the final one, fsync, rename), so existing data directories keep working.

A full disk (ENOSPC, EDQUOT) is a StorageFull (507), and a write that fails leaves nothing."""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Iterator

from sync_server.blobs.store import Blob, StoreRefused, check_file_hash, check_hash, is_name
from sync_server.errors import StorageFull


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return str(self.root)

    def check(self) -> str | None:
        """The folder is made on the first write; a path under a file can never be."""
        parent = self.root
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise StoreRefused("not_a_directory", f"照片目录 {self.root} 无法创建：{parent} 不是目录")
        return None

    def put(self, sha256: str, data: bytes) -> None:
        """Write once: a second put of the same hash is a no-op."""
        check_hash(sha256, data)
        self._write(sha256, lambda handle: handle.write(data))

    def put_file(self, sha256: str, path: Path) -> None:
        """Store a staged file (hashed in chunks first); the staged file is left for its owner."""
        check_file_hash(sha256, path)
        with open(path, "rb") as source:
            self._write(sha256, lambda handle: shutil.copyfileobj(source, handle, 1024 * 1024))

    def _write(self, sha256: str, fill) -> None:
        final = path_for(self.root, sha256)
        if final.exists():
            return
        temp = final.with_name(f".{sha256}.{os.getpid()}.{id(fill)}.tmp")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull({"store": "photos"}) from exc
            raise

    def exists(self, sha256: str) -> bool:
        return path_for(self.root, sha256).is_file()

    def size(self, sha256: str) -> int | None:
        try:
            return path_for(self.root, sha256).stat().st_size
        except FileNotFoundError:
            return None

    def get(self, sha256: str) -> bytes | None:
        try:
            return path_for(self.root, sha256).read_bytes()
        except FileNotFoundError:
            return None

    def open(self, sha256: str) -> Blob | None:
        size = self.size(sha256)
        return None if size is None else Blob(size, path=path_for(self.root, sha256))

    def keys(self) -> Iterator[str]:
        """Every stored blob's name (temp files of writes under way are not blobs)."""
        if not self.root.is_dir():
            return
        for fan in sorted(self.root.iterdir()):
            if fan.is_dir() and len(fan.name) == 2:
                yield from sorted(p.name for p in fan.iterdir() if is_name(p.name) and p.name[:2] == fan.name)
