"""The tablet's app.db is kept across app updates: a file made by the previous app opens with the
current store, is brought forward in place, and everything in it is still there and usable (real
SQLite files in tmp_path)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from field_app import store
from field_app.store import LocalStore

# The tables exactly as the app at git 20eb1f6 made them (`git show 20eb1f6:field_app/store.py`).
PREVIOUS_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS drafts (
    assignment_id TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    record_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, supersedes TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS submissions_assignment ON submissions(assignment_id, created_at);
CREATE TABLE IF NOT EXISTS review_queue (
    record_id TEXT PRIMARY KEY, item TEXT NOT NULL, fetched_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reminders (
    record_id TEXT PRIMARY KEY, doc TEXT NOT NULL, received_at TEXT NOT NULL);
"""
DRAFT = '{"assignment_id":"a1","outcome":"inspected","findings":{"T1/GG-001":{"outcome":"compliant"}}}'
SHA = "ab" * 32


def previous_app_db(path: Path) -> None:
    """An app.db as the previous app left it: a draft, a queued record naming a photo, the photo."""
    conn = sqlite3.connect(path)
    for statement in store.statements(PREVIOUS_SCHEMA):
        conn.execute(statement)
    conn.execute("INSERT INTO drafts VALUES ('a1', ?, '2026-11-20T09:00:00Z')", (DRAFT,))
    conn.execute("INSERT INTO outbox (id, kind, envelope, envelope_sha256, created_at) VALUES (?,?,?,?,?)",
                 ("r1", "record", "{}", "0" * 64, "2026-11-20T10:00:00Z"))
    conn.execute("INSERT INTO outbox_photos VALUES ('r1', ?)", (SHA,))
    conn.execute("INSERT INTO submissions VALUES ('r1', 'a2', NULL, '2026-11-20T10:00:00Z')")
    conn.execute("INSERT INTO photos (sha256, path, bytes) VALUES (?, '/photos/x.jpg', 1234)", (SHA,))
    conn.commit()
    conn.close()


def columns(local: LocalStore) -> list[str]:
    return [row[1] for row in local.conn.execute("PRAGMA table_info(outbox)")]


def test_a_previous_app_db_opens_with_everything_in_it_usable(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    previous_app_db(path)
    local = LocalStore(path)
    assert local.conn.execute("PRAGMA user_version").fetchone()[0] == store.VERSION
    assert local.get_draft("a1")["findings"]["T1/GG-001"]["outcome"] == "compliant"
    assert [row["id"] for row in local.sendable(10)] == ["r1"], "the queued record is still there, still pending"
    assert [row["sha256"] for row in local.photos_to_upload()] == [SHA]
    assert [(r["record_id"], r["state"]) for r in local.submissions()] == [("r1", "pending")]

    local.save_draft("a1", {"assignment_id": "a1", "note": "继续"}, "2026-11-20T10:05:00Z")
    local.mark_photo(SHA, uploaded=True)
    local.park("r1", {"code": "internal.error", "message_zh": "服务器内部错误", "status": 500}, "2026-11-20T11:00:00Z")
    assert local.sendable(10) == [] and [row["id"] for row in local.parked()] == ["r1"]
    assert local.parked(before="2026-11-20T10:59:59Z") == [], "parked after that moment"
    assert local.photos_to_upload() == []
    local.close()

    again = LocalStore(path)   # opening an up-to-date file again changes nothing
    assert columns(again).count("parked_at") == 1 and again.outbox_counts() == {"parked": 1}
    assert again.get_draft("a1") == {"assignment_id": "a1", "note": "继续"}
    again.close()


def test_a_new_app_db_goes_through_the_same_steps(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "app.db")
    second = LocalStore(tmp_path / "app.db")    # the sync thread's own connection to the same file
    assert "parked_at" in columns(local) and "parked_at" in columns(second)
    assert second.conn.execute("PRAGMA user_version").fetchone()[0] == store.VERSION
    local.close()
    second.close()


def test_a_new_file_and_an_upgraded_one_have_the_same_tables(tmp_path: Path) -> None:
    previous_app_db(tmp_path / "old.db")
    upgraded, new = LocalStore(tmp_path / "old.db"), LocalStore(tmp_path / "new.db")
    shape = "SELECT name, sql FROM sqlite_master ORDER BY name"
    assert [tuple(r) for r in upgraded.conn.execute(shape)] == [tuple(r) for r in new.conn.execute(shape)]
    upgraded.close()
    new.close()


def test_every_table_change_is_a_numbered_step() -> None:
    numbers = [target for target, _ in store.MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))
    assert "IF NOT EXISTS" not in store.FIRST, "tables are made once, by FIRST or a step, never on every start"
