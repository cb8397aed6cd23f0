"""CLI for the office's imports: `import-units`, `import-inspectors`, `import-items`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from sync_server.db.connection import open_db
from sync_server.registry.imports import ImportResult, import_file

KINDS = {"import-units": ("units", "检查对象名录"), "import-inspectors": ("inspectors", "执法检查人员名录"),
         "import-items": ("items", "抽查事项清单")}



def progress(label: str, done: int, total: int) -> None:
    """A progress bar on stderr for long imports: `label [#####.....] done/total`."""
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r{label:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
          file=sys.stderr, flush=True)

def cmd_import(args: argparse.Namespace) -> int:
    kind, label = KINDS[args.command]
    conn = open_db(args.db)
    result = import_file(conn, kind, Path(args.file), skip_errors=args.skip_errors, report=progress)
    for error in result.errors:
        print(error, file=sys.stderr)
    if result.errors and not result.written:
        print(f"{label}：发现 {len(result.errors)} 处错误，未导入任何数据。{_hint(result, args.skip_errors)}",
              file=sys.stderr)
        return 1
    version = f"（第 {result.version} 版）" if result.version else ""
    print(f"{label}{version}：新增 {result.inserted}、更新 {result.updated}、跳过 {result.skipped}")
    return 0


def _hint(result: ImportResult, skip_errors: bool) -> str:
    if any(error.row == 0 for error in result.errors):
        return "请补齐缺少的列（表头）后重新导入。"
    if skip_errors:
        return "没有一行无误，没有可导入的数据。"
    return "修正后重新导入，或加 --skip-errors 只导入无误的行。"


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    for name, (_, label) in KINDS.items():
        cmd = command(sub, name, cmd_import, f"import the {label} from .xlsx or .csv (docs/IMPORTS.md)")
        cmd.add_argument("file")
        cmd.add_argument("--skip-errors", action="store_true", help="import the good rows, report the bad")
