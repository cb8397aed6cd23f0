"""Build inspection records the way the field app does (shared by unit and integration tests)."""
from __future__ import annotations

from typing import Any

from field_app.ids import uuid7
from tests.support import dates


def finding(item: dict[str, Any], outcome: str = "compliant", action: dict | None = None,
            photos: list[str] | None = None, note: str = "") -> dict[str, Any]:
    if outcome == "non_compliant" and action is None:
        action = {"kind": "rectify", "deadline": dates.days_from_today(38).isoformat()}
    return {"item_code": item["code"], "task_id": item["task_id"], "outcome": outcome, "note": note,
            "legal_basis": item["legal_basis"], "action": action, "photos": photos or []}


def record(assignment: dict[str, Any], inspectors: list[str], *, findings: list[dict] | None = None,
           outcome: str = "inspected", party: dict | None = None, supersedes: str | None = None,
           attempts: list[dict] | None = None, record_id: str | None = None) -> dict[str, Any]:
    if findings is None:
        findings = [finding(item) for item in assignment["items"]] if outcome == "inspected" else []
    if party is None and outcome == "inspected":
        party = {"refused": True, "note": "当事人拒绝签字"}
    day = dates.inspection_day()   # three days before the suite's today (tests/conftest.py)
    arrived = dates.stamp(day, 17)
    if attempts is None:
        attempts = [] if outcome == "inspected" else [
            {"method": "visit", "at": arrived, "note": "大门紧锁，无人应答", "photos": []}]
    return {
        "schema": "suijian.inspection-record/1", "id": record_id or uuid7(),
        "assignment_id": assignment["id"], "supersedes": supersedes,
        "visit": {"outcome": outcome, "arrived_at": arrived,
                  "location": {"lat_e6": 36185000, "lon_e6": 118170000, "accuracy_m": 15}, "attempts": attempts},
        "findings": findings, "party": party if outcome == "inspected" else None,
        "inspectors": inspectors,
        "device_times": {"started_at": arrived, "signed_at": f"{day.isoformat()}T17:40:00+08:00"},
    }


ITEMS = [
    {"code": "GG-001", "task_id": "t1", "legal_basis": "《公共场所卫生管理条例》第八条"},
    {"code": "GG-002", "task_id": "t1", "legal_basis": "《公共场所卫生管理条例》第七条"},
]
ASSIGNMENT = {"id": "0190f3b4-0000-7000-8000-000000000001", "items": ITEMS}
