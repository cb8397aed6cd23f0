"""One unit or one officer, read for its page and edited in a form (the office console).

A form is checked by the same rules as a spreadsheet row (core/forms.py over import_rules), so
an edit can never store what an import would refuse. The key (统一社会信用代码, 执法证号) is not
edited: assignments and records point at it. An edit carries the `version` its form was opened
with (a digest of the stored row): if the row changed since, the edit is refused (Stale) and
nothing is written. Each edit goes into the audit log with the person and the changed fields'
values before and after; a new unit likewise.
"""
from __future__ import annotations

from typing import Any, Mapping

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection
from sync_server.errors import FieldErrors, NotFound, Stale
from sync_server.registry import queries as q
from sync_server.registry.core import changes
from sync_server.registry.core.forms import check_form

STALE_ZH = "打开表单之后，这条记录已被其他人修改，本次修改未保存。请重新打开后再改。"


def unit(conn: Connection, unit_id: str) -> dict[str, Any]:
    row = q.get_unit_by_id(conn, unit_id)
    if row is None:
        raise NotFound("registry.no_unit", f"no unit {unit_id}", f"找不到统一社会信用代码为 {unit_id} 的单位")
    return {**changes.stored("units", row), "updated_at": row["updated_at"], "version": changes.row_version(row)}


def officer(conn: Connection, officer_id: str) -> dict[str, Any]:
    row = q.get_officer_by_id(conn, officer_id)
    if row is None:
        raise NotFound("registry.no_officer", f"no officer {officer_id}", f"找不到执法证号为 {officer_id} 的执法人员")
    return {**changes.stored("inspectors", row), "active": bool(row["active"]), "version": changes.row_version(row)}


def edit_unit(conn: Connection, unit_id: str, values: Mapping[str, Any], version: str, by: str) -> list[str]:
    """Save a unit's form; the names of the fields changed (none: nothing written, nothing logged)."""
    current = unit(conn, unit_id)
    if version != current["version"]:
        raise Stale(STALE_ZH)
    record = _checked("units", {**values, "id": unit_id})
    diff = changes.differences("units", current, record)
    if diff:
        q.update_unit(conn, record, utc_now())
        _log(conn, "registry.unit_edited", unit_id, diff, by)
    return [name for name, _, _ in diff]


def add_unit(conn: Connection, values: Mapping[str, Any], by: str) -> str:
    record = _checked("units", values)
    if q.get_unit_by_id(conn, record["id"]) is not None:
        raise FieldErrors({"id": "该统一社会信用代码已在名录中，请打开该单位修改"})
    q.upsert_units(conn, [record], utc_now())
    audit.append(conn, "registry.unit_added", record["id"], utc_now(), by=by,
                 after={k: _plain(v) for k, v in record.items()})
    return record["id"]


def edit_officer(conn: Connection, officer_id: str, values: Mapping[str, Any], version: str, by: str) -> list[str]:
    current = officer(conn, officer_id)
    if version != current["version"]:
        raise Stale(STALE_ZH)
    record = _checked("inspectors", {**values, "id": officer_id})
    diff = changes.differences("inspectors", current, record)
    if diff:
        q.update_officer(conn, record)
        _log(conn, "registry.officer_edited", officer_id, diff, by)
    return [name for name, _, _ in diff]


def _checked(kind: str, values: Mapping[str, Any]) -> dict[str, Any]:
    record, reasons = check_form(kind, values)
    if reasons or record is None:
        raise FieldErrors(reasons)
    return record


def _log(conn: Connection, kind: str, subject: str, diff: list[tuple[str, Any, Any]], by: str) -> None:
    audit.append(conn, kind, subject, utc_now(), by=by, before={n: _plain(b) for n, b, _ in diff},
                 after={n: _plain(a) for n, _, a in diff})


def _plain(value: Any) -> Any:
    """A value as the audit log's canonical JSON takes it (no floats, lists not tuples)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return value
