"""The one record builder (`schemas/record.py`): the exact document the tablet signed before it
existed, every rule of the shape, and a record read back."""
from __future__ import annotations

from typing import Any

import pytest

from schemas import contract
from schemas.record import (Attempt, Case, Finding, InspectionRecord, Location, Rectify, Refusal, Signature)

ITEM = {"code": "GG-001", "name": "卫生许可证", "specialty": "public_places", "legal_basis": "《条例》第四条",
        "content": "查验许可证", "method": "现场检查", "task_id": "T1"}
SHA = "a" * 64
BASE = dict(record_id="0190f3b4-0000-7000-8000-0000000000aa", assignment_id="0190f3b4-0000-7000-8000-000000000001",
            inspectors=("p1", "p2", "p1"), started_at="2026-11-20T01:00:00Z", signed_at="2026-11-20T09:40:00+08:00",
            arrived_at="2026-11-20T01:00:00Z")


def old_build(draft: dict[str, Any], assignment: dict[str, Any], record_id: str, signed_at: str) -> dict[str, Any]:
    """The tablet's hand-written builder as it was (git 563d04a, field_app/core/checklist.py)."""
    inspected = draft["outcome"] == "inspected"
    return {
        "schema": "suijian.inspection-record/1", "id": record_id, "assignment_id": assignment["id"],
        "supersedes": draft["supersedes"],
        "visit": {"outcome": draft["outcome"], "arrived_at": draft["arrived_at"], "location": draft["location"],
                  "attempts": [dict(a) for a in draft["attempts"]] if not inspected else []},
        "findings": [{"item_code": i["code"], "task_id": i["task_id"], "outcome": f["outcome"], "note": f["note"],
                      "legal_basis": i["legal_basis"],
                      "action": f["action"] if f["outcome"] == "non_compliant" else None,
                      "photos": list(dict.fromkeys(f["photos"]))}
                     for i, f in ((i, draft["findings"][f"{i['task_id']}/{i['code']}"]) for i in assignment["items"])]
        if inspected else [],
        "party": ({"refused": True, "note": draft["party"]["note"]} if draft["party"]["mode"] == "refused" else
                  {"signature_photo": draft["party"]["signature_photo"], "name": draft["party"]["name"].strip()})
        if inspected else None,
        "inspectors": list(dict.fromkeys(draft["inspectors"])),
        "device_times": {"started_at": draft["started_at"], "signed_at": signed_at},
    }


def draft(visit: str = "inspected", **finding: Any) -> dict[str, Any]:
    return {"assignment_id": BASE["assignment_id"], "supersedes": None, "started_at": BASE["started_at"],
            "arrived_at": BASE["arrived_at"], "location": {"lat_e6": 27950000, "lon_e6": 116360000, "accuracy_m": 9},
            "outcome": visit,
            "findings": {"T1/GG-001": {"outcome": "compliant", "note": "", "action": None, "photos": [], **finding}},
            "attempts": [{"method": "phone", "at": "2026-11-20T02:00:00Z", "note": "无人接听", "photos": [SHA]}],
            "party": {"mode": "signature", "name": " 王芳 ", "signature_photo": SHA, "note": ""},
            "inspectors": ["p1", "p2", "p1"]}


@pytest.mark.parametrize("case", [
    draft(), draft("unreachable"), draft("inspected", **{"outcome": "non_compliant", "note": "无证",
                                                                   "action": {"kind": "case", "case_no": None},
                                                                   "photos": [SHA, "b" * 64, SHA]}),
    draft(**{"outcome": "not_applicable", "action": {"kind": "rectify", "deadline": "2026-12-05"}}),
    {**draft(), "party": {"mode": "refused", "name": "", "signature_photo": None, "note": "拒签"}},
], ids=["plain", "unreachable", "case", "stale-action", "refused"])
def test_the_tablet_signs_exactly_what_it_signed_before(case: dict[str, Any]) -> None:
    from field_app.core import checklist

    assignment = {"id": BASE["assignment_id"], "items": [ITEM]}
    built = checklist.build_record(case, assignment, BASE["record_id"], BASE["signed_at"])
    assert built == old_build(case, assignment, BASE["record_id"], BASE["signed_at"])
    contract.validate("inspection-record", built)


def test_an_inspected_record_keeps_findings_and_party_and_drops_attempts() -> None:
    doc = InspectionRecord(**BASE, findings=[Finding.of(ITEM, "non_compliant", "无证", Rectify("2026-12-05"), [SHA, SHA])],
                           party=Signature(SHA, " 王芳 "), attempts=[Attempt("phone", BASE["started_at"])],
                           location=Location(27950000, 116360000, 9)).as_json()
    contract.validate("inspection-record", doc)
    assert doc["visit"]["attempts"] == [] and doc["inspectors"] == ["p1", "p2"]
    assert doc["findings"][0]["action"] == {"kind": "rectify", "deadline": "2026-12-05"}
    assert doc["findings"][0]["photos"] == [SHA] and doc["party"] == {"signature_photo": SHA, "name": "王芳"}


def test_an_unreachable_record_keeps_attempts_only() -> None:
    doc = InspectionRecord(**BASE, outcome="unreachable", findings=[Finding.of(ITEM, "compliant")],
                           party=Refusal("拒签"), attempts=[Attempt("visit", BASE["started_at"], "已停业", [SHA])]).as_json()
    contract.validate("inspection-record", doc)
    assert doc["findings"] == [] and doc["party"] is None
    assert doc["visit"]["attempts"] == [{"method": "visit", "at": BASE["started_at"], "note": "已停业", "photos": [SHA]}]


def test_an_action_is_kept_only_on_a_non_compliant_finding() -> None:
    assert Finding.of(ITEM, "compliant", action=Case("卫罚〔2026〕1号")).as_json()["action"] is None
    assert Finding.of(ITEM, "non_compliant", action=Case()).as_json()["action"] == {"kind": "case", "case_no": None}


def test_a_record_reads_back_into_the_same_document() -> None:
    record = InspectionRecord(**BASE, findings=[Finding.of(ITEM, "non_compliant", "x", Case("1号"), [SHA])],
                              party=Refusal("拒签"), supersedes="0190f3b4-0000-7000-8000-0000000000ab")
    doc = record.as_json()
    assert InspectionRecord.from_json(doc).as_json() == doc
