"""The database seam: connections, transactions, the dialect, migrations, the office's settings.

Services import `Connection` and `Row` from here, never an engine's driver (tests/unit/test_layers.py).
"""
from sync_server.db.interface import Connection, Cursor, Row

__all__ = ["Connection", "Cursor", "Row"]
