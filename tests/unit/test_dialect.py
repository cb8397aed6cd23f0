"""The database seam: query modules write SQL both engines read; what differs is in one dialect
module (sync_server/db/dialect.py), chosen by the connection; each engine has its migrations."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sync_server.db.dialect import DIALECTS, SQLITE, Dialect, dialect_of
from sync_server.db.migrations import BY_ENGINE, MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
# Keywords as the query modules write them (upper case, so that prose is not taken for SQL);
# functions in any case.
SQLITE_ONLY = {
    "INSERT OR …": r"\bINSERT\s+OR\s+\w+",
    "REPLACE INTO": r"\bREPLACE\s+INTO\b",
    "json_extract()": r"(?i)\bjson_extract\s*\(",
    "json_each()": r"(?i)\bjson_each\s*\(",
    "json_array()": r"(?i)\bjson_array\s*\(",
    "datetime('now')": r"(?i)\b(datetime|date|time|julianday|strftime)\s*\(\s*'",
    "iif()": r"(?i)\biif\s*\(",
    "INDEXED BY": r"\bINDEXED\s+BY\b",
    "NOT INDEXED": r"\bNOT\s+INDEXED\b",
    "PRAGMA": r"\bPRAGMA\b",
    "GROUP_CONCAT": r"(?i)\bgroup_concat\s*\(",
    "LIMIT -1": r"\bLIMIT\s+-1\b",
    "rowid": r"\b(rowid|_rowid_|oid)\b",
    "a summed comparison": r"(?i)\bsum\s*\([^()]*?(=|<|>|\bAND\b|\bNOT\b)",
    "BEGIN IMMEDIATE": r"\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)\b",
    "executescript": r"\bexecutescript\b",
    "instr()": r"(?i)\binstr\s*\(",
    "sum() of a boolean": r"(?i)\bsum\s*\(\s*(EXISTS|NOT)\b",
    "x'' blob literal": r"(?<![\w'])x'[0-9a-fA-F]*'",
}


def query_modules() -> list[Path]:
    """The engine-neutral SQL: every query module outside the engine's own folder (sync_server/db)."""
    found = {*ROOT.glob("sync_server/*/queries/*.py"), *ROOT.glob("sync_server/*/queries.py")}
    return sorted(p for p in found if p.name != "__init__.py")


def sqlite_only_forms(source: str) -> list[str]:
    """(form, line) of each SQLite-only spelling in the string literals of a module."""
    hits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            hits += [f"{form} at line {node.lineno}" for form, pattern in SQLITE_ONLY.items()
                     if re.search(pattern, node.value)]
    return hits


def test_there_are_query_modules_to_check() -> None:
    assert len(query_modules()) >= 10


@pytest.mark.parametrize("path", query_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_query_modules_write_the_sql_both_engines_share(path: Path) -> None:
    assert not sqlite_only_forms(path.read_text(encoding="utf-8")), path.relative_to(ROOT)


@pytest.mark.parametrize("snippet", ['"INSERT OR IGNORE INTO t VALUES (1)"', '"INSERT OR REPLACE INTO t VALUES (1)"',
                                     "\"SELECT json_extract(doc, '$.a') FROM t\"", '"FROM units u, json_each(u.tags) j"',
                                     "\"VALUES (?, datetime('now'))\"", '"SELECT sum(state = \'due\') FROM d"',
                                     '"SELECT iif(a, 1, 2) FROM t"', '"FROM d INDEXED BY d_name"', '"PRAGMA foreign_keys=ON"',
                                     '"SELECT rowid FROM t"', '"SELECT * FROM t LIMIT -1 OFFSET 3"',
                                     '"WHERE instr(CAST(entry AS TEXT), ?) > 0"', '"SELECT sum(EXISTS (SELECT 1)) FROM t"',
                                     "\"UPDATE t SET rows = x''\""])
def test_the_check_would_catch(snippet: str) -> None:
    assert sqlite_only_forms(f"x = {snippet}\n")


@pytest.mark.parametrize("snippet", ['"INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING"',
                                     "\"SELECT doc -> 'case' ->> 'decision_no' FROM t\"",
                                     "\"SELECT count(*) FILTER (WHERE state = 'due'), sum(late_days) FROM d\"",
                                     '"""Insert or replace the row; sum the days."""'])
def test_the_check_lets_the_shared_forms_through(snippet: str) -> None:
    assert not sqlite_only_forms(f"x = {snippet}\n")


def test_a_connection_without_a_dialect_is_sqlite() -> None:
    assert dialect_of(object()) is SQLITE


def test_an_engine_connection_names_its_dialect() -> None:
    other = Dialect(engine="other")

    class EngineConnection:
        dialect = other

    assert dialect_of(EngineConnection()) is other


def test_sqlite_fragments() -> None:
    assert SQLITE.json_each("u.tags", "j") == "json_each(u.tags) j"
    assert SQLITE.json_array("t.specialty") == "json_array(t.specialty)"
    assert SQLITE.json_text("t.specialties") == "t.specialties"
    assert SQLITE.blob_contains("entry") == "instr(entry, ?) > 0"
    assert SQLITE.indexed_by("disclosures_public_name") == " INDEXED BY disclosures_public_name"
    assert SQLITE.not_indexed == " NOT INDEXED"
    assert (SQLITE.begin_read, SQLITE.begin_write) == ("BEGIN", "BEGIN IMMEDIATE")
    assert "PRAGMA synchronous=FULL" in SQLITE.session_settings and "PRAGMA journal_mode=WAL" in SQLITE.session_settings


def test_every_engine_has_a_dialect_and_migrations() -> None:
    assert set(DIALECTS) == set(BY_ENGINE) == {"sqlite", "postgresql"}
    assert MIGRATIONS is BY_ENGINE["sqlite"], "earlier callers' name for the embedded default's list"
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(names) and len(set(names)) == len(names)
    # One schema change is a step in each engine's list, by the same name, in the same order.
    assert [name for name, _ in BY_ENGINE["postgresql"]] == names
