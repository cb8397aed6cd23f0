"""The work list and a 复查 opened at any time, in the browser: the list names today and puts the
earliest group (已逾期 when there is one) first with its count; a record ordering rectification,
signed on this tablet with the server down, is re-inspected at once, offline, with no reminder,
and both sync when the server is back."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from field_app.app_state import AppState, Settings
from field_app.core import checklist
from field_app.sync import RetryPolicy
from schemas import clock
from tests.e2e.apps import open_app, tap, tap_until, type_into, wait_text
from tests.support import dates
from tests.support.records import PIN, officer_key, team_signers

SOON_DAYS = 7   # the list's 即将到期 window, written out again (field_app/core/worklist.py)
HEADING_TOPS = """names => names.map(t => {
    const hits = [...document.querySelectorAll('flt-semantics')].filter(
        e => ((e.getAttribute('aria-label') || '') + e.textContent).includes(t));
    const leaves = hits.filter(e => !hits.some(o => o !== e && e.contains(o)));
    return leaves.length ? Math.min(...leaves.map(e => e.getBoundingClientRect().top)) : null;
})"""


def expected_groups(assignments: list[dict], today: date) -> list[str]:
    """The group headings the list should show, derived from the assignments' due dates."""
    days = [(date.fromisoformat(a["due"]) - today).days for a in assignments]
    counts = [("已逾期", sum(d < 0 for d in days)), (f"即将到期（{SOON_DAYS} 天内）", sum(0 <= d <= SOON_DAYS for d in days)),
              ("其他待检查", sum(d > SOON_DAYS for d in days))]
    return [f"{name}（{n}）" for name, n in counts if n]


def enroll_and_pull(home: Path, url: str, code: str, code_for) -> tuple[dict, list[str]]:
    """The tablet enrolled with its work pulled; the visit to make, and the groups the list should
    show once that visit is submitted (the other open visits, by due date)."""
    state = AppState(Settings(home, url, 0, retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.01)))
    try:
        assert state.session.enroll(url, code, PIN, PIN) is None
        state.syncing.now()
        assignments = [a for a in state.store.list_assignments() if a.get("status", "open") == "open"]
        visit = assignments[3]
        for member in visit["team"]:          # the team's signing keys on this tablet, registered online
            officer_key(state, member["id"], code_for)
        return visit, expected_groups([a for a in assignments if a is not visit], clock.beijing_today())
    finally:
        state.close()


def visit_with_rectification(home: Path, url: str, assignment_id: str, me: str, deadline: str) -> str:
    state = AppState(Settings(home, url, 0, retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.01)))
    try:
        visit = state.work.open_visit(assignment_id)
        (first, _), *rest = visit.items()
        visit.set_outcome(checklist.item_key(first), "non_compliant")
        visit.set_action(checklist.item_key(first), "rectify", deadline)
        for item, _ in rest:
            visit.set_outcome(checklist.item_key(item), "compliant")
        visit.refuse("当事人拒绝签字")
        return visit.submit(team_signers(state, visit)).record_id
    finally:
        state.close()


@pytest.mark.dates
def test_the_list_puts_overdue_first_and_a_reinspection_opened_offline_syncs(county, server, browser, apps,
                                                                             tmp_path: Path) -> None:
    home = tmp_path / "tablet"
    assignment, groups = enroll_and_pull(home, server.url, county.code_for(county.inspector), county.code_for)
    unit, first_group = assignment["unit"]["name"], groups[0]
    server.stop()                                                       # offline from here on
    deadline = dates.days_from_today(15).isoformat()
    # the visit is signed on this tablet's state, offline (the checklist's taps are test_field_app.py's)
    record_id = visit_with_rectification(home, server.url, assignment["id"], county.inspector, deadline)
    app = apps(home, server.url).start()
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.set_default_timeout(15_000)
    open_app(page, app.url)
    today = clock.beijing_today()
    wait_text(page, f"今天 {today.month}月{today.day}日")
    wait_text(page, first_group)
    tops = page.evaluate(HEADING_TOPS, groups)      # where each group's heading is drawn (None: not built)
    assert tops[0] is not None and all(top is None or top > tops[0] for top in tops[1:]), (groups, tops)
    tap_until(page, "复查", "复查（责令整改的记录）")
    wait_text(page, f"已整改 {unit}")     # the record signed offline a moment ago, with no reminder
    type_into(page, f"复查情况 {unit}", "已整改，现场核实")
    tap(page, f"已整改 {unit}")
    wait_text(page, "已保存")
    server.start()
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "同步完成")
    rows = []
    for _ in range(50):
        rows = county.rows("SELECT doc FROM followups WHERE record_id = ? AND kind = 'reinspection'", record_id)
        if rows:
            break
        page.wait_for_timeout(200)
    (row,) = rows
    assert (json.loads(row["doc"])["outcome"], json.loads(row["doc"])["note"]) == ("rectified", "已整改，现场核实")
    (record,) = county.rows("SELECT review_state FROM records WHERE id = ?", record_id)
    assert record["review_state"] == "in_review", "no approval and no reminder were needed"
