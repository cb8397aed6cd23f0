"""Schema migrations, kept per engine: each engine's list in order, each step run once in its own
transaction (sync_server.db.connection.migrate). The SQLite list is the embedded default's; the
PostgreSQL engine adds its own module and registers it here under its name, so that one schema
change is a step in each list, written in that engine's DDL."""
from __future__ import annotations

from sync_server.db.migrations import postgres, sqlite
from sync_server.db.migrations.sqlite import Migration

BY_ENGINE: dict[str, list] = {"sqlite": sqlite.MIGRATIONS, "postgresql": postgres.MIGRATIONS}
MIGRATIONS = sqlite.MIGRATIONS   # the embedded default's, as earlier versions named it

__all__ = ["BY_ENGINE", "MIGRATIONS", "Migration"]
