"""The tablet's own SQLite file: assignments pulled, photos taken, the outbox of signed envelopes.

WAL with synchronous=FULL: when a method returns, what it wrote survives a killed process or
a pulled battery. The outbox holds the exact bytes that were signed; they are never rewritten.

A tablet keeps its app.db across app updates, so the file is brought forward in place. FIRST is
the first shipped version's tables (git 20eb1f6), made in a new file; then each step of
MIGRATIONS runs once, in order, in one transaction, counted in `PRAGMA user_version`. A new file
goes through the same steps as an old one. Every change of a table is a new step at the end;
never edit FIRST or a step that has shipped.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable

FIRST = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE assignments (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, due TEXT NOT NULL, unit_name TEXT NOT NULL,
    doc TEXT NOT NULL, pulled_at TEXT NOT NULL);
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, bytes INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0, error TEXT);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, envelope TEXT NOT NULL, envelope_sha256 TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    receipt TEXT, created_at TEXT NOT NULL, acked_at TEXT);
CREATE TABLE outbox_photos (
    record_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (record_id, sha256));
CREATE INDEX outbox_state ON outbox(state, created_at);
CREATE TABLE returns (
    record_id TEXT PRIMARY KEY, doc TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE TABLE drafts (
    assignment_id TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE submissions (
    record_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, supersedes TEXT, created_at TEXT NOT NULL);
CREATE INDEX submissions_assignment ON submissions(assignment_id, created_at);
CREATE TABLE review_queue (
    record_id TEXT PRIMARY KEY, item TEXT NOT NULL, fetched_at TEXT NOT NULL);
CREATE TABLE reminders (
    record_id TEXT PRIMARY KEY, doc TEXT NOT NULL, received_at TEXT NOT NULL);
"""
MIGRATIONS = (  # (user_version after the step, its statements)
    (1, ("ALTER TABLE outbox ADD COLUMN parked_at TEXT",)),   # records the server cannot take, set aside
    (2, ("CREATE TABLE record_units (record_id TEXT PRIMARY KEY, unit_name TEXT NOT NULL)",)),  # review_units:
    # the unit of each record a leader was sent to review, kept after it leaves the queue (the sync log names it)
    (3, ("CREATE TABLE lab_notices (record_id TEXT NOT NULL, item_code TEXT NOT NULL, doc TEXT NOT NULL,"
         " received_at TEXT NOT NULL, PRIMARY KEY (record_id, item_code))",)),   # samples the server has a result for
)
VERSION = MIGRATIONS[-1][0]
# outbox.state: pending → accepted | incomplete (server waits for photos) | conflict | rejected
#                      | parked (the server answers 5xx to it alone; retried by itself, later)
SENDABLE = ("pending", "incomplete")


def statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";\n") if part.strip()]


class LocalStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.lock = threading.RLock()  # one connection may serve the UI loop and a sync thread
        self._migrate()

    def _migrate(self) -> None:
        """Make a new file's first tables, then the steps this file has not had yet; another
        connection opening it at once waits (BEGIN IMMEDIATE) and then finds them done."""
        if self._version() >= VERSION and self._has_tables():
            return
        with self._tx():
            if not self._has_tables():
                for statement in statements(FIRST):
                    self.conn.execute(statement)
            version = self._version()
            for target, steps in MIGRATIONS:
                if version < target:
                    for statement in steps:
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version = {int(target)}")

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _has_tables(self) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() \
            is not None

    def close(self) -> None:
        self.conn.close()

    def _tx(self) -> "_Tx":
        return _Tx(self.conn, self.lock)

    # --- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- re-inspection drafts (the note and photos, as they are made) ---------------------------
    def get_reinspection_draft(self, record_id: str) -> dict[str, Any]:
        text = self.get_meta(f"reinspection_draft:{record_id}")
        return json.loads(text) if text else {"note": "", "photos": []}

    def save_reinspection_draft(self, record_id: str, draft: dict[str, Any]) -> None:
        self.set_meta(f"reinspection_draft:{record_id}", json.dumps(draft, ensure_ascii=False))

    def discard_reinspection_draft(self, record_id: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (f"reinspection_draft:{record_id}",))

    def get_lab_draft(self, key: str) -> dict[str, Any]:
        """The lab-result form being filled for a sample (`record_id/item_code`), saved as it is typed."""
        raw = self.get_meta(f"lab_draft:{key}")
        return json.loads(raw) if raw else {"outcome": None, "lab": "", "report_no": "", "reported_on": "",
                                            "note": "", "rectify_by": "", "photos": []}

    def save_lab_draft(self, key: str, draft: dict[str, Any]) -> None:
        self.set_meta(f"lab_draft:{key}", json.dumps(draft, ensure_ascii=False))

    def discard_lab_draft(self, key: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (f"lab_draft:{key}",))

    def list_lab_notices(self) -> list[dict[str, Any]]:
        """The samples the server reported a result for (feed notices `lab_result`)."""
        return [json.loads(r[0]) for r in self.conn.execute("SELECT doc FROM lab_notices ORDER BY received_at")]

    # --- assignments --------------------------------------------------------------------------
    def save_feed_page(self, items: list[dict[str, Any]], cursor: str, now: str) -> None:
        """One page of the feed and the cursor after it, in one transaction."""
        with self._tx():
            for item in items:
                if item["kind"] == "assignment":
                    self._save_assignment(item["data"], now)
                elif item["kind"] == "reminder":   # a rectification deadline: a re-inspection to do
                    self.conn.execute("INSERT OR REPLACE INTO reminders VALUES (?, ?, ?)",
                                      (item["data"]["record_id"], json.dumps(item["data"], ensure_ascii=False), now))
                elif item["kind"] == "lab_result":   # a sample's result reached the server (office or tablet)
                    self.conn.execute("INSERT OR REPLACE INTO lab_notices VALUES (?, ?, ?, ?)",
                                      (item["data"]["record_id"], item["data"]["item_code"],
                                       json.dumps(item["data"], ensure_ascii=False), now))
                elif item["kind"] in ("review", "approved"):   # a leader's decision: returned or approved
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
        return [d for d in self.list_decisions() if d.get("decision", "return") == "return"]

    def list_decisions(self) -> list[dict[str, Any]]:
        """Every leader's decision the feed brought (returns, and approvals where the server sends them)."""
        return [json.loads(r[0]) for r in self.conn.execute("SELECT doc FROM returns ORDER BY received_at")]

    # --- drafts and submissions ---------------------------------------------------------------
    def save_draft(self, assignment_id: str, doc: dict[str, Any], now: str) -> None:
        """One change of a draft, committed (WAL, synchronous=FULL) before this returns."""
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO drafts VALUES (?, ?, ?)", (assignment_id, text, now))

    def get_draft(self, assignment_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT doc FROM drafts WHERE assignment_id = ?", (assignment_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def draft_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT assignment_id FROM drafts")}

    def submit(self, document: dict[str, Any], envelope: bytes, photos: Iterable[str], now: str) -> None:
        """The signed record into the outbox, the submission noted and the draft gone: one transaction,
        so a killed app has either a draft or a queued record, never both and never neither."""
        with self._tx():
            self._enqueue(document["id"], "record", envelope, photos, now)
            self.conn.execute("INSERT INTO submissions VALUES (?, ?, ?, ?)",
                              (document["id"], document["assignment_id"], document.get("supersedes"), now))
            self.conn.execute("DELETE FROM drafts WHERE assignment_id = ?", (document["assignment_id"],))

    def submissions(self) -> list[sqlite3.Row]:
        """Each submitted record with its outbox state, oldest first."""
        return self.conn.execute(
            "SELECT s.record_id, s.assignment_id, s.created_at, o.state"
            " FROM submissions s JOIN outbox o ON o.id = s.record_id"
            " ORDER BY s.created_at, s.record_id").fetchall()

    def envelope_of(self, record_id: str) -> str | None:
        row = self.conn.execute("SELECT envelope FROM outbox WHERE id = ?", (record_id,)).fetchone()
        return None if row is None else row[0]

    # --- the leader's review queue ----------------------------------------------------------------
    def save_review_queue(self, items: list[dict[str, Any]], now: str) -> None:
        """The queue as the server sent it, replacing the last one; each record's unit is kept
        beyond it (`record_units`), so the sync log can name the unit of a decision sent later."""
        with self._tx():
            self.conn.execute("DELETE FROM review_queue")
            self.conn.executemany("INSERT INTO review_queue VALUES (?, ?, ?)",
                                  [(i["record_id"], json.dumps(i, ensure_ascii=False), now) for i in items])
            self.conn.executemany("INSERT OR REPLACE INTO record_units VALUES (?, ?)",
                                  [(i["record_id"], i["assignment"]["unit"]["name"]) for i in items])

    def record_units(self) -> dict[str, str]:
        """The unit of every record this device was sent to review, by record id."""
        return dict(self.conn.execute("SELECT record_id, unit_name FROM record_units").fetchall())

    def review_queue(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.conn.execute("SELECT item FROM review_queue ORDER BY fetched_at, rowid")]

    def decided_records(self) -> dict[str, sqlite3.Row]:
        """Decisions this (leader's) device signed, by the record they decide."""
        rows = self.conn.execute("SELECT * FROM outbox WHERE kind = 'review' ORDER BY created_at").fetchall()
        return {document_of(r["envelope"])["record_id"]: r for r in rows}

    # --- photos -------------------------------------------------------------------------------
    def add_photo(self, sha256: str, path: Path, size: int) -> None:
        with self.lock:
            self.conn.execute("INSERT OR IGNORE INTO photos (sha256, path, bytes) VALUES (?, ?, ?)",
                              (sha256, str(path), size))

    def photos_to_upload(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT DISTINCT p.* FROM photos p JOIN outbox_photos op ON op.sha256 = p.sha256"
            " JOIN outbox o ON o.id = op.record_id WHERE p.uploaded = 0 AND p.error IS NULL"
            " AND o.state IN ('pending', 'incomplete') ORDER BY p.sha256").fetchall()

    def mark_photo(self, sha256: str, uploaded: bool, error: str | None = None) -> None:
        with self.lock:
            self.conn.execute("UPDATE photos SET uploaded = ?, error = ? WHERE sha256 = ?",
                              (int(uploaded), error, sha256))

    # --- outbox -------------------------------------------------------------------------------
    def enqueue(self, record_id: str, kind: str, envelope: bytes, photos: Iterable[str], now: str) -> None:
        """Put a signed envelope in the outbox; durable when this returns."""
        with self._tx():
            self._enqueue(record_id, kind, envelope, photos, now)

    def _enqueue(self, record_id: str, kind: str, envelope: bytes, photos: Iterable[str], now: str) -> None:
        self.conn.execute(
            "INSERT INTO outbox (id, kind, envelope, envelope_sha256, created_at) VALUES (?,?,?,?,?)",
            (record_id, kind, envelope.decode("utf-8"), hashlib.sha256(envelope).hexdigest(), now))
        self.conn.executemany("INSERT OR IGNORE INTO outbox_photos VALUES (?, ?)",
                              [(record_id, sha) for sha in photos])

    def sendable(self, limit: int, after: tuple[str, str] = ("", ""), kind: str = "record") -> list[sqlite3.Row]:
        """Pending envelopes of one kind in outbox order, after a (created_at, id) position."""
        return self.conn.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND kind = ? AND (created_at, id) > (?, ?)"
            " ORDER BY created_at, id LIMIT ?", (kind, *after, limit)).fetchall()

    def park(self, record_id: str, error: dict[str, Any], now: str) -> None:
        """Set an envelope aside that the server fails on when it is sent alone, with the server's
        code and Chinese message; the rest of the outbox goes on without it."""
        with self.lock:
            self.conn.execute("UPDATE outbox SET state = 'parked', error = ?, parked_at = ?, attempts = attempts + 1"
                              " WHERE id = ?", (json.dumps(error, ensure_ascii=False), now, record_id))

    def parked(self, before: str | None = None) -> list[sqlite3.Row]:
        """Parked envelopes (only those parked at or before `before`, if given), oldest first."""
        return self.conn.execute(
            "SELECT * FROM outbox WHERE state = 'parked' AND (? IS NULL OR parked_at <= ?)"
            " ORDER BY created_at, id", (before, before)).fetchall()

    def incomplete(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM outbox WHERE state = 'incomplete' AND kind = 'record'"
                                 " ORDER BY created_at").fetchall()

    def apply_receipts(self, receipts: list[tuple[str, dict[str, Any]]], now: str) -> None:
        """Record the server's answers for sent envelopes (by record id), in one transaction."""
        with self._tx():
            for record_id, receipt in receipts:
                self.conn.execute(
                    "UPDATE outbox SET state = ?, receipt = ?, error = ?, acked_at = ?, attempts = attempts + 1,"
                    " parked_at = NULL WHERE id = ?", (_state_of(receipt), json.dumps(receipt, ensure_ascii=False),
                                      json.dumps(receipt.get("error"), ensure_ascii=False) if receipt.get("error") else None,
                                      now, record_id))

    def list_reminders(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.conn.execute("SELECT doc FROM reminders ORDER BY received_at")]

    def outbox_rows_of(self, kind: str) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM outbox WHERE kind = ? ORDER BY created_at, id", (kind,)).fetchall()

    def outbox_heads_of(self, kind: str) -> list[sqlite3.Row]:
        """Id, state and envelope hash of each envelope of one kind (not the envelopes), oldest first."""
        return self.conn.execute("SELECT id, state, envelope_sha256 FROM outbox WHERE kind = ? ORDER BY created_at, id",
                                 (kind,)).fetchall()

    def outbox_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM outbox ORDER BY created_at, id").fetchall()

    def outbox_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())


def _state_of(receipt: dict[str, Any]) -> str:
    return {"accepted": "accepted", "duplicate": "accepted", "incomplete": "incomplete",
            "conflict": "conflict"}.get(receipt["status"], "rejected")


def document_of(envelope_text: str) -> dict[str, Any]:
    """The signed document inside a stored DSSE envelope (read only; the bytes stay as signed)."""
    return json.loads(base64.b64decode(json.loads(envelope_text)["payload"]))


class _Tx:
    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self.conn, self.lock = conn, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            self.conn.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self.lock.release()
