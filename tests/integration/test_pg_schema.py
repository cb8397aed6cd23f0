"""Both engines' schemas are the same after all migrations: tables, columns (in order, with their
NOT NULL and a type of the same kind), primary keys and named indexes. A migration added to one
engine's list only, or written differently in the other, fails here. Also: the same migration
names are recorded, an office's schema is migrated like the root's, and migrating twice (two
workers starting at once) applies nothing twice."""
from __future__ import annotations

import threading
from pathlib import Path

from sync_server.db.connection import open_db
from sync_server.db.migrations import BY_ENGINE
from sync_server.db.migrations.postgres import migrate
from tests.support import postgres

# A column's kind: SQLite's declared type and PostgreSQL's, as the two migration lists map them.
KINDS = {"INTEGER": "integer", "bigint": "integer", "TEXT": "text", "text": "text", "json": "text",
         "BLOB": "bytes", "bytea": "bytes", "": "text"}


def sqlite_schema(path: Path) -> dict:
    conn = open_db(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        schema = {}
        for table in tables:
            columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
            key = [c["name"] for c in sorted((c for c in columns if c["pk"]), key=lambda c: c["pk"])]
            indexes = {}
            for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
                if index["origin"] != "c":   # made by a PRIMARY KEY or UNIQUE constraint: compared as keys
                    continue
                cols = [c["name"] for c in conn.execute(f"PRAGMA index_info({index['name']})")]
                indexes[index["name"]] = (cols, bool(index["unique"]), bool(index["partial"]))
            schema[table] = {"columns": [(c["name"], KINDS[c["type"]], bool(c["notnull"]) or bool(c["pk"]))
                                         for c in columns],
                             "key": key, "indexes": indexes}
        return schema
    finally:
        conn.close()


def postgres_schema(url: str, schema_name: str = "public") -> dict:
    conn = open_db(url) if schema_name == "public" else open_db(url, schema_name.removeprefix("office_"))
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'"
            " ORDER BY table_name", (schema_name,))]
        schema = {}
        for table in tables:
            columns = conn.execute(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
                " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", (schema_name, table)).fetchall()
            key = [r[0] for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
                " WHERE n.nspname = ? AND c.relname = ? AND i.indisprimary ORDER BY k.position",
                (schema_name, table))]
            indexes = {}
            for row in conn.execute(
                    "SELECT ic.relname, i.indisunique, i.indpred IS NOT NULL,"
                    " array_agg(a.attname ORDER BY k.position)"
                    " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
                    " WHERE n.nspname = ? AND c.relname = ? AND NOT i.indisprimary"
                    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k2 WHERE k2.conindid = i.indexrelid)"
                    " GROUP BY ic.relname, i.indisunique, i.indpred IS NOT NULL", (schema_name, table)):
                indexes[row[0]] = (list(row[3]), bool(row[1]), bool(row[2]))
            schema[table] = {"columns": [(c[0], KINDS[c[1]], c[2] == "NO") for c in columns],
                             "key": key, "indexes": indexes}
        return schema
    finally:
        conn.close()


def unique_constraints_sqlite(path: Path) -> set:
    conn = open_db(path)
    try:
        found = set()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            for index in conn.execute(f"PRAGMA index_list({table})").fetchall():
                if index["origin"] == "u":
                    found.add((table, tuple(c["name"] for c in conn.execute(f"PRAGMA index_info({index['name']})"))))
        return found
    finally:
        conn.close()


def unique_constraints_postgres(url: str) -> set:
    conn = open_db(url)
    try:
        return {(r[0], tuple(r[1])) for r in conn.execute(
            "SELECT c.relname, array_agg(a.attname ORDER BY k.position) FROM pg_constraint u"
            " JOIN pg_class c ON c.oid = u.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN LATERAL unnest(u.conkey) WITH ORDINALITY AS k(attnum, position) ON true"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
            " WHERE n.nspname = 'public' AND u.contype = 'u' GROUP BY u.oid, c.relname")}
    finally:
        conn.close()


def fresh_postgres() -> str:
    cluster = postgres.cluster()
    name = cluster.create_database()
    return cluster.url(name)


def test_both_engines_have_the_same_schema_after_all_migrations(tmp_path: Path) -> None:
    url = fresh_postgres()
    try:
        lite, pg = sqlite_schema(tmp_path / "s.db"), postgres_schema(url)
        assert sorted(pg) == sorted(lite), "the same tables"
        for table in lite:
            assert pg[table]["columns"] == lite[table]["columns"], f"{table}: columns, kinds, NOT NULL"
            assert pg[table]["key"] == lite[table]["key"], f"{table}: primary key"
            assert pg[table]["indexes"] == lite[table]["indexes"], f"{table}: named indexes"
        assert unique_constraints_postgres(url) == unique_constraints_sqlite(tmp_path / "s.db")
        conn = open_db(url)
        names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY name")]
        conn.close()
        assert names == [name for name, _ in BY_ENGINE["sqlite"]] == [name for name, _ in BY_ENGINE["postgresql"]]
    finally:
        postgres.cluster().drop_database(url.rsplit("/", 1)[1])


def test_an_office_schema_is_migrated_as_the_root_and_migrating_again_applies_nothing() -> None:
    url = fresh_postgres()
    try:
        root = postgres_schema(url)
        assert postgres_schema(url, "office_370102") == root
        # Three processes' worth of connections opening a new office's schema at once: one creates
        # and migrates it, the others wait for it and find nothing left to do.
        conns: list = []
        threads = [threading.Thread(target=lambda: conns.append(open_db(url, "370103"))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(conns) == 3
        assert [migrate(c) for c in conns] == [[], [], []]
        counts = conns[0].execute("SELECT count(*), count(DISTINCT name) FROM migrations").fetchone()
        assert counts[0] == counts[1] == len(BY_ENGINE["postgresql"])
        for c in conns:
            c.close()
    finally:
        postgres.cluster().drop_database(url.rsplit("/", 1)[1])
