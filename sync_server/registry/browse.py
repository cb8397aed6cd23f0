"""Browsing the two registries and the item list's versions (the office console's lists).

Searches are paged; officers' certificates that run out within the next twelve months, or have
run out, are flagged (core/changes.certificate) against Beijing's today on the product's clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.clock import beijing_today
from schemas.specialties import RISK_CLASSES, SPECIALTIES
from sync_server.audit import service as audit
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


def overview(conn: Connection) -> dict[str, Any]:
    """The section's first page: how much each list holds, and certificates to renew."""
    today = beijing_today()
    return {"units": q.count_units(conn), "officers": q.count_officers(conn),
            "expiring": q.count_officers_matching(conn, "", "", "", changes.warning_date(today)),
            "item_version": q.latest_item_version(conn), "versions": item_versions(conn)[:1]}


HISTORY_KINDS = ("registry.unit_added", "registry.unit_edited", "registry.officer_edited")


def history(conn: Connection, key: str) -> list[dict[str, Any]]:
    """The edits of one unit or officer, newest first, from the audit log."""
    return audit.entries_about(conn, key, HISTORY_KINDS)
