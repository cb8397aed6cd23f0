"""Imports of the two registries and the item list from .xlsx or .csv (docs/IMPORTS.md).

All or nothing: a file with any bad row changes nothing and every bad row is reported with its
row number and reason, unless the office asks to skip them. Rows are upserted by key (USCC,
certificate number), so a re-import updates. Each item-list import is a new version; older
versions stay. Reader and codec errors are mapped here, at the boundary.
"""
from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sync_server.audit import service as audit
from schemas.clock import utc_now
from sync_server.db import Connection
from sync_server.registry.core.import_rules import RowError, check_rows, missing_columns
from sync_server.errors import BadRequest
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users
from sync_server.db.connection import transaction
from sync_server.xlsx.reader import XlsxError, read_rows

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")    # Excel 97-2003 .xls, or a password-protected .xlsx
XLS_ZH = ("该文件是旧版 Excel 97-2003（.xls）格式或设有打开密码，无法读取。"
          "请在 Excel 中另存为 .xlsx 格式后再导入（如设有密码，请先取消密码）")
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    kind: str
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    version: int | None = None

    @property
    def written(self) -> bool:
        return self.inserted + self.updated > 0


def read_table(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and rows (with the row numbers a spreadsheet shows) of an .xlsx or .csv file."""
    if not path.exists():
        raise BadRequest("import.no_file", f"no file {path}", f"找不到文件：{path}")
    return _table(_xlsx_rows(path) if _is_workbook(path) else _csv_rows(path.read_bytes()))


def read_upload(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The same for an uploaded file's bytes (the office console): a workbook is read from a
    temporary file, since the reader's checks and calamine read a path."""
    if not _workbook_magic(data[:8], Path(filename or "upload").suffix):
        return _table(_csv_rows(data))
    with tempfile.TemporaryDirectory(prefix="suijian-upload-") as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(data)
        return _table(_xlsx_rows(path))


def _table(rows: list[tuple[int, list[Any]]]) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    numbered = [(n, r) for n, r in rows if any(v not in (None, "") for v in r)]
    if not numbered:
        raise BadRequest("import.empty", "the file has no rows", "文件是空的，没有表头和数据")
    (_, header), body = numbered[0], numbered[1:]
    names = [str(h).strip() if h is not None else "" for h in header]
    return names, [(n, dict(zip(names, r))) for n, r in body]


def _is_workbook(path: Path) -> bool:
    """By the first bytes, whatever the name: an .xlsx is a zip; an old .xls (OLE2) is refused."""
    with path.open("rb") as file:
        magic = file.read(8)
    return _workbook_magic(magic, path.suffix)


def _workbook_magic(magic: bytes, suffix: str) -> bool:
    if magic == OLE2_MAGIC:
        raise BadRequest("import.bad_xlsx", "an OLE2 file (.xls or an encrypted workbook), not .xlsx", XLS_ZH)
    return magic.startswith(ZIP_MAGIC) or suffix.lower() in (".xlsx", ".xlsm")


def _xlsx_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        return list(read_rows(str(path)))
    except XlsxError as exc:
        raise BadRequest("import.bad_xlsx", f"not a readable .xlsx: {exc}", exc.message_zh) from exc


def _csv_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    text = _decode(data)
    dialect = csv.excel_tab if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else csv.excel
    return list(enumerate(csv.reader(io.StringIO(text), dialect), start=1))


def _decode(data: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise BadRequest("import.encoding", "neither UTF-8 nor GB18030", "无法识别文件编码（应为 UTF-8 或 GB18030）")


def check_file(kind: str, path: Path) -> tuple[list[dict[str, Any]], list[RowError]]:
    return check_table(kind, *read_table(path))


def check_table(kind: str, headers: list[str],
                rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    missing = missing_columns(kind, headers)
    if missing:
        return [], [RowError(0, column, "缺少该列（表头）") for column in missing]
    if not rows:
        raise BadRequest("import.empty", "a header and no rows", "文件只有表头，没有数据行")
    return check_rows(kind, rows)


def import_file(conn: Connection, kind: str, path: Path, skip_errors: bool = False,
                report: Progress | None = None) -> ImportResult:
    good, errors = check_file(kind, path)
    result = ImportResult(kind, errors=errors, skipped=len({e.row for e in errors if e.row}))
    if (errors and not skip_errors) or any(e.row == 0 for e in errors) or not good:
        return result
    with transaction(conn):
        write_rows(conn, kind, good, result, report)
        audit.append(conn, "registry.imported", kind, utc_now(), rows=len(good), skipped=result.skipped,
                     sha256=hashlib.sha256(path.read_bytes()).hexdigest(), version=result.version)
    return result


def write_rows(conn: Connection, kind: str, rows: list[dict[str, Any]], result: ImportResult,
               report: Progress | None = None, by: str = "", filename: str = "") -> None:
    """Write checked rows (inside the caller's transaction): upsert units or officers, or a new
    item-list version holding them all (`by` and `filename` are kept with the version)."""
    now = utc_now()
    if kind == "items":
        result.version = registry.next_item_version(conn)
        registry.upsert_items(conn, rows, result.version)
        registry.insert_item_list_version(conn, result.version, now, "import", _digest(rows), len(rows), by, filename)
        result.inserted = len(rows)
        return
    table = "units" if kind == "units" else "users"
    existing = registry.list_existing_ids(conn, table, [r["id"] for r in rows])
    result.updated = len(existing)
    result.inserted = len(rows) - len(existing)
    for start in range(0, len(rows), 5000):
        part = rows[start:start + 5000]
        if kind == "units":
            registry.upsert_units(conn, part, now)
        else:
            users.upsert_users(conn, [{**r, "role": r.get("role") or "inspector"} for r in part], now)
        if report:
            report("导入", min(start + 5000, len(rows)), len(rows))


def _digest(rows: list[dict[str, Any]]) -> str:
    from schemas.jcs import canonicalize
    return hashlib.sha256(canonicalize(rows)).hexdigest()


