"""A full disk for tests: fill the small file system a test mounted until the kernel says ENOSPC."""
from __future__ import annotations

import errno
import os
from pathlib import Path


def fill(path: Path) -> None:
    """Take every free byte of the file system that holds `path`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
