"""Browsing the two registries and the item list's versions (the office console's lists).

Searches are paged; officers' certificates that run out within the next twelve months, or have
run out, are flagged (core/changes.certificate) against Beijing's today on the product's clock.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas.clock import beijing_today
from schemas.specialties import RISK_CLASSES, SPECIALTIES
from sync_server.db import Connection
from sync_server.errors import NotFound
from sync_server.registry import queries as q
from sync_server.registry.core import changes

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def units(conn: Connection, query: str, specialty: str, town: str, category: str, page: int) -> Page:
    args = (query.strip()[:100], specialty, town, category)
    total = q.count_units_matching(conn, *args)
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    rows = q.search_units(conn, *args, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return Page([{**changes.stored("units", r), "updated_at": r["updated_at"]} for r in rows], total, page)


def unit_filters(conn: Connection) -> dict[str, Any]:
    return {"specialties": SPECIALTIES, "risks": RISK_CLASSES, "towns": q.list_unit_towns(conn),
            "categories": q.list_unit_categories(conn)}


def officers(conn: Connection, query: str, department: str, specialty: str, expiring: bool, page: int) -> Page:
    today = beijing_today()
    args = (query.strip()[:100], department, specialty, changes.warning_date(today) if expiring else "")
    total = q.count_officers_matching(conn, *args)
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    rows = q.search_officers(conn, *args, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return Page([with_certificate({**changes.stored("inspectors", r), "active": bool(r["active"])}, today)
                 for r in rows], total, page)


def with_certificate(officer: dict[str, Any], today: Any = None) -> dict[str, Any]:
    """The officer with `cert` ("expired", "expiring" or None) added."""
    return {**officer, "cert": changes.certificate(officer.get("cert_valid_until"), today or beijing_today())}


def officer_filters(conn: Connection) -> dict[str, Any]:
    return {"specialties": SPECIALTIES, "departments": q.list_officer_departments(conn),
            "warning_date": changes.warning_date(beijing_today())}


def item_versions(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in q.list_item_list_versions(conn)]


def items_of(conn: Connection, version: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row = q.get_item_list_version(conn, version)
    if row is None:
        raise NotFound("registry.no_version", f"no item-list version {version}", f"没有第 {version} 版抽查事项清单")
    return dict(row), [changes.stored("items", r) for r in q.list_items_by_version(conn, version)]


def item_diff(conn: Connection, old: int, new: int) -> dict[str, Any]:
    (old_row, old_items), (new_row, new_items) = items_of(conn, old), items_of(conn, new)
    return {"old": old_row, "new": new_row, "diff": changes.diff_items(old_items, new_items)}


def applies_text(value: Any) -> str:
    items = json.loads(value) if isinstance(value, str) else value
    return "、".join(items or ()) or "本专业全部单位"
