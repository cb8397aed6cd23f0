"""The database seam: connections, transactions, the dialect, migrations, the office's settings.

Services import `Connection` and `Row` from here, never an engine's driver (tests/unit/test_layers.py).
"""
from sync_server.db.interface import Connection, Cursor, Row

# Values per `IN (…)` list in the query modules: far below SQLite's 32,766 and PostgreSQL's 65,535
# parameters, and few distinct statement texts for PostgreSQL's translation cache.
IN_CHUNK = 500

__all__ = ["IN_CHUNK", "Connection", "Cursor", "Row"]
