"""The database seam: connections, transactions, the dialect, migrations, the office's settings.

Services import `Connection` and `Row` from here, never an engine's driver (tests/unit/test_layers.py).
"""
from sync_server.db.interface import Connection, Cursor, Row

from typing import Iterable, Iterator

# Values per `IN (…)` list in the query modules: far below SQLite's 32,766 and PostgreSQL's 65,535
# parameters, and few distinct statement texts for PostgreSQL's translation cache.
IN_CHUNK = 500


def in_lists(values: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """The distinct values, sorted, in parts of at most IN_CHUNK: each part's placeholders ("?,?,…")
    for an `IN (…)`, and the part itself."""
    wanted = sorted(set(values))
    for start in range(0, len(wanted), IN_CHUNK):
        part = wanted[start:start + IN_CHUNK]
        yield ",".join("?" * len(part)), part


__all__ = ["Connection", "Cursor", "Row", "in_lists"]
