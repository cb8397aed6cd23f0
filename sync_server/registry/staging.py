"""The office console's imports in two steps: a preview kept on the server, then its confirm.

`prepare` reads and checks an uploaded file and compares it with the registry (read only; the
reader's size and zip-bomb checks apply); `stage` keeps the result in registry_staged_imports
under a random id bound to the office account that uploaded it, with the file's SHA-256 and a
digest of the registry rows the counts were computed against (`basis`). Nothing of the file is
applied yet, and the browser holds only the id and the SHA-256.

`confirm` applies a preview all or nothing, in the caller's one write transaction: it refuses a
preview of another account, one already applied, one older than STAGED_HOURS, one whose SHA-256
does not match the page's, and a file with any bad row; it recomputes the basis and refuses
(Stale) if the registry changed since the preview, since the counts shown are then no longer
true. The import goes into the audit log with the person (`by`).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from schemas.clock import format_time, now as clock_now, utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection
from sync_server.errors import Conflict, NotFound, Stale
from sync_server.registry import queries as q
from sync_server.registry.core import changes
from sync_server.registry.core.import_rules import RowError
from sync_server.registry.imports import ImportResult, check_table, read_upload, write_rows

STAGED_HOURS = 24
KINDS = {"units": "检查对象名录库", "inspectors": "执法检查人员名录库", "items": "抽查事项清单"}
NOT_FOUND_ZH = "找不到这次预览（可能已超过 24 小时被清除，或不是您上传的），请重新上传文件。"


@dataclass
class Prepared:
    kind: str
    filename: str
    sha256: str
    size: int
    rows: list[dict[str, Any]]
    errors: list[RowError]
    counts: changes.Counts
    basis: str
    data_rows: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


def prepare(conn: Connection, kind: str, filename: str, data: bytes) -> Prepared:
    """Read, check and compare an uploaded file (raises BadRequest for a file that cannot be read)."""
    headers, table = read_upload(filename, data)
    good, errors = check_table(kind, headers, table)
    existing, total, extra = _existing(conn, kind, good)
    counts = changes.compare(kind, good, existing, total)
    prepared = Prepared(kind, filename, hashlib.sha256(data).hexdigest(), len(data), good, errors, counts,
                        changes.basis(kind, existing, extra), len(table))
    prepared.summary = _summary(prepared)
    return prepared


def _existing(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> tuple[dict[Any, dict[str, Any]], int, str]:
    """The registry rows a file's rows are compared with, how many the registry holds, and what
    else the basis covers (the item list's current version; the registry's size)."""
    if kind == "items":
        version = q.latest_item_version(conn)
        current = {r["code"]: changes.stored("items", r) for r in q.list_items_by_version(conn, version)}
        return current, len(current), f"items:v{version}"
    key = changes.key_of(kind)
    stored = {r[key]: changes.stored(kind, r) for r in q.get_rows_by_keys(conn, kind, [r[key] for r in rows])}
    total = q.count_units(conn) if kind == "units" else q.count_officers(conn)
    return stored, total, f"{kind}:{total}"


def _summary(p: Prepared) -> dict[str, Any]:
    fatal = any(e.row == 0 for e in p.errors)
    return {"new": p.counts.new, "changed": p.counts.changed, "unchanged": p.counts.unchanged,
            "left_out": p.counts.left_out, "changed_keys": list(p.counts.changed_keys),
            "rows": p.data_rows, "good": len(p.rows), "bad_rows": len({e.row for e in p.errors if e.row}),
            "errors": len(p.errors), "fatal": fatal}


def stage(conn: Connection, prepared: Prepared, account: str) -> str:
    """Keep a preview (write transaction); old ones go. Returns its id."""
    now = utc_now()
    q.delete_staged_before(conn, _hours_before(STAGED_HOURS))
    staged_id = secrets.token_urlsafe(18)
    q.insert_staged_import(conn, {
        "id": staged_id, "account": account, "kind": prepared.kind, "filename": prepared.filename[:200],
        "sha256": prepared.sha256, "bytes": prepared.size, "created_at": now, "basis": prepared.basis,
        "summary": json.dumps(prepared.summary, ensure_ascii=False),
        "errors": _pack([[e.row, e.column, e.reason_zh] for e in prepared.errors]),
        "rows": _pack(prepared.rows) if not prepared.errors else b""})
    return staged_id


def load(conn: Connection, staged_id: str, account: str) -> dict[str, Any]:
    """A preview as its page shows it: the staged row's facts and summary."""
    row = q.get_staged_import(conn, staged_id)
    if row is None or row["account"] != account:
        raise NotFound("import.no_preview", "no such preview for this account", NOT_FOUND_ZH)
    return {**dict(row), "summary": json.loads(row["summary"]), "label": KINDS[row["kind"]]}


def errors_page(conn: Connection, staged_id: str, page: int, size: int) -> list[RowError]:
    everything = _unpack(q.get_staged_blob(conn, staged_id, "errors")) or []
    return [RowError(*e) for e in everything[(page - 1) * size:page * size]]


def confirm(conn: Connection, staged_id: str, account: str, sha256: str, by: str) -> ImportResult:
    """Apply a preview, all or nothing (inside the caller's write transaction)."""
    staged = load(conn, staged_id, account)
    _refuse_unless_applicable(staged, sha256)
    rows = _unpack(q.get_staged_blob(conn, staged_id, "rows")) or []
    kind = staged["kind"]
    existing, _, extra = _existing(conn, kind, rows)
    if changes.basis(kind, existing, extra) != staged["basis"]:
        raise Stale(f"预览之后{staged['label']}已有变动（其他人导入或修改了数据），预览中的数字已不准确，"
                    "未导入任何数据。请重新上传文件预览。")
    result = ImportResult(kind)
    write_rows(conn, kind, rows, result, by=by, filename=staged["filename"])
    if not q.mark_staged_applied(conn, staged_id, utc_now()):
        raise Stale("该文件已经导入，不能重复导入。")
    audit.append(conn, "registry.imported", kind, utc_now(), by=by, rows=len(rows), inserted=result.inserted,
                 updated=result.updated, sha256=staged["sha256"], filename=staged["filename"], version=result.version)
    return result


def _refuse_unless_applicable(staged: dict[str, Any], sha256: str) -> None:
    summary = staged["summary"]
    if staged["state"] == "applied":
        raise Stale("该文件已经导入，不能重复导入。如需再次导入，请重新上传。")
    if not sha256 or sha256 != staged["sha256"]:
        raise Stale("页面上的文件与预览的文件不一致（页面已过期），未导入任何数据。请重新上传文件预览。")
    if staged["created_at"] < _hours_before(STAGED_HOURS):
        raise Stale("预览已超过 24 小时，未导入任何数据。请重新上传文件预览。")
    if summary["errors"]:
        raise Conflict("import.has_errors", "the file has bad rows; nothing can be applied",
                       f"文件中有 {summary['errors']} 处错误，必须全部修正后才能导入（全部导入或全部不导入），"
                       "未导入任何数据。请修正后重新上传。")
    if not summary["good"]:
        raise Conflict("import.empty", "nothing to import", "文件中没有可导入的数据行。")


def _hours_before(hours: int) -> str:
    return format_time(clock_now() - timedelta(hours=hours))


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 3)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob)) if blob else None
