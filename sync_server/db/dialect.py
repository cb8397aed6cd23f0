"""The few SQL differences between engines, in one place; every other statement is written once.

The query modules write the forms SQLite and PostgreSQL share: `INSERT … ON CONFLICT (key) DO
NOTHING / DO UPDATE SET c = excluded.c`, `RETURNING`, `doc ->> 'key'` and `doc -> 'a' ->> 'b'` for
JSON fields, `count(*) FILTER (WHERE …)` rather than summing booleans, `CASE` rather than `iif`,
`AS MATERIALIZED` common table expressions, times passed in as parameters from schemas.clock
(never `datetime('now')`). What cannot be shared is a method of the engine's `Dialect`, which a
query reads from its connection (`dialect_of(conn)`):

    fragment               SQLite                         PostgreSQL (the scale issue's engine)
    json_each(x, j)        json_each(x) j                 json_array_elements_text(x) AS j(value)
    json_array(x)          json_array(x)                  json_build_array(x)
    json_text(x)           x                              x::text   (LIKE / = on a JSON column)
    blob_contains(c)       instr(c, ?) > 0                position(? IN c) > 0   (? a bytes value)
    not_indexed            NOT INDEXED                    ''        (planner hints)
    indexed_by(name)       INDEXED BY name                ''
    begin_read             BEGIN                          BEGIN ISOLATION LEVEL REPEATABLE READ
    begin_write            BEGIN IMMEDIATE                BEGIN ISOLATION LEVEL READ COMMITTED, then the
                                                          office's pg_advisory_xact_lock (one writer)
    session_settings       the PRAGMAs (WAL, FULL, …)     SET statements, if any

Placeholders stay `?` (positional) and `:name` (named), as sqlite3 takes them. psycopg 3 takes
`%s` and `%(name)s`; the PostgreSQL engine's connection translates a statement once, outside
string literals (`?` → `%s`, `:name` → `%(name)s`, a literal `%` → `%%`) and caches it by its
text, so the query modules keep one spelling. Its schema keeps JSON columns as `json` (which,
unlike `jsonb`, keeps a signed document's bytes), integer flags as integers, and
`id INTEGER PRIMARY KEY` as an identity column; those live in its own migrations
(sync_server/db/migrations, keyed by engine).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dialect:
    """SQLite's spelling of what differs; another engine is another instance of this shape."""

    engine: str = "sqlite"
    session_settings: tuple[str, ...] = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                                         "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=30000")
    begin_read: str = "BEGIN"
    begin_write: str = "BEGIN IMMEDIATE"
    not_indexed: str = " NOT INDEXED"

    def json_each(self, array: str, alias: str) -> str:
        """A table of the JSON array's elements as text, one column `value`, joinable in FROM."""
        return f"json_each({array}) {alias}"

    def json_array(self, value: str) -> str:
        """A one-element JSON array of a value."""
        return f"json_array({value})"

    def json_text(self, column: str) -> str:
        """A JSON column compared as text (LIKE, =)."""
        return column

    def indexed_by(self, index: str) -> str:
        """Make the planner use this index (SQLite); other engines choose for themselves."""
        return f" INDEXED BY {index}"

    def blob_contains(self, column: str) -> str:
        """A condition: the BLOB column contains the bytes of the one `?` parameter."""
        return f"instr({column}, ?) > 0"


@dataclass(frozen=True)
class PostgresDialect(Dialect):
    """PostgreSQL's spelling of what differs (the table above); its connections are sync_server.db.postgres's."""

    engine: str = "postgresql"
    session_settings: tuple[str, ...] = ("SET TIME ZONE 'UTC'",)
    begin_read: str = "BEGIN ISOLATION LEVEL REPEATABLE READ"
    begin_write: str = "BEGIN ISOLATION LEVEL READ COMMITTED"
    not_indexed: str = ""

    def json_each(self, array: str, alias: str) -> str:
        return f"json_array_elements_text({array}) AS {alias}(value)"

    def json_array(self, value: str) -> str:
        return f"json_build_array({value})"

    def json_text(self, column: str) -> str:
        return f"({column})::text"

    def indexed_by(self, index: str) -> str:
        return ""

    def blob_contains(self, column: str) -> str:
        return f"position(? IN {column}) > 0"


SQLITE = Dialect()
POSTGRES = PostgresDialect()
DIALECTS = {SQLITE.engine: SQLITE, POSTGRES.engine: POSTGRES}


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a connection: an engine's connection names its own, a plain sqlite3 one is SQLite's."""
    return getattr(conn, "dialect", SQLITE)
