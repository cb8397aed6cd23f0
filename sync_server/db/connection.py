"""The engines behind one seam: a target (a SQLite file's path or a PostgreSQL URL) opened as a
migrated connection (`open_db`) or as the app's async reader/writer (`open_database`).

A PostgreSQL target is handled by sync_server.db.postgres (imported only when one is opened, so
the embedded default needs no PostgreSQL driver); the rest of this module is the SQLite engine:
the server's file, its connection settings, migrations, and the one-writer rule.

Every write request runs as one function in one transaction on the single writer thread;
reads run on the thread pool with a connection per thread (WAL lets them run beside the writer).
A full disk (SQLITE_FULL) is mapped here to StorageFull (507): the transaction is rolled back
whole, so nothing of the request is kept and everything committed before stays.

This module is the one place that knows the driver (sqlite3); what differs in SQL text is in
sync_server.db.dialect, and services see only sync_server.db.Connection.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import sqlite_utils

from schemas.clock import utc_now
from sync_server.db.dialect import SQLITE
from sync_server.db.migrations import BY_ENGINE
from sync_server.errors import StorageFull

T = TypeVar("T")
SQLITE_FULL = 13


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    for setting in SQLITE.session_settings:
        conn.execute(setting)
    return conn


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet applied, each in its own transaction; return their names."""
    db = sqlite_utils.Database(conn)
    db["migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in conn.execute("SELECT name FROM migrations")}
    applied = []
    for name, step in BY_ENGINE[SQLITE.engine]:
        if name in done:
            continue
        with transaction(conn):
            step(db)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, utc_now()))
        applied.append(name)
    return applied


class transaction:
    """BEGIN IMMEDIATE (the dialect's begin_write) … COMMIT, or ROLLBACK on any exception. On
    PostgreSQL, the write also takes its office's advisory lock (sync_server/db/postgres.py)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> Any:
        begin = getattr(self.conn, "begin_write", None)
        if begin is not None:
            begin()
        else:
            self.conn.execute(SQLITE.begin_write)
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
                return
            except BaseException:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        """SQLite may have rolled back already (a full disk does that): never leave it open."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """SQLite's "database or disk is full" as the API's StorageFull, at the database's boundary."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_FULL:
            raise StorageFull({"store": "database"}) from exc
        raise


def is_url(target: object) -> bool:
    """Whether a target is a PostgreSQL URL (`postgresql://…`) rather than a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_db(target: str | Path, office: str | None = None) -> Any:
    """Open (creating if needed) and migrate an office's database: what the CLI and tests use
    directly. A path: a sqlite3 connection; a URL: a PgConnection in the office's schema."""
    if is_url(target):
        from sync_server.db import postgres
        return postgres.open_db(str(target), office)
    path = office_target(target, office)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    migrate(conn)
    return conn


def office_target(target: str | Path, office: str | None = None) -> str | Path:
    """Where an office's data lives, beside the deployment's own database: on SQLite, a file of
    its own (`offices/<code>.db` next to the root file); on PostgreSQL, the schema `office_<code>`
    of the same database, named by the URL with `?office=<code>`. `office=None` is the
    deployment's own office, the target itself."""
    if is_url(target):
        from sync_server.db import postgres
        return postgres.office_url(str(target), office) if office else str(target)
    root = Path(target)
    return root if office is None else root.parent / "offices" / f"{office}.db"


def open_database(target: str | Path, office: str | None = None) -> Any:
    """The async reader/writer of one office's database (the app's; `office=None`: the root office):
    `await db.read(fn, *args)`, `await db.write(fn, *args)`, `db.close()`."""
    if is_url(target):
        from sync_server.db import postgres
        return postgres.PgDatabase(str(target), office)
    return Database(Path(office_target(target, office)))


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
        with storage_errors(), transaction(self.writer) as conn:
            return fn(conn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._read_now, fn, args)

    def _read_now(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        conn = getattr(self._local, "conn", None)
        with storage_errors():
            if conn is None:
                conn = self._local.conn = connect(self.path)
            return fn(conn, *args)

    def close(self) -> None:
        self._write_pool.shutdown(wait=True)
        self.writer.close()
