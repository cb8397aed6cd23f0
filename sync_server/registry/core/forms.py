"""One unit or one officer entered in a form, checked by the same rules as a spreadsheet row.

Pure: the form's values (named by the layout's fields) become a row with the layout's Chinese
headers, import_rules.check_row checks it, and each reason comes back under its form field.
"""
from __future__ import annotations

from typing import Any, Mapping

from sync_server.registry.core.import_rules import LAYOUTS, check_row
from schemas.specialties import SPECIALTIES

LIST_JOIN = "、"


def check_form(kind: str, values: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The clean record, or the reasons by field (a reason names no row: the form is one row)."""
    header_field = {}
    cells: dict[str, Any] = {}
    for column in LAYOUTS[kind]:
        header_field[column.header] = column.field
        cells[column.header] = values.get(column.field)
    for column in LAYOUTS[kind]:
        for alias in column.aliases:
            header_field[alias] = column.field
    record, errors = check_row(kind, 0, cells)
    reasons: dict[str, str] = {}
    for error in errors:
        reasons.setdefault(header_field.get(error.column, error.column), error.reason_zh)
    return record, reasons


def form_values(kind: str, record: Mapping[str, Any]) -> dict[str, str]:
    """A stored record (layout fields) as the strings its edit form shows."""
    values: dict[str, str] = {}
    for column in LAYOUTS[kind]:
        value = record.get(column.field)
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif column.field == "specialties":
            value = LIST_JOIN.join(SPECIALTIES.get(code, code) for code in value or ())
        elif isinstance(value, (list, tuple)):
            value = LIST_JOIN.join(str(v) for v in value)
        elif column.field == "role":
            value = "组长" if value == "leader" else "检查员"
        values[column.field] = "" if value is None else str(value)
    return values
