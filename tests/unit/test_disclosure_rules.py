"""The disclosure list's rules: inspection date, public category, due dates on the official
calendar (holiday weeks with their swapped working days, year boundaries, provisional years),
handling, lateness, follow-up checks."""
from __future__ import annotations

from datetime import date

import pytest
from chinese_calendar import constants

from sync_server.disclosure.core import disclosure as rules
from sync_server.disclosure.core.workdays import Calendar

OFFICIAL = Calendar({**{d: False for d in constants.holidays}, **{d: True for d in constants.workdays}},
                    frozenset(range(2004, 2027)))
NONE = rules.Followups()


def record(outcome: str = "inspected", findings: list | None = None, arrived: str | None = "2026-09-24T01:30:00.000Z",
           attempts: list | None = None, signed: str = "2026-09-24T03:00:00.000Z") -> dict:
    return {"visit": {"outcome": outcome, "arrived_at": arrived, "location": None, "attempts": attempts or []},
            "findings": findings if findings is not None else [finding("compliant")],
            "device_times": {"started_at": signed, "signed_at": signed}}


def finding(outcome: str, action: dict | None = None, code: str = "GG-01") -> dict:
    return {"item_code": code, "task_id": "T1", "outcome": outcome, "note": "", "legal_basis": "", "action": action,
            "photos": []}


def test_the_inspection_date_is_the_day_of_arrival_in_beijing() -> None:
    # 17:30 UTC on the 23rd is 01:30 on the 24th in Beijing.
    assert rules.inspection_date(record(arrived="2026-09-23T17:30:00.000Z")) == date(2026, 9, 24)
    assert rules.inspection_date(record(arrived="2026-09-23T15:59:59.000Z")) == date(2026, 9, 23)
    assert rules.inspection_date(record(arrived=None, signed="2026-09-25T02:00:00+08:00")) == date(2026, 9, 25)


def test_an_unreachable_unit_is_dated_by_its_last_attempt() -> None:
    attempts = [{"method": "visit", "at": "2026-09-21T02:00:00.000Z", "note": "", "photos": []},
                {"method": "phone", "at": "2026-09-22T08:00:00.000Z", "note": "", "photos": []}]
    assert rules.inspection_date(record("unreachable", [], attempts=attempts)) == date(2026, 9, 22)


def test_a_case_is_published_as_a_problem_until_the_penalty_decision() -> None:
    penalty = rules.Followups(penalty=rules.Penalty("云卫罚〔2026〕1号", date(2026, 10, 20), 300000))
    assert rules.public_category("penalty", NONE) == "rectify"
    assert rules.public_category("penalty", penalty) == "penalty"
    assert rules.public_category("rectify", penalty) == "penalty"
    assert [rules.public_category(c, NONE) for c in ("no_problem", "rectify", "unreachable")] == \
        ["no_problem", "rectify", "unreachable"]


def test_20_working_days_across_mid_autumn_and_national_day_2026() -> None:
    # Inspected Thu 2026-09-24: 9-25..27 and 10-01..07 are holidays; Sat 10-10 is a swapped working day.
    duty = rules.obligation(date(2026, 9, 24), NONE)
    fields = rules.due_fields(OFFICIAL, duty)
    assert (duty.basis, duty.days) == ("inspection", 20)
    # 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (Sat), then 14 more weekdays: 10-29.
    assert fields["due_on"] == "2026-10-29" and fields["due_provisional"] == 0
    # Counting by weekends alone would have said 10-22: the official calendar matters.
    assert Calendar().add(date(2026, 9, 24), 20).day == date(2026, 10, 22)


def test_a_penalty_is_due_7_working_days_after_its_decision_over_the_spring_festival_2024() -> None:
    # Decided Thu 2024-02-08; 02-10..17 off; Sun 02-18 a swapped working day.
    followups = rules.Followups(penalty=rules.Penalty("X", date(2024, 2, 8)))
    fields = rules.due_fields(OFFICIAL, rules.obligation(date(2024, 1, 15), followups))
    assert fields["due_basis"] == "penalty_decision" and fields["due_from"] == "2024-02-08"
    # 02-09 (Fri), 02-18 (Sun, swapped), 02-19, 02-20, 02-21, 02-22, 02-23: the 7th working day.
    assert fields["due_on"] == "2024-02-23" and fields["due_provisional"] == 0


def test_a_deadline_running_into_an_unannounced_year_is_provisional() -> None:
    fields = rules.due_fields(OFFICIAL, rules.obligation(date(2026, 12, 21), NONE))
    assert fields["due_provisional"] == 1 and fields["due_on"] == "2027-01-18"


def test_a_deadline_inside_an_announced_year_across_new_year_2026() -> None:
    # 2026-01-01..03 off, Sun 2026-01-04 a swapped working day.
    fields = rules.due_fields(OFFICIAL, rules.obligation(date(2025, 12, 26), NONE))
    assert fields["due_provisional"] == 0
    assert OFFICIAL.is_workday(date(2026, 1, 4)) and not OFFICIAL.is_workday(date(2026, 1, 2))
    assert fields["due_on"] == OFFICIAL.add(date(2025, 12, 26), 20).day.isoformat() == "2026-01-26"


def test_lateness_counts_working_days_after_the_due_date() -> None:
    assert rules.late_days(OFFICIAL, date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert rules.late_days(OFFICIAL, date(2026, 9, 30), date(2026, 9, 29)) == 0
    assert rules.late_days(OFFICIAL, date(2026, 9, 30), date(2026, 10, 8)) == 1, "the National Day week is not late"
    assert rules.late_days(OFFICIAL, date(2026, 9, 30), date(2026, 10, 12)) == 4   # 10-08, 09, 10 (Sat), 12


def test_the_next_duty_after_a_follow_up() -> None:
    first = rules.Obligation(date(2026, 9, 24), 20, "inspection")
    penalty = rules.Obligation(date(2026, 10, 20), 7, "penalty_decision")
    today = date(2026, 11, 2)
    assert rules.next_obligation(first, True, False, penalty, today) == penalty
    assert rules.next_obligation(first, False, True, first, today) == first, "never published: the first duty stands"
    assert rules.next_obligation(first, True, False, first, today) == rules.Obligation(today, 7, "followup")
    update = rules.Obligation(today, 7, "followup")
    assert rules.next_obligation(update, True, True, first, date(2026, 11, 5)) == update, "a waiting update keeps its duty"
    assert rules.next_obligation(penalty, True, False, penalty, today).basis == "followup"


def test_handling_of_a_rectification_and_its_reinspection() -> None:
    doc = record(findings=[finding("non_compliant", {"kind": "rectify", "deadline": "2026-10-15"}),
                           finding("non_compliant", {"kind": "rectify", "deadline": "2026-10-30"}, "GG-02")])
    assert rules.handling(doc, "rectify", NONE)["rectify"] == {"deadline": "2026-10-30", "status": "pending",
                                                              "checked_on": None}
    on_time = rules.Followups(reinspections=(rules.Reinspection(date(2026, 10, 28), True),))
    late = rules.Followups(reinspections=(rules.Reinspection(date(2026, 10, 20), False),
                                          rules.Reinspection(date(2026, 11, 3), True)))
    not_done = rules.Followups(reinspections=(rules.Reinspection(date(2026, 10, 31), False),))
    assert rules.handling(doc, "rectify", on_time)["rectify"]["status"] == "met"
    assert rules.handling(doc, "rectify", late)["rectify"] == {"deadline": "2026-10-30", "status": "late",
                                                              "checked_on": "2026-11-03"}
    assert rules.handling(doc, "rectify", not_done)["rectify"]["status"] == "not_met"
    lines = rules.handling_text(rules.handling(doc, "rectify", NONE), today=date(2026, 11, 2))
    assert lines == ["责令限期整改，期限 2026-10-30：整改期限已过，待复查"]


def test_handling_of_a_case_a_penalty_and_a_transfer() -> None:
    doc = record(findings=[finding("non_compliant", {"kind": "case", "case_no": None})])
    assert rules.handling_text(rules.handling(doc, "penalty", NONE)) == ["已立案调查，处罚决定作出后 7 个工作日内公示"]
    decided = rules.Followups(penalty=rules.Penalty("云卫罚〔2026〕7号", date(2026, 10, 20), 1_234_550),
                              transfers=(rules.Transfer("云溪县公安局", "judicial", date(2026, 10, 21)),))
    assert rules.handling_text(rules.handling(doc, "penalty", decided)) == [
        "行政处罚决定书 云卫罚〔2026〕7号（2026-10-20），罚款 12,345.50 元", "移送司法机关云溪县公安局（2026-10-21）"]


def test_nothing_personal_is_in_an_entry() -> None:
    doc = rules.entry_doc("2026-000001", 1, {"name": "某单位", "uscc": "91369921MA00000000"}, "public_places",
                          [{"number": "N", "title": "T", "id": "x"}], ["事项"], date(2026, 9, 24), "no_problem", {},
                          "监督所", date(2026, 10, 30), date(2026, 9, 28), "a" * 64, 7)
    assert set(doc) == {"schema", "no", "revision", "unit", "specialty", "tasks", "items", "inspected_on", "category",
                        "handling", "body", "due_on", "published_on", "record"}
    assert doc["tasks"] == [{"number": "N", "title": "T"}] and doc["category"]["label"] == "未发现问题"


@pytest.mark.parametrize("category, decided, code", [
    ("no_problem", date(2026, 10, 1), "followup.not_applicable"),
    ("unreachable", date(2026, 10, 1), "followup.not_applicable"),
    ("penalty", date(2026, 9, 23), "followup.before_inspection"),
    ("penalty", date(2026, 12, 1), "followup.in_future"),
])
def test_penalty_decisions_that_contradict_the_record_are_refused(category: str, decided: date, code: str) -> None:
    with pytest.raises(rules.FollowupError) as caught:
        rules.check_penalty(record(), category, rules.Penalty("X", decided), today=date(2026, 11, 23))
    assert caught.value.code == code and caught.value.message_zh


def test_a_penalty_on_the_inspection_day_is_accepted() -> None:
    rules.check_penalty(record(), "penalty", rules.Penalty("X", date(2026, 9, 24)), today=date(2026, 11, 23))
