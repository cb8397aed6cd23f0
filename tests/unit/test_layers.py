"""Pure code stays pure: the core packages import no I/O module and no adapter."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = sorted((ROOT / "sync_server" / "core").glob("*.py")) + sorted((ROOT / "field_app" / "core").glob("*.py"))
FORBIDDEN = {"sqlite3", "sqlite_utils", "httpx", "socket", "subprocess", "pathlib", "shutil", "starlette",
             "uvicorn", "PIL", "flet", "sync_server.queries", "sync_server.resources", "sync_server.app",
             "field_app.store", "field_app.sync"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_import_no_io(path: Path) -> None:
    bad = {name for name in imported(path) for f in FORBIDDEN if name == f or name.startswith(f + ".")}
    assert not bad, f"{path.name} imports {bad}"


def test_sql_lives_only_in_query_modules() -> None:
    offenders = []
    for path in (ROOT / "sync_server").rglob("*.py"):
        if "queries" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if any(word in text for word in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM")):
            offenders.append(path.name)
    assert not offenders, f"SQL outside sync_server/queries: {offenders}"
