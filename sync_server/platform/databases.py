"""Each office's database: created when the office is recorded, opened lazily by the app and kept.

On SQLite an office's database is a file of its own beside the root file
(`sync_server.db.connection.office_target`: `offices/<code>.db`); on PostgreSQL a schema of its
own (the engine's `open_database(target, office=code)`). Either way every query of every domain
runs unchanged inside its office: there is no office column to forget.

    provision(target, office)         create and migrate the office's database; its name and region
    connect_office(target, code)      a synchronous connection (CLI, tests, benchmarks); caller closes
    office_database(app, code)        the app's async Database of an office (None: the root's)
    find_office_database(app, code)   the same, or None when the platform has no such office
    close_all(app)                    at shutdown
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sync_server.db import Connection
from sync_server.db.connection import open_database, open_db, transaction
from sync_server.office import profile
from sync_server.platform import service
from sync_server.platform.core.hierarchy import Office

_LOCK = threading.Lock()


def connect_office(target: str | Path, code: str | None) -> Connection:
    """A migrated connection to an office's database (`code=None`: the root office's)."""
    return open_db(target, code)


def provision(target: str | Path, office: Office, by: str = "cli") -> None:
    """Create and migrate the new office's database and set its name and region (its own profile,
    in its own audit log). Idempotent: an existing database is migrated and renamed only."""
    conn = connect_office(target, office.code)
    try:
        with transaction(conn):
            profile.update(conn, office.name, office.region, now=office.created_at, by=by)
    finally:
        conn.close()


def office_database(app: Any, code: str | None) -> Any:
    """The async Database of an office, opened on first use and kept until shutdown. The caller has
    checked that the office is on the platform (find_office_database does)."""
    if code is None:
        return app.state.db
    opened = _opened(app)
    with _LOCK:
        if code not in opened:
            opened[code] = open_database(app.state.settings.database, office=code)
        return opened[code]


async def find_office_database(app: Any, code: str) -> Any:
    """The Database of an office below the root, or None when the platform has no such office."""
    if code in _opened(app):
        return _opened(app)[code]
    found = await app.state.db.read(service.get_office, code)
    if found is None or found.parent is None:
        return None
    return office_database(app, code)


def close_all(app: Any) -> None:
    with _LOCK:
        opened = _opened(app)
        for db in opened.values():
            db.close()
        opened.clear()


def _opened(app: Any) -> dict[str, Any]:
    try:
        return app.state.office_dbs
    except AttributeError:
        app.state.office_dbs = {}
        return app.state.office_dbs
