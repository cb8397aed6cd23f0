"""Which database engine the integration tests run on, and the few helpers that hide the difference.

`SUIJIAN_TEST_ENGINE=postgresql` (default `sqlite`) runs tests/integration against PostgreSQL
(tests/support/postgres.py): a test's server database is then a URL into the run's cluster
instead of a file. A database's *target* is what `sync_server.db.connection.open_db` and
`python -m sync_server serve --db` take: a SQLite file's Path, or a `postgresql://` URL.

What a server keeps beside its SQLite file (its photos `server-photos/`, its key
`server-server-key.pem`, its log) stays in the test's folder on both engines: on PostgreSQL, which
has no file to sit beside, that folder is the server's data directory (SUIJIAN_DATA_DIR: `photos/`,
`server-key.pem`), and `photos_of(target)` / `key_of(target)` say where they are on either engine.

Tests about SQLite itself (its file, WAL, a full disk's SQLITE_FULL, migrating old files) are
marked `sqlite_only`; `make test`'s PostgreSQL pass deselects them with `-m "not sqlite_only"`.
Tests that touch no server database at all (files and the verifier, the tablet alone, the shaping
proxy, a blob store) are marked `engine_free` and run once, in the SQLite pass: the same code
would run twice. A fixture (tests/integration/conftest.py) fails such a test if it asks for a
seeded county or a server, or makes a database.
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
_by_path: dict[Path, str] = {}  # this test's databases by the path their SQLite file would have


def is_url(target: Target) -> bool:
    return isinstance(target, str) and target.startswith("postgresql://")


_forbidden: list[str] = []    # set for a test marked engine_free: it must not make a database


def forbid(test: str) -> None:
    _forbidden[:] = [test]


def allow() -> None:
    _forbidden.clear()


def new_target(path: Path, template: str | None = None, for_the_run: bool = False) -> Target:
    """The database a test would have made at `path` (a SQLite file there, created on open):
    on PostgreSQL a new database (a copy of `template`, else of an empty migrated one) whose files live at `path`'s
    folder, dropped after the test (`for_the_run`: kept, for a module's fixture; the cluster goes
    at the run's end)."""
    if _forbidden:
        pytest.fail(f"{_forbidden[0]} is marked engine_free but makes a database: remove the mark, "
                    "so that it runs on both engines", pytrace=False)
    if not ON_POSTGRES:
        return path
    if path in _by_path:          # the same file again (reopened): the same database
        return _by_path[path]
    path.parent.mkdir(parents=True, exist_ok=True)
    cluster = postgres.cluster()
    name = cluster.create_database(template or postgres.migrated_template())
    if not for_the_run:
        _made.append(name)
    url = cluster.url(name)
    _homes[url] = path
    if not for_the_run:
        _by_path[path] = url
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
    _by_path.clear()
    while _made:
        name = _made.pop()
        postgres.cluster().drop_database(name)


def home_file(target: Target) -> Path:
    """The path the SQLite file is (or would be) at: the folder of what a server keeps beside it."""
    if is_url(target):
        return _homes[str(target)]
    return Path(target)


def data_dir(target: Target) -> Path | None:
    """A PostgreSQL target's data directory (the test's server folder); None for a SQLite file."""
    return home_file(target).parent if is_url(target) else None


def photos_of(target: Target) -> Path:
    """Where the server on `target` keeps its photos (sync_server.settings.Settings.for_db)."""
    folder = data_dir(target)
    db = home_file(target)
    return folder / "photos" if folder else db.with_name(db.stem + "-photos")


def key_of(target: Target) -> Path:
    """Where the server on `target` keeps its signing key."""
    folder = data_dir(target)
    db = home_file(target)
    return folder / "server-key.pem" if folder else db.with_name(db.stem + "-server-key.pem")


def server_env(target: Target) -> dict[str, str]:
    """What a server on `target` must be told: on PostgreSQL, its data directory."""
    folder = data_dir(target)
    return {"SUIJIAN_DATA_DIR": str(folder)} if folder else {}


def refusals() -> tuple[type[BaseException], ...]:
    """What the engine raises when the database itself refuses a statement (a trigger, a constraint)."""
    import sqlite3
    if not ON_POSTGRES:
        return (sqlite3.IntegrityError,)
    import psycopg
    return (psycopg.errors.IntegrityError, psycopg.errors.RaiseException)


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
