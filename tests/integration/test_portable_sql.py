"""The shared SQL forms mean on SQLite what the SQLite-only ones they replaced meant: upserts keep
the last write, `->>` reads what json_extract read, FILTER counts what summed comparisons counted,
and the dialect's fragments run (sync_server/db/dialect.py).

sqlite_only: these compare the shared forms with the SQLite-only spellings they replaced
(json_extract, iif, sums of comparisons), which PostgreSQL does not have; the PostgreSQL pass
runs the shared forms through every other test."""
from __future__ import annotations

from pathlib import Path

import pytest

from sync_server.db.connection import open_db, transaction
from sync_server.db.dialect import SQLITE
from sync_server.db.meta import get_meta, set_meta
from sync_server.disclosure.queries import disclosures
from sync_server.planning.queries.assignments import next_seq
from sync_server.records.queries.photos import insert_photo

pytestmark = pytest.mark.sqlite_only

DOCS = ['{"rectify": {"status": "pending", "deadline": "2026-12-01"}, "case": {"decision_no": null}}',
        '{"case": null}', '{}', '{"rectify": {"status": "met"}, "case": {"decision_no": "卫罚〔2026〕1号"}}',
        '[{"number": "T-1"}, {"number": "T-2"}]', '[]']


@pytest.fixture()
def conn(tmp_path: Path):
    db = open_db(tmp_path / "s.db")
    yield db
    db.close()


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("old, new", [("'$.rectify.status'", "-> 'rectify' ->> 'status'"),
                                      ("'$.case'", "->> 'case'"),
                                      ("'$.case.decision_no'", "-> 'case' ->> 'decision_no'"),
                                      ("'$[0].number'", "-> 0 ->> 'number'")])
def test_arrows_read_what_json_extract_read(conn, doc: str, old: str, new: str) -> None:
    if doc.startswith("[") != ("[" in old):
        return
    was, now = conn.execute(f"SELECT json_extract(?, {old}), ? {new}", (doc, doc)).fetchone()
    assert now == was


def test_upserts_keep_the_last_write_and_ignores_keep_the_first(conn) -> None:
    with transaction(conn):
        set_meta(conn, "body_name", "一")
        set_meta(conn, "body_name", "二")
        photo = {"sha256": "a" * 64, "media_type": "image/jpeg", "bytes": 1, "width": 1, "height": 1,
                 "received_at": "2026-11-23T02:00:00.000Z", "device_id": "d1"}
        assert insert_photo(conn, photo) is True
        assert insert_photo(conn, {**photo, "bytes": 2}) is False
    assert get_meta(conn, "body_name") == "二"
    assert conn.execute("SELECT bytes FROM photos").fetchone()[0] == 1


def test_filtered_counts_of_nothing_are_zero_as_the_sums_were(conn) -> None:
    status = disclosures.count_status(conn, "2026-11-23")
    assert set(status.values()) == {0}


def test_the_feed_sequence_continues_after_both_tables(conn) -> None:
    assert next_seq(conn) == 1
    with transaction(conn):
        conn.execute("INSERT INTO users (id, name, role, created_at) VALUES ('u1', '张三', 'inspector', 'x')")
        conn.execute("INSERT INTO notices VALUES (7, 'u1', 'k', '{}', 'x')")
    assert next_seq(conn) == 8


def test_the_sqlite_fragments_run(conn) -> None:
    sql = (f"SELECT j.value FROM {SQLITE.json_each(SQLITE.json_array('?'), 'j')}"
           f" UNION ALL SELECT count(*) FROM units{SQLITE.not_indexed}")
    assert [row[0] for row in conn.execute(sql, ("medical",))] == ["medical", 0]
    assert conn.execute(f"SELECT count(*) FROM disclosures{SQLITE.indexed_by('disclosures_public_name')}"
                        " WHERE first_published_on IS NOT NULL").fetchone()[0] == 0
