"""The tablet's own SQLite file: assignments pulled, photos taken, the outbox of signed envelopes.

WAL with synchronous=FULL: when a method returns, what it wrote survives a killed process or
a pulled battery. The outbox holds the exact bytes that were signed; they are never rewritten.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, due TEXT NOT NULL, unit_name TEXT NOT NULL,
    doc TEXT NOT NULL, pulled_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS photos (
    sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, bytes INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0, error TEXT);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, envelope TEXT NOT NULL, envelope_sha256 TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    receipt TEXT, created_at TEXT NOT NULL, acked_at TEXT);
CREATE TABLE IF NOT EXISTS outbox_photos (
    record_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (record_id, sha256));
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, created_at);
CREATE TABLE IF NOT EXISTS returns (
    record_id TEXT PRIMARY KEY, doc TEXT NOT NULL, received_at TEXT NOT NULL);
"""
# outbox.state: pending → accepted | incomplete (server waits for photos) | conflict | rejected
SENDABLE = ("pending", "incomplete")


class LocalStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.db = sqlite_utils.Database(self.conn)
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                self.conn.execute(statement)

    def close(self) -> None:
        self.conn.close()

    def _tx(self) -> "_Tx":
        return _Tx(self.conn)

    # --- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- assignments --------------------------------------------------------------------------
    def save_feed_page(self, items: list[dict[str, Any]], cursor: str, now: str) -> None:
        """One page of the feed and the cursor after it, in one transaction."""
        with self._tx():
            for item in items:
                if item["kind"] == "assignment":
                    self._save_assignment(item["data"], now)
                elif item["kind"] == "review":
                    self.conn.execute("INSERT OR REPLACE INTO returns VALUES (?, ?, ?)",
                                      (item["data"]["record_id"], json.dumps(item["data"], ensure_ascii=False), now))
            self.set_meta("feed_cursor", cursor)

    def _save_assignment(self, doc: dict[str, Any], now: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO assignments VALUES (?, ?, ?, ?, ?, ?)",
            (doc["id"], doc["version"], doc["due"], doc["unit"]["name"], json.dumps(doc, ensure_ascii=False), now))

    def list_assignments(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.conn.execute("SELECT doc FROM assignments ORDER BY due, unit_name")]

    def get_assignment(self, assignment_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT doc FROM assignments WHERE id = ?", (assignment_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def list_returns(self) -> list[dict[str, Any]]:
        """Records a leader sent back, with the reason: to be corrected and resubmitted."""
        return [json.loads(r[0]) for r in self.conn.execute("SELECT doc FROM returns ORDER BY received_at")]

    # --- photos -------------------------------------------------------------------------------
    def add_photo(self, sha256: str, path: Path, size: int) -> None:
        self.conn.execute("INSERT OR IGNORE INTO photos (sha256, path, bytes) VALUES (?, ?, ?)",
                          (sha256, str(path), size))

    def photos_to_upload(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT DISTINCT p.* FROM photos p JOIN outbox_photos op ON op.sha256 = p.sha256"
            " JOIN outbox o ON o.id = op.record_id WHERE p.uploaded = 0 AND p.error IS NULL"
            " AND o.state IN ('pending', 'incomplete') ORDER BY p.sha256").fetchall()

    def mark_photo(self, sha256: str, uploaded: bool, error: str | None = None) -> None:
        self.conn.execute("UPDATE photos SET uploaded = ?, error = ? WHERE sha256 = ?",
                          (int(uploaded), error, sha256))

    # --- outbox -------------------------------------------------------------------------------
    def enqueue(self, record_id: str, kind: str, envelope: bytes, photos: Iterable[str], now: str) -> None:
        """Put a signed envelope in the outbox; durable when this returns."""
        with self._tx():
            self.conn.execute(
                "INSERT INTO outbox (id, kind, envelope, envelope_sha256, created_at) VALUES (?,?,?,?,?)",
                (record_id, kind, envelope.decode("utf-8"), hashlib.sha256(envelope).hexdigest(), now))
            self.conn.executemany("INSERT OR IGNORE INTO outbox_photos VALUES (?, ?)",
                                  [(record_id, sha) for sha in photos])

    def sendable(self, limit: int, after: tuple[str, str] = ("", "")) -> list[sqlite3.Row]:
        """Pending envelopes in outbox order, after a (created_at, id) position."""
        return self.conn.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND (created_at, id) > (?, ?)"
            " ORDER BY created_at, id LIMIT ?", (*after, limit)).fetchall()

    def incomplete(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM outbox WHERE state = 'incomplete' ORDER BY created_at").fetchall()

    def apply_receipts(self, receipts: list[tuple[str, dict[str, Any]]], now: str) -> None:
        """Record the server's answers for sent envelopes (by record id), in one transaction."""
        with self._tx():
            for record_id, receipt in receipts:
                self.conn.execute(
                    "UPDATE outbox SET state = ?, receipt = ?, error = ?, acked_at = ?, attempts = attempts + 1"
                    " WHERE id = ?", (_state_of(receipt), json.dumps(receipt, ensure_ascii=False),
                                      json.dumps(receipt.get("error"), ensure_ascii=False) if receipt.get("error") else None,
                                      now, record_id))

    def outbox_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM outbox ORDER BY created_at, id").fetchall()

    def outbox_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


def _state_of(receipt: dict[str, Any]) -> str:
    return {"accepted": "accepted", "duplicate": "accepted", "incomplete": "incomplete",
            "conflict": "conflict"}.get(receipt["status"], "rejected")


class _Tx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if kind else "COMMIT")
