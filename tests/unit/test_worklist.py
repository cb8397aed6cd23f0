"""The work list's due dates (pure, today passed in): overdue and due soon first, with the date,
and a state test at whatever date the suite's clock says."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from field_app.core import worklist
from schemas import clock
from tests.unit.test_app_checklist import ITEMS, JOINT

TODAY = date(2026, 11, 23)


def doc(n: int, name: str, due: date | str, status: str = "open") -> dict:
    return {"id": f"a{n}", "due": str(due), "status": status, "items": ITEMS, "tasks": JOINT["tasks"],
            "team": JOINT["team"],
            "unit": {"name": name, "address": "云溪县城关镇", "specialty": "public_places", "category": "美发店"}}


def test_overdue_then_due_soon_then_the_rest_then_what_is_submitted() -> None:
    docs = [doc(1, "远期美发店", "2026-12-31"), doc(2, "逾期影院", "2026-06-30"), doc(3, "今天到期浴池", "2026-11-23"),
            doc(4, "七天后宾馆", "2026-11-30"), doc(5, "八天后旅店", "2026-12-01"), doc(6, "已交歌舞厅", "2026-03-31"),
            doc(7, "逾期草稿店", "2026-09-30")]
    subs = [worklist.Submission("r6", "a6", "accepted", "2026-03-20T02:00:00Z")]
    rows = worklist.rows(docs, {"a7"}, subs, {})
    groups = worklist.sections(rows, TODAY)
    assert [(g.code, [r.unit_name for r in g.rows]) for g in groups] == [
        ("overdue", ["逾期草稿店", "逾期影院"]),        # the draft first: it needs the inspector first
        ("soon", ["今天到期浴池", "七天后宾馆"]),
        ("later", ["八天后旅店", "远期美发店"]),
        ("done", ["已交歌舞厅"])]                      # due long ago, but submitted: not overdue
    assert [g.title for g in groups] == ["已逾期（2）", "即将到期（7 天内）（2）", "其他待检查（2）", "已提交（1）"]
    assert worklist.section_counts(rows, TODAY) == {"overdue": 2, "soon": 2, "later": 2, "done": 1}


def test_each_card_says_how_far_off_its_due_date_is() -> None:
    rows = {r.unit_name: r for r in worklist.rows(
        [doc(1, "甲", "2026-06-30"), doc(2, "乙", "2026-11-23"), doc(3, "丙", "2026-11-26"), doc(4, "丁", "2026-01-10")],
        set(), [worklist.Submission("r4", "a4", "pending", "2026-01-05T02:00:00Z")], {})}
    assert rows["甲"].due_text(TODAY) == "截止 2026-06-30（已逾期 146 天）"
    assert rows["乙"].due_text(TODAY) == "截止 2026-11-23（今天到期）"
    assert rows["丙"].due_text(TODAY) == "截止 2026-11-26（还剩 3 天）"
    assert rows["丁"].due_text(TODAY) == "截止 2026-01-10"  # submitted: nothing left to be late for


def test_a_returned_record_is_open_work_and_a_cancelled_visit_is_not_listed() -> None:
    docs = [doc(1, "退回店", "2026-10-01"), doc(2, "撤销店", "2026-10-01", status="cancelled")]
    subs = [worklist.Submission("r1", "a1", "accepted", "2026-09-20T02:00:00Z")]
    groups = worklist.sections(worklist.rows(docs, set(), subs, {"r1": "return"}), TODAY)
    assert [(g.code, [r.state for r in g.rows]) for g in groups] == [("overdue", ["returned"])]


def test_the_heading_names_the_day_with_its_weekday() -> None:
    assert worklist.day_text(date(2026, 11, 23)) == "11月23日 星期一"
    assert worklist.day_text(date(2028, 1, 2)) == "1月2日 星期日"


@pytest.mark.dates
def test_the_state_groups_against_the_date_on_site(tmp_path: Path) -> None:
    from tests.unit.test_app_state import ASSIGNMENT, make_state

    today = clock.beijing_today()
    state = make_state(tmp_path / "tablet")
    try:
        late = {**ASSIGNMENT, "id": "0190f3b4-0000-7000-8000-000000000003", "due": str(today - timedelta(days=40)),
                "unit": {**ASSIGNMENT["unit"], "name": "逾期美容店"}}
        soon = {**ASSIGNMENT, "id": "0190f3b4-0000-7000-8000-000000000004", "due": str(today + timedelta(days=2)),
                "unit": {**ASSIGNMENT["unit"], "name": "后天到期美容店"}}
        state.store.save_feed_page([{"kind": "assignment", "data": d} for d in (late, soon)], "3",
                                   "2026-11-20T08:00:00Z")
        assert state.work.today() == today
        groups = state.work.sections()
        assert [g.code for g in groups][:2] == ["overdue", "soon"]
        late_row = next(r for r in groups[0].rows if r.unit_name == "逾期美容店")
        assert late_row.due_text(today).endswith("（已逾期 40 天）")
        assert all(r.days_left(today) < 0 for r in groups[0].rows)
        assert [r.unit_name for r in groups[1].rows] == ["后天到期美容店"]
        assert [g.code for g in state.work.sections("后天")] == ["soon"]
    finally:
        state.close()
