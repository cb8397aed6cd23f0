"""The house's rules, checked: pure code stays pure, SQL stays in query modules, and the tablet,
the contract and the product never import what they must not (docs/ARCHITECTURE.md)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_RULES = [ROOT / "schemas" / name for name in ("categories.py", "photo_refs.py", "specialties.py", "record.py",
                                                              "lab.py", "applicability.py")]
PURE = sorted(p for p in ROOT.glob("sync_server/**/core/*.py")) + \
    sorted((ROOT / "field_app" / "core").glob("*.py")) + SHARED_RULES
IO_MODULES = {"os", "time", "io", "sqlite3", "sqlite_utils", "httpx", "socket", "subprocess", "pathlib",
              "shutil", "tempfile", "starlette", "uvicorn", "PIL", "flet", "psycopg", "urllib.request",
              "schemas.clock", "schemas.contract"}
SQL = re.compile(r"\b(SELECT\s[\s\S]*?\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
                 r"|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)"
                 r"|PRAGMA\s+\w+|ON\s+CONFLICT)\b")
EXECUTE = {"execute", "executemany", "executescript"}


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (imports inside functions count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def under(name: str, prefixes: set[str]) -> set[str]:
    return {p for p in prefixes if name == p or name.startswith(p + ".")}


def is_core(module: str) -> bool:
    return ".core." in module or module.endswith(".core")


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_import_no_io(path: Path) -> None:
    bad = {name for name in imported(path) for _ in under(name, IO_MODULES)}
    adapters = {name for name in imported(path)
                if name.startswith(("sync_server.", "field_app.")) and not is_core(name)}
    assert not bad | adapters, f"{path.relative_to(ROOT)} imports {sorted(bad | adapters)}"


def test_the_io_check_would_catch_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "rule.py"
    sample.write_text("def f():\n    import sqlite3\n    from sync_server.db import connection\n")
    assert {"sqlite3", "sync_server.db.connection"} <= imported(sample)


@pytest.mark.parametrize("folder", ["schemas", "field_app"])
def test_the_tablet_and_the_contract_import_nothing_of_the_server(folder: str) -> None:
    bad = {f"{p.relative_to(ROOT)}: {name}" for p in python_files(folder) for name in imported(p)
           if under(name, {"sync_server", "demo", "verifier", "bench", "tests"})}
    assert not bad, sorted(bad)


def test_the_product_never_imports_the_demo() -> None:
    bad = {f"{p.relative_to(ROOT)}: {name}" for p in python_files("sync_server", "schemas", "field_app")
           for name in imported(p) if under(name, {"demo"})}
    assert not bad, sorted(bad)


def is_query_module(path: Path) -> bool:
    rel = path.relative_to(ROOT).parts
    return "queries" in rel or path.stem == "queries" or rel[:2] == ("sync_server", "db") or \
        rel[:2] == ("field_app", "store") or rel == ("field_app", "store.py")


def sql_in(source: str, name: str) -> list[str]:
    """SQL statements in string literals, and database calls, of one file."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{name}:{node.lineno} {SQL.search(node.value).group(0)[:30]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in EXECUTE:
            found.append(f"{name}:{node.lineno} .{node.func.attr}()")
    return found


def test_sql_lives_only_in_query_modules() -> None:
    offenders = [hit for p in python_files("sync_server", "field_app", "schemas") if not is_query_module(p)
                 for hit in sql_in(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert not offenders, offenders


@pytest.mark.parametrize("snippet", ['"PRAGMA user_version"', '"INSERT OR IGNORE INTO t VALUES (1)"',
                                     '"SELECT a\\n  FROM t"', 'conn.execute(x)', '"UPDATE units SET a = 1"',
                                     '"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"'])
def test_the_sql_check_would_catch(snippet: str) -> None:
    assert sql_in(f"x = {snippet}\n", "sample.py")


def test_the_sql_check_lets_prose_through() -> None:
    assert not sql_in('"""Select the units, then update the list; insert a row into the plan."""\n', "doc.py")


def test_only_the_database_seam_and_the_query_modules_import_an_engine_driver() -> None:
    """Services and routes depend on sync_server.db's Connection and Row, never on sqlite3 itself."""
    bad = {f"{p.relative_to(ROOT)}: {name}" for p in python_files("sync_server") if not is_query_module(p)
           for name in imported(p) if under(name, {"sqlite3", "sqlite_utils", "psycopg", "psycopg_pool"})}
    assert not bad, sorted(bad)
