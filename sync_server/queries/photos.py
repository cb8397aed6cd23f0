"""Photo metadata (SQL only; the bytes live in the photo directory)."""
from __future__ import annotations

import sqlite3
from typing import Any, Iterable


def get_photo_by_sha(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM photos WHERE sha256 = ?", (sha256,)).fetchone()


def insert_photo(conn: sqlite3.Connection, photo: dict[str, Any]) -> bool:
    cur = conn.execute(
        "INSERT OR IGNORE INTO photos (sha256, media_type, bytes, width, height, received_at, device_id)"
        " VALUES (:sha256, :media_type, :bytes, :width, :height, :received_at, :device_id)", photo)
    return cur.rowcount == 1


def list_missing_shas(conn: sqlite3.Connection, hashes: Iterable[str]) -> list[str]:
    wanted = sorted(set(hashes))
    if not wanted:
        return []
    marks = ",".join("?" * len(wanted))
    have = {row[0] for row in conn.execute(f"SELECT sha256 FROM photos WHERE sha256 IN ({marks})", wanted)}
    return [h for h in wanted if h not in have]
