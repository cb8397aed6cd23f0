"""The PostgreSQL engine: psycopg 3 connections that take the query modules' SQL as sqlite3 does.

A target is a database URL (`postgresql://user@host:port/dbname`). The deployment's own office
lives in the `public` schema; another office (`office=<code>`) lives in the schema
`office_<code>` of the same database, selected by `search_path` (for the session of a connection
opened for it; for each transaction of a pooled connection, with `SET LOCAL`).

What the query modules rely on, kept here so they keep one spelling (sync_server/db/dialect.py):
- placeholders `?` and `:name` are translated once per statement text to psycopg's `%s` and
  `%(name)s` (outside string literals, quoted names and comments; `::` casts are kept);
- rows allow `row["col"]`, `row[0]`, `row.keys()`, `dict(row)` and iteration over values, as
  sqlite3.Row does; a `json` column is read back as its text (the bytes that were stored);
- Python booleans are stored as integers 0/1 (the schema's flags are integers, as on SQLite);
- connections are in autocommit, so BEGIN … COMMIT is written out, as with sqlite3's
  isolation_level=None: `transaction(conn)` (sync_server.db.connection) begins a write, takes the
  office's transaction-scoped advisory lock, and commits.

The one-writer rule across processes: every write transaction of an office first takes
`pg_advisory_xact_lock(<the office's key>)`, so writes of one office run one at a time, in every
worker process and the CLI alike, as they do on SQLite's single writer; reads run beside them in
REPEATABLE READ snapshots, and other offices' writes take other locks. What that serialization
guarantees (the audit log's sequence, a record id stored once, consecutive publication numbers)
is checked by tests/integration/test_pg_workers.py.

A full disk (SQLSTATE 53100, disk_full) is mapped to StorageFull (507), as SQLITE_FULL is, at the
same place: the database's boundary (PgDatabase), once the whole transaction is rolled back — not
at the statement, where a service's `except ApiError` would take it for one item's refusal and
carry on in a transaction PostgreSQL has already aborted.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from sync_server.db.dialect import POSTGRES
from sync_server.errors import StorageFull

T = TypeVar("T")
URL_SCHEMES = ("postgresql://", "postgres://")
OFFICE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
OFFICE_PARAM = "office"   # an office's target: the database's URL with ?office=<code> (not sent to libpq)


def is_url(target: object) -> bool:
    """Whether a target names a PostgreSQL database (a URL) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


def schema_of(office: str | None) -> str:
    """The schema holding an office's tables: `public` for the deployment's own office."""
    if office is None:
        return "public"
    if not OFFICE_CODE.match(office):
        raise ValueError(f"an office code is 1-40 letters, digits, _ or -: {office!r}")
    return f"office_{office}"


def office_url(url: str, office: str | None) -> str:
    """An office's target: the database's URL naming the office (`?office=<code>`), so that one
    string names an office's database on PostgreSQL as an office's file does on SQLite."""
    base, _ = split_target(url)
    if office is None:
        return base
    schema_of(office)   # a valid code
    return f"{base}{'&' if '?' in base else '?'}{OFFICE_PARAM}={office}"


def split_target(url: str) -> tuple[str, str | None]:
    """A target's connection URL (without our `office` parameter) and the office it names."""
    parts = urlsplit(url)
    if not parts.query:
        return url, None
    kept, office = [], None
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if name == OFFICE_PARAM:
            office = value or None
        else:
            kept.append(pair)
    return urlunsplit(parts._replace(query="&".join(kept))), office


def lock_key(schema: str) -> int:
    """The advisory lock serializing an office's writes: a stable 63-bit number of its schema."""
    return zlib.crc32(f"suijian:{schema}".encode()) | (0x5e << 32)




# --- placeholders -----------------------------------------------------------------------------

_TOKENS = re.compile(r"""
      (?P<str>'(?:[^']|'')*')            # a string literal, kept (its % doubled)
    | (?P<ident>"(?:[^"]|"")*")          # a quoted name, kept
    | (?P<comment>--[^\n]*)              # a comment, kept (its % doubled)
    | (?P<cast>::)                       # a cast, kept
    | :(?P<name>[A-Za-z_][A-Za-z0-9_]*)  # :name
    | (?P<qmark>\?)                      # ?
    | (?P<pct>%)                         # a literal %
""", re.VERBOSE)


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """sqlite3's placeholders as psycopg's, once per statement text."""
    def one(match: re.Match[str]) -> str:
        if match.group("name"):
            return f"%({match.group('name')})s"
        if match.group("qmark"):
            return "%s"
        if match.group("pct"):
            return "%%"
        return match.group(0).replace("%", "%%")   # psycopg reads % even inside literals
    return _TOKENS.sub(one, sql)


# --- rows ---------------------------------------------------------------------------------------

class Row(tuple):
    """A result row by position or by column name, as sqlite3.Row."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:   # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise IndexError(f"No item with that key: {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
    return type("Row", (Row,), {"__slots__": (), "_names": names, "_index": index})


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = tuple(column.name for column in cursor.description or ())
    made = _row_class(names)
    return lambda values: made(values)


class _BoolAsInt(Dumper):
    """True/False stored as 1/0 in the integer flags, as sqlite3 stores them."""

    oid = psycopg.postgres.types["int8"].oid
    format = Format.TEXT

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInt)
    for name in ("json", "jsonb"):
        conn.adapters.register_loader(name, TextLoader)   # a document's stored text, not parsed


# --- connections ----------------------------------------------------------------------------------

class PgCursor:
    """The part of a DB-API cursor the query modules read: rows, rowcount, lastrowid."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid: int | None = None   # PostgreSQL has none: the query modules use RETURNING

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int = 1) -> list[Any]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    @property
    def description(self) -> Any:
        return self._cursor.description


class PgConnection:
    """A psycopg connection behind the interface of sync_server.db.interface.Connection."""

    dialect = POSTGRES

    def __init__(self, raw: psycopg.Connection[Any], schema: str = "public", url: str = "",
                 pooled: bool = False) -> None:
        self.raw = raw
        self.pooled = pooled
        self.schema = schema
        self.url = url
        self.lock_key = lock_key(schema)

    def execute(self, sql: str, parameters: Any = (), /) -> PgCursor:
        cursor = self.raw.cursor()
        cursor.execute(translate(sql), _params(parameters))
        return PgCursor(cursor)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> PgCursor:
        cursor, rows = self.raw.cursor(), [_params(p) for p in parameters]
        if rows:   # psycopg runs even an empty batch as a pipeline: a round trip for nothing (twice a record)
            cursor.executemany(translate(sql), rows)
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()

    def __del__(self) -> None:
        """Closed when dropped, as a sqlite3 connection is (not a pooled one: the pool owns it)."""
        raw = getattr(self, "raw", None)
        if raw is not None and not self.pooled and not raw.closed:
            try:
                raw.close()
            except Exception:   # at interpreter exit the driver may be half torn down
                pass

    def begin_write(self, set_path: bool = False) -> None:
        """BEGIN, (a pooled connection: its office's search_path,) then wait for the office's
        write lock: one round trip."""
        path = f'SET LOCAL search_path TO "{self.schema}"; ' if set_path else ""
        self.raw.execute(f"{POSTGRES.begin_write}; {path}SELECT pg_advisory_xact_lock({int(self.lock_key)})")

    def begin_read(self) -> None:
        """BEGIN a REPEATABLE READ snapshot in the office's search_path (a pooled connection's)."""
        self.raw.execute(f'{POSTGRES.begin_read}; SET LOCAL search_path TO "{self.schema}"')


def _params(parameters: Any) -> Any:
    if parameters is None:
        return ()
    if isinstance(parameters, (list, tuple, dict)):
        return parameters
    if hasattr(parameters, "keys"):
        return dict(parameters)
    return tuple(parameters)


def connect(url: str, schema: str = "public", autocommit: bool = True) -> psycopg.Connection[Any]:
    raw = psycopg.connect(url, autocommit=autocommit, row_factory=_row_factory)
    _configure(raw)
    for setting in POSTGRES.session_settings:
        raw.execute(setting)
    raw.execute(f'SET search_path TO "{schema}"')
    return raw


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """PostgreSQL's disk_full (53100) as the API's StorageFull, at the database's boundary."""
    try:
        yield
    except pg_errors.DiskFull as exc:
        raise StorageFull({"store": "database"}) from exc


def open_db(target: str, office: str | None = None) -> PgConnection:
    """A migrated connection to an office's schema (created if needed): what the CLI and tests use."""
    from sync_server.db.migrations.postgres import migrate

    url, named = split_target(target)
    schema = schema_of(office or named)
    conn = PgConnection(connect(url, schema), schema, url)
    migrate(conn)
    return conn


# --- the app's reader/writer ------------------------------------------------------------------------

_POOLS: dict[str, tuple[ConnectionPool, int]] = {}
_POOLS_LOCK = threading.Lock()
POOL_MAX = 12   # per process: with 4 workers, 48 of PostgreSQL's default 100 connections


def pool_of(url: str) -> ConnectionPool:
    """The process's connection pool to a database, shared by its offices (opened on first use,
    closed when the last office's database using it is closed)."""
    with _POOLS_LOCK:
        pool, users = _POOLS.get(url, (None, 0))
        if pool is None:
            pool = ConnectionPool(url, min_size=1, max_size=POOL_MAX, open=True, name="suijian",
                                  kwargs={"autocommit": True, "row_factory": _row_factory,
                                          "application_name": f"suijian-server-{os.getpid()}"},
                                  configure=_configure_pooled)
        _POOLS[url] = (pool, users + 1)
        return pool


def release_pool(url: str) -> None:
    with _POOLS_LOCK:
        pool, users = _POOLS.get(url, (None, 0))
        if pool is None:
            return
        if users <= 1:
            del _POOLS[url]
            pool.close()
        else:
            _POOLS[url] = (pool, users - 1)


def _configure_pooled(raw: psycopg.Connection[Any]) -> None:
    _configure(raw)
    for setting in POSTGRES.session_settings:
        raw.execute(setting)


class PgDatabase:
    """One office's schema for the app: writes one at a time per office (the advisory lock across
    processes, one writer thread within one), reads on the thread pool in REPEATABLE READ."""

    def __init__(self, target: str, office: str | None = None) -> None:
        url, named = split_target(target)
        self.url = url
        self.schema = schema_of(office or named)
        open_db(url, office or named).close()   # create and migrate the office's schema once
        self.pool = pool_of(url)
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-writer")

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, self._write_now, fn, args)

    def write_now(self, fn: Callable[..., T], *args: Any) -> T:
        """A write from a thread (not the event loop): the same transaction and lock."""
        return self._write_now(fn, args)

    def _write_now(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.pool.connection() as raw:
            conn = PgConnection(raw, self.schema, self.url, pooled=True)
            with storage_errors(), _transaction(conn, write=True):
                return fn(conn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._read_now, fn, args)

    def _read_now(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self.pool.connection() as raw:
            conn = PgConnection(raw, self.schema, self.url, pooled=True)
            with storage_errors(), _transaction(conn, write=False):
                return fn(conn, *args)

    def close(self) -> None:
        self._write_pool.shutdown(wait=True)
        release_pool(self.url)


@contextlib.contextmanager
def _transaction(conn: PgConnection, write: bool) -> Iterator[PgConnection]:
    """A pooled connection's transaction in its office's schema (SET LOCAL: gone at its end)."""
    try:
        if write:
            conn.begin_write(set_path=True)
        else:
            conn.begin_read()
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.raw.execute("ROLLBACK")
        raise
    conn.raw.execute("COMMIT")
