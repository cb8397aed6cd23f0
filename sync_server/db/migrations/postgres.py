"""The PostgreSQL engine's schema migrations: the same steps, by the same names, as the SQLite list
(sync_server/db/migrations/sqlite.py), written in PostgreSQL's DDL.

What differs from the SQLite text, and why:
- `INTEGER` is `bigint` (SQLite's integers are 64-bit); `BLOB` is `bytea`;
- an id SQLite numbers itself (`id INTEGER PRIMARY KEY` with no value inserted: disclosures,
  visit_reassignments) is an identity column; ids the code assigns stay plain keys;
- JSON documents are `json`, which keeps the text as written (a signed document's bytes), and
  which the query modules read with `->` / `->>` and json_array_elements_text;
- triggers are a function and a trigger; WITHOUT ROWID has no meaning here.

tests/integration/test_pg_schema.py compares both engines' tables, columns, keys and indexes after
all migrations, so a step added to one list only fails a test. Like SQLite's, a released step is
never edited: a database records it as done.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from schemas.clock import utc_now

PgMigration = tuple[str, Callable[[Any], None]]


def statements(script: str) -> Callable[[Any], None]:
    """A step running each statement of a script on the connection, in the caller's transaction.
    A statement ends with `;` at the end of a line (a function body keeps its own inner ones)."""
    def step(conn: Any) -> None:
        pending = ""
        for part in script.split(";\n"):
            pending = f"{pending};\n{part}" if pending else part
            if pending.count("$$") % 2 == 0:   # not inside a function's body
                if pending.strip():
                    conn.raw.execute(pending)
                pending = ""
    return step


FOUNDATION = """
CREATE TABLE users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('admin','leader','inspector')),
    department TEXT NOT NULL DEFAULT '', specialties json NOT NULL DEFAULT '[]',
    cert_valid_until TEXT, phone TEXT NOT NULL DEFAULT '', active bigint NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL);
CREATE TABLE admin_tokens (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE enrollment_codes (
    code_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, device_id TEXT);
CREATE TABLE devices (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), name TEXT NOT NULL,
    algorithm TEXT NOT NULL, public_key TEXT NOT NULL, keyid TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL UNIQUE, status TEXT NOT NULL CHECK (status IN ('active','revoked')),
    enrolled_at TEXT NOT NULL, revoked_at TEXT);
CREATE INDEX devices_user ON devices(user_id);
CREATE TABLE units (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, specialty TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '', tags json NOT NULL DEFAULT '[]', risk TEXT NOT NULL DEFAULT 'A',
    complaints bigint NOT NULL DEFAULT 0, serious_violations bigint NOT NULL DEFAULT 0,
    covered bigint NOT NULL DEFAULT 1, contact TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
    town TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL);
CREATE INDEX units_specialty ON units(specialty);
CREATE TABLE items (
    code TEXT NOT NULL, version bigint NOT NULL, name TEXT NOT NULL, specialty TEXT NOT NULL,
    legal_basis TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', content TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '', frequency TEXT NOT NULL DEFAULT '', PRIMARY KEY (code, version));
CREATE TABLE plans (id TEXT PRIMARY KEY, year bigint NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE tasks (
    id TEXT PRIMARY KEY, plan_id TEXT NOT NULL REFERENCES plans(id), number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL, specialty TEXT NOT NULL, item_codes json NOT NULL, ratio_percent bigint NOT NULL,
    team_size bigint NOT NULL DEFAULT 2, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'planned');
CREATE TABLE assignments (
    id TEXT PRIMARY KEY, unit_id TEXT NOT NULL REFERENCES units(id), due TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open', version bigint NOT NULL DEFAULT 1,
    seq bigint NOT NULL UNIQUE, doc json NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE assignment_team (
    assignment_id TEXT NOT NULL REFERENCES assignments(id), user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (assignment_id, user_id));
CREATE INDEX assignment_team_user ON assignment_team(user_id, assignment_id);
CREATE TABLE assignment_tasks (
    assignment_id TEXT NOT NULL REFERENCES assignments(id), task_id TEXT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (assignment_id, task_id));
CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, bytes bigint NOT NULL, width bigint NOT NULL,
    height bigint NOT NULL, received_at TEXT NOT NULL, device_id TEXT NOT NULL);
CREATE TABLE records (
    id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL REFERENCES assignments(id),
    signer_id TEXT NOT NULL REFERENCES users(id), device_id TEXT NOT NULL REFERENCES devices(id),
    envelope bytea NOT NULL, envelope_sha256 TEXT NOT NULL, supersedes TEXT,
    state TEXT NOT NULL CHECK (state IN ('incomplete','received')),
    category TEXT NOT NULL, category_json json NOT NULL, received_at TEXT NOT NULL,
    log_index bigint NOT NULL);
CREATE INDEX records_assignment ON records(assignment_id);
CREATE TABLE record_missing_photos (
    record_id TEXT NOT NULL REFERENCES records(id), sha256 TEXT NOT NULL, PRIMARY KEY (record_id, sha256));
CREATE INDEX record_missing_photos_sha ON record_missing_photos(sha256);
CREATE TABLE audit_log (
    idx bigint PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    entry bytea NOT NULL, leaf_hash bytea NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""

PLANS_AND_DRAWS = """
CREATE TABLE item_list_versions (
    version bigint PRIMARY KEY, imported_at TEXT NOT NULL, source TEXT NOT NULL,
    sha256 TEXT NOT NULL, rows bigint NOT NULL);
ALTER TABLE tasks ADD COLUMN specialties json NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN strata json NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN risk_weights json;
ALTER TABLE tasks ADD COLUMN item_version bigint;
ALTER TABLE tasks ADD COLUMN redraw_of TEXT REFERENCES tasks(id);
ALTER TABLE tasks ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
CREATE TABLE task_exclusions (
    task_id TEXT NOT NULL REFERENCES tasks(id), unit_id TEXT NOT NULL REFERENCES units(id),
    reason TEXT NOT NULL CHECK (reason IN ('higher_level_sampling', 'not_covered', 'other')),
    note TEXT NOT NULL DEFAULT '', PRIMARY KEY (task_id, unit_id));
CREATE TABLE draw_exclusions (
    task_id TEXT NOT NULL REFERENCES tasks(id), inspector_id TEXT NOT NULL REFERENCES users(id),
    unit_id TEXT NOT NULL REFERENCES units(id), reason TEXT NOT NULL CHECK (reason IN ('recusal', 'rotation')),
    PRIMARY KEY (task_id, inspector_id, unit_id));
CREATE TABLE draws (
    task_id TEXT PRIMARY KEY REFERENCES tasks(id),
    announcement bytea NOT NULL, announcement_hash TEXT NOT NULL, announced_at TEXT NOT NULL,
    beacon TEXT NOT NULL, beacon_at TEXT NOT NULL, announce_log_index bigint NOT NULL,
    reveal bytea, revealed_at TEXT,
    result bytea, result_hash TEXT, drawn_at TEXT, draw_log_index bigint);
CREATE INDEX tasks_plan ON tasks(plan_id)
"""

REVIEWS = """
ALTER TABLE records ADD COLUMN review_state TEXT NOT NULL DEFAULT 'in_review';
CREATE TABLE reviews (
    id TEXT PRIMARY KEY, record_id TEXT NOT NULL REFERENCES records(id), leader_id TEXT NOT NULL REFERENCES users(id),
    device_id TEXT NOT NULL REFERENCES devices(id), decision TEXT NOT NULL CHECK (decision IN ('approve', 'return')),
    reason TEXT NOT NULL, envelope bytea NOT NULL, envelope_sha256 TEXT NOT NULL, received_at TEXT NOT NULL,
    log_index bigint NOT NULL);
CREATE INDEX reviews_record ON reviews(record_id);
CREATE TABLE notices (
    seq bigint PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), kind TEXT NOT NULL, doc json NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX notices_user ON notices(user_id, seq)
"""

CALENDAR = """
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY, is_workday bigint NOT NULL, name TEXT NOT NULL DEFAULT '', source TEXT NOT NULL);
CREATE TABLE calendar_years (year bigint PRIMARY KEY, source TEXT NOT NULL, loaded_at TEXT NOT NULL)
"""

DISCLOSURE = """
CREATE TABLE disclosures (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, no TEXT NOT NULL UNIQUE,
    record_id TEXT NOT NULL UNIQUE REFERENCES records(id),
    assignment_id TEXT NOT NULL REFERENCES assignments(id), unit_id TEXT NOT NULL, unit_name TEXT NOT NULL,
    specialty TEXT NOT NULL, year bigint NOT NULL, half bigint NOT NULL, inspected_on TEXT NOT NULL,
    record_category TEXT NOT NULL, category TEXT NOT NULL, tasks json NOT NULL, items json NOT NULL,
    handling json NOT NULL, body TEXT NOT NULL, approved_at TEXT NOT NULL,
    due_from TEXT NOT NULL, due_days bigint NOT NULL, due_on TEXT NOT NULL, due_provisional bigint NOT NULL,
    due_basis TEXT NOT NULL, revision bigint NOT NULL DEFAULT 0, state TEXT NOT NULL CHECK (state IN ('due', 'published')),
    first_published_on TEXT, published_at TEXT, published_on TEXT, doc_sha256 TEXT, log_index bigint);
CREATE TABLE disclosure_docs (id bigint PRIMARY KEY REFERENCES disclosures(id), doc bytea NOT NULL);
CREATE INDEX disclosures_state ON disclosures(state, due_on);
CREATE INDEX disclosures_public ON disclosures(id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_year ON disclosures(year, id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_ysc ON disclosures(year, specialty, category, id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_yc ON disclosures(year, category, id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_sc ON disclosures(specialty, category, id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_c ON disclosures(category, id) WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_public_name ON disclosures(unit_name, year, specialty, category, id)
    WHERE first_published_on IS NOT NULL;
CREATE INDEX disclosures_unit ON disclosures(unit_id);
CREATE TABLE disclosure_publications (
    disclosure_id bigint NOT NULL REFERENCES disclosures(id), revision bigint NOT NULL,
    due_from TEXT NOT NULL, due_days bigint NOT NULL, due_on TEXT NOT NULL, due_provisional bigint NOT NULL, due_basis TEXT NOT NULL,
    published_at TEXT NOT NULL, published_on TEXT NOT NULL, late_days bigint NOT NULL,
    doc_sha256 TEXT NOT NULL, log_index bigint NOT NULL, PRIMARY KEY (disclosure_id, revision));
CREATE TABLE followups (
    id TEXT PRIMARY KEY, record_id TEXT NOT NULL REFERENCES records(id),
    kind TEXT NOT NULL CHECK (kind IN ('reinspection', 'penalty', 'transfer')),
    on_date TEXT NOT NULL, doc json NOT NULL, by_user TEXT NOT NULL REFERENCES users(id),
    envelope bytea, envelope_sha256 TEXT NOT NULL, received_at TEXT NOT NULL, log_index bigint NOT NULL);
CREATE INDEX followups_record ON followups(record_id, kind);
CREATE TABLE reminders (
    record_id TEXT NOT NULL REFERENCES records(id), kind TEXT NOT NULL, sent_at TEXT NOT NULL,
    PRIMARY KEY (record_id, kind))
"""

RECORD_PHOTOS = """
CREATE TABLE record_photos (
    sha256 TEXT NOT NULL, record_id TEXT NOT NULL REFERENCES records(id), PRIMARY KEY (sha256, record_id))
"""


def _record_photos(conn: Any) -> None:
    """Which records name which photos, filled in for the records already stored (as on SQLite)."""
    from schemas import envelope
    from schemas.photo_refs import referenced_photos

    statements(RECORD_PHOTOS)(conn)
    insert = "INSERT INTO record_photos VALUES (?, ?) ON CONFLICT DO NOTHING"
    for record_id, raw in conn.execute("SELECT id, envelope FROM records").fetchall():
        shas = referenced_photos(envelope.parse(bytes(raw)).document())
        conn.executemany(insert, [(s, record_id) for s in shas])
    for record_id, doc in conn.execute("SELECT record_id, doc FROM followups WHERE kind = 'reinspection'").fetchall():
        conn.executemany(insert, [(s, record_id) for s in json.loads(doc).get("photos", [])])


OFFICE_SESSIONS = """
CREATE TABLE office_sessions (
    id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL REFERENCES admin_tokens(token_hash),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX office_sessions_expiry ON office_sessions(expires_at);
CREATE TABLE auth_failures (scope TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX auth_failures_subject ON auth_failures(scope, subject, at);
CREATE INDEX auth_failures_at ON auth_failures(at)
"""

REVIEW_COMMENT = """
ALTER TABLE reviews ADD COLUMN comment TEXT NOT NULL DEFAULT ''
"""

LAB_RESULTS = """
CREATE TABLE lab_results (
    id TEXT PRIMARY KEY, record_id TEXT NOT NULL REFERENCES records(id), item_code TEXT NOT NULL,
    sample_no TEXT NOT NULL, outcome TEXT NOT NULL CHECK (outcome IN ('compliant', 'non_compliant')),
    source TEXT NOT NULL CHECK (source IN ('device', 'office')), doc json NOT NULL,
    by_user TEXT NOT NULL REFERENCES users(id), envelope bytea, envelope_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL, log_index bigint NOT NULL, UNIQUE (record_id, item_code))
"""

OFFICER_KEYS = """
ALTER TABLE devices ADD COLUMN host_device_id TEXT REFERENCES devices(id);
CREATE INDEX devices_host ON devices(host_device_id) WHERE host_device_id IS NOT NULL
"""

ITEM_APPLICABILITY = """
ALTER TABLE items ADD COLUMN applies_to json NOT NULL DEFAULT '[]'
"""

OFFICE_ACCOUNTS = """
CREATE TABLE office_accounts (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','clerk','auditor')),
    password_hash TEXT NOT NULL, active bigint NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, password_changed_at TEXT NOT NULL,
    must_change_password bigint NOT NULL DEFAULT 0);
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES office_accounts(id),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
DROP TABLE office_sessions
"""

# A published plan version is never updated or deleted: SQLite's two triggers, as one function.
PLAN_DOCUMENTS = """
CREATE TABLE plan_versions (
    plan_id TEXT NOT NULL REFERENCES plans(id), version bigint NOT NULL, title TEXT NOT NULL,
    body TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')), edit bigint NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, created_by_name TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL, updated_by TEXT NOT NULL, updated_by_name TEXT NOT NULL DEFAULT '',
    published_at TEXT, published_by TEXT, published_by_name TEXT, content bytea, sha256 TEXT,
    PRIMARY KEY (plan_id, version));
CREATE UNIQUE INDEX plan_versions_one_draft ON plan_versions(plan_id) WHERE state = 'draft';
CREATE FUNCTION plan_versions_published_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a published plan version is never deleted';
    END IF;
    RAISE EXCEPTION 'a published plan version is immutable';
END $$;
CREATE TRIGGER plan_versions_published_fixed BEFORE UPDATE ON plan_versions
    FOR EACH ROW WHEN (OLD.state = 'published') EXECUTE FUNCTION plan_versions_published_immutable();
CREATE TRIGGER plan_versions_published_kept BEFORE DELETE ON plan_versions
    FOR EACH ROW WHEN (OLD.state = 'published') EXECUTE FUNCTION plan_versions_published_immutable()
"""

VISIT_REASSIGNMENTS = """
CREATE TABLE visit_reassignments (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, assignment_id TEXT NOT NULL REFERENCES assignments(id),
    replaced TEXT NOT NULL REFERENCES users(id), replacement TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', by TEXT NOT NULL, at TEXT NOT NULL,
    log_index bigint NOT NULL);
CREATE INDEX visit_reassignments_assignment ON visit_reassignments(assignment_id)
"""

DEVICE_LAST_SEEN = """
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
ALTER TABLE devices ADD COLUMN revoked_by TEXT;
ALTER TABLE devices ADD COLUMN revoke_reason TEXT
"""

DRAW_CEREMONY = """
CREATE TABLE draw_witnesses (
    id TEXT PRIMARY KEY, task_id TEXT NOT NULL REFERENCES tasks(id), position bigint NOT NULL,
    name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    commitment TEXT, committed_at TEXT, nonce TEXT, opened_at TEXT,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, UNIQUE (task_id, position));
CREATE TABLE draw_resolutions (
    task_id TEXT NOT NULL REFERENCES tasks(id), unit_id TEXT NOT NULL, team TEXT NOT NULL,
    reason TEXT NOT NULL, resolved_by TEXT NOT NULL, resolved_at TEXT NOT NULL, log_index bigint NOT NULL,
    PRIMARY KEY (task_id, unit_id))
"""

REGISTRY_CONSOLE = """
CREATE TABLE registry_staged_imports (
    id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('units','inspectors','items')),
    filename TEXT NOT NULL, sha256 TEXT NOT NULL, bytes bigint NOT NULL, created_at TEXT NOT NULL,
    basis TEXT NOT NULL, summary TEXT NOT NULL, errors bytea NOT NULL, rows bytea NOT NULL,
    state TEXT NOT NULL DEFAULT 'previewed' CHECK (state IN ('previewed','applied')), applied_at TEXT);
CREATE INDEX registry_staged_imports_created ON registry_staged_imports(created_at);
ALTER TABLE item_list_versions ADD COLUMN imported_by TEXT NOT NULL DEFAULT '';
ALTER TABLE item_list_versions ADD COLUMN filename TEXT NOT NULL DEFAULT '';
CREATE INDEX units_name ON units(name, id);
CREATE INDEX audit_log_subject ON audit_log(subject, idx)
"""

UNIT_LIST_INDEXES = """
CREATE INDEX units_town ON units(town);
CREATE INDEX units_category ON units(category)
"""

# Tasks handed down by a higher level (国抽、省抽、市抽): the same DDL as SQLite's 020.
HANDED_DOWN_TASKS = """
ALTER TABLE tasks ADD COLUMN origin TEXT NOT NULL DEFAULT 'own'
    CHECK (origin IN ('own', 'national', 'province', 'city'));
ALTER TABLE tasks ADD COLUMN origin_office TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN origin_number TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN origin_document TEXT NOT NULL DEFAULT '';
CREATE TABLE handed_down_units (
    task_id TEXT NOT NULL REFERENCES tasks(id), unit_id TEXT NOT NULL REFERENCES units(id),
    PRIMARY KEY (task_id, unit_id));
CREATE INDEX handed_down_units_unit ON handed_down_units(unit_id, task_id)
"""

OFFICES = """
CREATE TABLE offices (
    code TEXT PRIMARY KEY, name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province','city','county')),
    kind TEXT NOT NULL DEFAULT 'commission' CHECK (kind IN ('commission','institute')),
    parent TEXT REFERENCES offices(code), created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX offices_parent ON offices(parent)
"""

MIGRATIONS: list[PgMigration] = [
    ("001_foundation", statements(FOUNDATION)),
    ("002_plans_and_draws", statements(PLANS_AND_DRAWS)),
    ("003_reviews", statements(REVIEWS)),
    ("004_calendar", statements(CALENDAR)),
    ("005_disclosure", statements(DISCLOSURE)),
    ("006_record_photos", _record_photos),
    ("007_office_sessions", statements(OFFICE_SESSIONS)),
    ("008_review_comment", statements(REVIEW_COMMENT)),
    ("009_lab_results", statements(LAB_RESULTS)),
    ("010_officer_keys", statements(OFFICER_KEYS)),
    ("011_item_applicability", statements(ITEM_APPLICABILITY)),
    ("012_office_accounts", statements(OFFICE_ACCOUNTS)),
    ("013_plan_documents", statements(PLAN_DOCUMENTS)),
    ("014_visit_reassignments", statements(VISIT_REASSIGNMENTS)),
    ("015_device_last_seen", statements(DEVICE_LAST_SEEN)),
    ("016_draw_ceremony", statements(DRAW_CEREMONY)),
    ("017_registry_console", statements(REGISTRY_CONSOLE)),
    ("018_unit_list_indexes", statements(UNIT_LIST_INDEXES)),
    ("019_offices", statements(OFFICES)),
    ("020_handed_down_tasks", statements(HANDED_DOWN_TASKS)),
]

# Serializes migrating one schema across processes (several workers starting at once).
MIGRATION_LOCK = 0x5e_1ec7_0000


def migrate(conn: Any) -> list[str]:
    """Create the connection's schema if needed and apply the steps not yet applied there; return
    their names. PostgreSQL's DDL is transactional, so the pending steps run in one transaction
    (each in a savepoint), holding a lock so that workers starting together wait for each other."""
    applied: list[str] = []
    raw = conn.raw
    raw.execute("BEGIN")
    try:
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{conn.schema}"')
        raw.execute(f'SET LOCAL search_path TO "{conn.schema}"')
        raw.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
        done = {row[0] for row in raw.execute("SELECT name FROM migrations").fetchall()}
        for name, step in MIGRATIONS:
            if name in done:
                continue
            raw.execute("SAVEPOINT step")
            step(conn)
            raw.execute("INSERT INTO migrations (name, applied_at) VALUES (%s, %s)", (name, utc_now()))
            raw.execute("RELEASE SAVEPOINT step")
            applied.append(name)
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    return applied
