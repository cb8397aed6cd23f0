"""Re-inspections on the tablet (pure): reminders become a to-do list, answers a valid document."""
from __future__ import annotations

from datetime import date

import pytest

from field_app.core import followup
from schemas import contract

NOTICE = {"record_id": "0190f3b4-0000-7000-8000-000000000001", "assignment_id": "0190f3b4-0000-7000-8000-000000000002",
          "no": "2026-000011", "unit_name": "云溪县翠竹中医诊所", "deadline": "2026-11-25",
          "record_envelope_sha256": "a" * 64, "message": "…"}


def test_reminders_become_one_due_per_record_soonest_first() -> None:
    later = {**NOTICE, "record_id": NOTICE["record_id"][:-1] + "9", "deadline": "2026-12-01", "unit_name": "B"}
    dues = followup.open_dues([later, NOTICE, NOTICE], done=set())
    assert [d.deadline for d in dues] == ["2026-11-25", "2026-12-01"]
    assert followup.open_dues([NOTICE], done={NOTICE["record_id"]}) == []
    assert dues[0].label(date(2026, 11, 23)) == "整改期限 2026-11-25（剩 2 天）"
    assert dues[0].label(date(2026, 11, 27)) == "整改期限 2026-11-25（已过 2 天）"


def test_the_answer_is_a_valid_reinspection() -> None:
    due = followup.due_from_notice(NOTICE)
    doc = followup.reinspection(due, "0190f3b4-0000-7000-8000-000000000003", "rectified", " 已更换消毒设备 ",
                                ["b" * 64, "b" * 64], ["369921170001"], "2026-11-24T02:00:00.000Z")
    contract.validate("reinspection", doc)
    assert doc["note"] == "已更换消毒设备" and doc["photos"] == ["b" * 64]


@pytest.mark.parametrize("outcome, note, inspectors, message", [
    ("maybe", "", ["x"], "请选择复查结论"),
    ("not_rectified", "  ", ["x"], "请写明情况"),
    ("rectified", "", [], "须有检查人员"),
])
def test_incomplete_answers_are_refused_in_chinese(outcome: str, note: str, inspectors: list[str], message: str) -> None:
    with pytest.raises(followup.FollowupInputError) as caught:
        followup.reinspection(followup.due_from_notice(NOTICE), "id", outcome, note, [], inspectors, "t")
    assert message in caught.value.message_zh


def _record(findings: list[dict]) -> dict:
    return {"id": NOTICE["record_id"], "assignment_id": NOTICE["assignment_id"], "findings": findings}


def _finding(code: str, action: dict | None) -> dict:
    return {"item_code": code, "outcome": "non_compliant" if action else "compliant", "action": action}


def test_my_own_record_with_a_rectification_order_is_open_at_once_with_its_latest_deadline() -> None:
    record = _record([_finding("GG-001", {"kind": "rectify", "deadline": "2026-12-10"}),
                      _finding("GG-002", {"kind": "rectify", "deadline": "2027-01-05"}),
                      _finding("GG-003", {"kind": "case", "case_no": None}), _finding("GG-004", None)])
    due = followup.due_from_record(record, "c" * 64, "云溪县翠竹中医诊所")
    assert (due.record_id, due.deadline, due.record_envelope_sha256, due.disclosure_no) == \
        (NOTICE["record_id"], "2027-01-05", "c" * 64, "")
    assert followup.due_from_record(_record([_finding("GG-001", None)]), "c" * 64, "x") is None
    assert followup.due_from_record(_record([_finding("GG-001", {"kind": "case", "case_no": "1"})]), "c" * 64,
                                    "x") is None


def test_a_reminder_for_my_own_record_adds_the_entry_number_and_re_inspected_records_drop_out() -> None:
    mine = followup.due_from_record(_record([_finding("GG-001", {"kind": "rectify", "deadline": "2026-11-25"})]),
                                    "a" * 64, NOTICE["unit_name"])
    other = followup.Due("0190f3b4-0000-7000-8000-00000000000f", "a2", "B", "2026-11-24", "d" * 64, "")
    dues = followup.open_dues([NOTICE], done=set(), own=[mine, other])
    assert [(d.unit_name, d.disclosure_no) for d in dues] == [("B", ""), (NOTICE["unit_name"], "2026-000011")]
    assert followup.open_dues([NOTICE], done={NOTICE["record_id"]}, own=[mine, other]) == [other]
