"""Which database engine the integration tests run on, and the few helpers that hide the difference.

`SUIJIAN_TEST_ENGINE=postgresql` (default `sqlite`) runs tests/integration against PostgreSQL
(tests/support/postgres.py): a test's server database is then a URL into the run's cluster
instead of a file. A database's *target* is what `sync_server.db.connection.open_db` and
`python -m sync_server serve --db` take: a SQLite file's Path, or a `postgresql://` URL.

What a server keeps beside its SQLite file (its photos `server-photos/`, its key
`server-server-key.pem`, its log) stays in the test's folder on both engines: on PostgreSQL the
server is told where (SUIJIAN_PHOTO_DIR, SUIJIAN_SERVER_KEY) so a test finds them where it does on
SQLite (`beside(target)`).

Tests about SQLite itself (its file, WAL, a full disk's SQLITE_FULL, migrating old files) are
marked `sqlite_only`; `make test`'s PostgreSQL pass deselects them with `-m "not sqlite_only"`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import pytest

from tests.support import postgres

ENGINES = ("sqlite", "postgresql")
ENGINE = os.environ.get("SUIJIAN_TEST_ENGINE") or "sqlite"
if ENGINE not in ENGINES:
    raise pytest.UsageError(f"SUIJIAN_TEST_ENGINE={ENGINE!r}: expected one of {', '.join(ENGINES)}")
ON_POSTGRES = ENGINE == "postgresql"

Target = Union[Path, str]

_made: list[str] = []     # databases this test made (dropped after it: drop_made())
_homes: dict[str, Path] = {}   # a PostgreSQL target's folder (where its SQLite file would be)


def is_url(target: Target) -> bool:
    return isinstance(target, str) and target.startswith("postgresql://")


def new_target(path: Path, template: str | None = None) -> Target:
    """The database a test would have made at `path` (a SQLite file there, created on open):
    on PostgreSQL a new database (a copy of `template`, else empty) whose files live at `path`'s folder."""
    if not ON_POSTGRES:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    cluster = postgres.cluster()
    name = cluster.create_database(template)
    _made.append(name)
    url = cluster.url(name)
    _homes[url] = path
    return url


def remember_home(target: Target, path: Path) -> None:
    """Where a PostgreSQL target's files live (the path its SQLite file would have)."""
    if is_url(target):
        _homes[str(target)] = path


def database_of(target: Target) -> str:
    """A PostgreSQL target's database name."""
    assert is_url(target), target
    return str(target).rsplit("/", 1)[1]


def drop_made() -> None:
    """Drop the databases the test made (its servers are stopped by then; FORCE ends any leftover session)."""
    while _made:
        name = _made.pop()
        postgres.cluster().drop_database(name)


def home_file(target: Target) -> Path:
    """The path the SQLite file is (or would be) at: the folder of what a server keeps beside it."""
    if is_url(target):
        return _homes[str(target)]
    return Path(target)


def beside(target: Target, suffix: str) -> Path:
    """What the server keeps beside its database, as Settings.for_db names it (`-photos`, `-server-key.pem`)."""
    db = home_file(target)
    return db.with_name(db.stem + suffix)


def server_env(target: Target) -> dict[str, str]:
    """What a server on `target` must be told to keep its files where it would on SQLite."""
    if not is_url(target):
        return {}
    return {"SUIJIAN_PHOTO_DIR": str(beside(target, "-photos")),
            "SUIJIAN_SERVER_KEY": str(beside(target, "-server-key.pem"))}


def connect(target: Target) -> Any:
    """An open, migrated connection to a test's database, on either engine (rows by name and position)."""
    from sync_server.db.connection import open_db
    return open_db(target)


def rows(target: Target, sql: str, *args: Any) -> list[Any]:
    conn = connect(target)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
