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
