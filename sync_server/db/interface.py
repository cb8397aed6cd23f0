"""The connection interface services depend on, instead of on one engine's driver.

Services and routes only pass a connection to query functions and read the rows those return,
so the interface is small: what the query modules call (`execute`, `executemany`, the cursor's
`fetchone`/`fetchall`/iteration, `rowcount`, `lastrowid`) and what the services read of a row
(`row["column"]`, `row[0]`, `row.keys()`, `dict(row)`). `sqlite3.Connection` with `sqlite3.Row`
rows satisfies it today; a PostgreSQL engine (psycopg 3 with a row factory whose rows allow
both name and position) satisfies it too.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence, Union

Params = Union[Sequence[Any], Mapping[str, Any]]


class Row(Protocol):
    """One result row: by column name or position, with its names."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    rowcount: int
    lastrowid: int | None

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What a query function needs of an open connection."""

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Cursor: ...
