"""The server's house, as docs/ARCHITECTURE.md draws it: a small root, domain folders, no import
cycles (not even ones hidden inside functions)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "sync_server"
ROOT_MODULES = {"__init__.py", "__main__.py", "app.py", "settings.py", "errors.py", "cli.py"}
DOMAINS = {"accounts", "audit", "registry", "planning", "records", "disclosure", "reports", "office", "public",
           "platform"}
PLUMBING = {"web", "db", "xlsx", "blobs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports, at any depth of the file."""
    modules = {module_name(p): p for p in folder.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                targets = {alias.name for alias in node.names}
            else:
                continue
            graph[name] |= (targets & modules.keys()) - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = stack[stack.index(node):]
                    del stack[stack.index(node):]
                    if len(component) > 1:
                        found.append(component)
            elif step not in index:
                index[step] = low[step] = len(index)
                stack.append(step)
                work.append((step, iter(sorted(graph[step]))))
            elif step in stack:
                low[node] = min(low[node], index[step])
    return found


def test_the_root_holds_only_the_app_settings_errors_and_cli() -> None:
    assert {p.name for p in SERVER.glob("*.py")} == ROOT_MODULES


def test_every_folder_is_a_domain_or_named_plumbing() -> None:
    folders = {p.name for p in SERVER.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == DOMAINS | PLUMBING, "a new folder belongs in docs/ARCHITECTURE.md and here"


def test_the_server_has_no_import_cycle() -> None:
    assert cycles(import_graph(SERVER)) == []


def test_the_cycle_check_finds_one() -> None:
    found = cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()})
    assert [sorted(component) for component in found] == [["a", "b", "c"]]
