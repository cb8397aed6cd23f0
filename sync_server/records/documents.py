"""The PDFs handed over on site, as the office sees them: which records have one that arrived."""
from __future__ import annotations

from typing import Iterable

from sync_server.db import Connection
from sync_server.records.queries import photos


def by_records(conn: Connection, record_ids: Iterable[str]) -> dict[str, str]:
    """record id → the SHA-256 of its PDF, for the records whose PDF is on the server."""
    return photos.list_documents_by_records(conn, record_ids)


def of_record(conn: Connection, record_id: str | None) -> str | None:
    return by_records(conn, [record_id]).get(record_id) if record_id else None
