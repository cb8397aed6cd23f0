"""The server's SQLite file: connection settings, migrations, and the one-writer rule.

Every write request runs as one function in one transaction on the single writer thread;
reads run on the thread pool with a connection per thread (WAL lets them run beside the writer).
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

import sqlite_utils

from sync_server.queries.migrations import MIGRATIONS

T = TypeVar("T")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction; return their names."""
    db = sqlite_utils.Database(conn)
    db["migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with transaction(conn):
            step(db)
            conn.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (name,))
        applied.append(name)
    return applied


class transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if kind else "COMMIT")


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) and migrate: what the CLI and tests use directly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    migrate(conn)
    return conn


class Database:
    """The one writer and the per-thread readers of one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = open_db(path)
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._local = threading.local()

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, self._write_now, fn, args)

    def _write_now(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with transaction(self.writer) as conn:
            return fn(conn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._read_now, fn, args)

    def _read_now(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return fn(conn, *args)

    def close(self) -> None:
        self._write_pool.shutdown(wait=True)
        self.writer.close()
