"""Photo metadata (SQL only; the bytes live in the photo directory)."""
from __future__ import annotations

from typing import Any, Iterable

from sync_server.db import Connection, Row, in_lists


def get_photo_by_sha(conn: Connection, sha256: str) -> Row | None:
    return conn.execute("SELECT * FROM photos WHERE sha256 = ?", (sha256,)).fetchone()


def insert_photo(conn: Connection, photo: dict[str, Any]) -> bool:
    cur = conn.execute(
        "INSERT INTO photos (sha256, media_type, bytes, width, height, received_at, device_id)"
        " VALUES (:sha256, :media_type, :bytes, :width, :height, :received_at, :device_id)"
        " ON CONFLICT (sha256) DO NOTHING", photo)
    return cur.rowcount == 1


def list_missing_shas(conn: Connection, hashes: Iterable[str]) -> list[str]:
    wanted = sorted(set(hashes))
    present = list_present_shas(conn, wanted)
    return [h for h in wanted if h not in present]


def list_present_shas(conn: Connection, hashes: Iterable[str]) -> set[str]:
    """Which of these photos (or PDFs) are stored (one statement per 500 hashes)."""
    return {row[0] for marks, part in in_lists(hashes)
            for row in conn.execute(f"SELECT sha256 FROM photos WHERE sha256 IN ({marks})", part)}


def link_record_photos(conn: Connection, record_id: str, hashes: Iterable[str]) -> None:
    conn.executemany("INSERT INTO record_photos (sha256, record_id) VALUES (?, ?) ON CONFLICT (sha256, record_id) DO NOTHING",
                     [(h, record_id) for h in sorted(set(hashes))])


def may_view_photo(conn: Connection, sha256: str, user_id: str) -> bool:
    """A photo is shown to the team of a record that names it, to its uploader, and to a leader
    who may review that record (not on its team: four eyes)."""
    row = conn.execute(
        "SELECT 1 FROM photos p JOIN devices d ON d.id = p.device_id WHERE p.sha256 = ? AND d.user_id = ?"
        " UNION ALL"
        " SELECT 1 FROM record_photos rp JOIN records r ON r.id = rp.record_id"
        " JOIN assignment_team t ON t.assignment_id = r.assignment_id AND t.user_id = ? WHERE rp.sha256 = ?"
        " UNION ALL"
        " SELECT 1 FROM record_photos rp JOIN records r ON r.id = rp.record_id JOIN users u ON u.id = ?"
        " WHERE rp.sha256 = ? AND u.role = 'leader' AND u.active = 1 AND NOT EXISTS"
        " (SELECT 1 FROM assignment_team t WHERE t.assignment_id = r.assignment_id AND t.user_id = u.id)"
        " LIMIT 1", (sha256, user_id, user_id, sha256, user_id, sha256)).fetchone()
    return row is not None


def list_documents_by_records(conn: Connection, record_ids: Iterable[str]) -> dict[str, str]:
    """The PDF handed over on site (arrived, not only named) of each of these records that has one."""
    wanted = sorted(set(record_ids))
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(f"SELECT rp.record_id, rp.sha256 FROM record_photos rp JOIN photos p ON p.sha256 = rp.sha256"
                        f" WHERE p.media_type = 'application/pdf' AND rp.record_id IN ({marks})", wanted)
    return {row[0]: row[1] for row in rows}
