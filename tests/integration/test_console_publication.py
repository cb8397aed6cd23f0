"""The console's 结果公示 section over real HTTP on the demo county's year (history_county), and one
Playwright walk in Chromium: a penalty decision entered with an error, then fixed, then the batch
published.

Expected figures come from the SQLite file and the working-day oracle (tests/support/dates.py),
never from the code under test."""
from __future__ import annotations

import json
import re
from contextlib import closing
from datetime import date, timedelta
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.integration.conftest import server_rows
from tests.support import dates
from tests.support.office import ADMIN, AUDITOR, CLERK, PASSWORD, browser_sign_in, signed_in
from tests.support.server import ServerProcess

pytestmark = pytest.mark.dates   # overdue, lateness and the decision date read the suite's today

VERSION = re.compile(r'name="version" value="([0-9a-f]*)"')
TOTAL = re.compile(r'id="total">(\d+)<')


@pytest.fixture
def office(history_county) -> Iterator[ServerProcess]:
    proc = ServerProcess(history_county.db).start()
    yield proc
    proc.stop()


def waiting(db) -> list:
    return server_rows(db, "SELECT no, record_id, due_on, due_from, due_basis, inspected_on FROM disclosures"
                           " WHERE state = 'due' ORDER BY due_on, id")


def late_workdays(due_on: date, published_on: date) -> int:
    """Working days after the due date up to the publication (the oracle's calendar)."""
    return sum(dates.is_workday(due_on + timedelta(days=i)) for i in range(1, (published_on - due_on).days + 1))


def audit_entries(db, kind: str) -> list[dict]:
    return [json.loads(r["entry"]) for r in server_rows(db, "SELECT entry FROM audit_log WHERE kind = ? ORDER BY idx",
                                                         kind)]


def reminded_nos(db) -> set[str]:
    return {r[0] for r in server_rows(db, "SELECT d.no FROM reminders r"
                                          " JOIN disclosures d ON d.record_id = r.record_id")}


def versions_in(html: str) -> list[str]:
    return VERSION.findall(html)


def test_the_office_sees_due_overdue_and_published_with_the_rate_and_filters(history_county, office) -> None:
    db, today = history_county.db, dates.today().isoformat()
    rows = waiting(db)
    overdue = [r for r in rows if r["due_on"] < today]
    assert rows and overdue, "the demo's year leaves results waiting, one of them overdue"
    late = [r["late_days"] for r in server_rows(db, "SELECT late_days FROM disclosure_publications")]
    on_time = sum(1 for days in late if days == 0)
    rate = round(100 * on_time / (len(late) + len(overdue)), 1)
    with closing(signed_in(office.url, AUDITOR)) as auditor:
        page = auditor.get("/office/publication")
        assert page.status_code == 200
        assert f'id="rate" class="bad">{rate}%<' in page.text
        assert f"按期公示 {on_time} ÷（已公示 {len(late)} ＋ 逾期未公示 {len(overdue)}）" in page.text
        for row in rows:
            assert f">{row['no']}</a>" in page.text and f">{row['due_on']}" in page.text
            if row["due_basis"] == "inspection":
                assert f"检查结束后 20 个工作日内公示（自 {row['inspected_on']} 起）" in page.text
        assert "全部公示" not in page.text and "/publish\"" not in page.text, "the auditor gets no publish button"
        expected = {
            "state=published": server_rows(db, "SELECT count(*) FROM disclosures WHERE state = 'published'")[0][0],
            "state=overdue": len(overdue), "state=waiting": len(rows),
            "category=penalty": server_rows(db, "SELECT count(*) FROM disclosures WHERE category = 'penalty'")[0][0],
            f"q={rows[0]['no']}": 1,
            "q=理发": server_rows(db, "SELECT count(*) FROM disclosures WHERE unit_name LIKE '%理发%'")[0][0],
        }
        for query, count in expected.items():
            listed = auditor.get(f"/office/publication?{query}")
            assert listed.status_code == 200 and TOTAL.search(listed.text).group(1) == str(count), query
        for query, message in {"year=abc": "年度应为四位数字", "state=bogus": "请从列表中选择公示状态",
                               "page=0": "页码应为"}.items():
            refused = auditor.get(f"/office/publication?{query}")
            assert refused.status_code == 400 and message in refused.text and 'role="alert"' in refused.text


def test_the_admin_publishes_one_entry_and_the_public_sees_it(history_county, office) -> None:
    db = history_county.db
    entry = waiting(db)[0]
    no = entry["no"]
    assert httpx.get(f"{office.url}/public/results/{no}").status_code == 404, "not public before publication"
    with closing(signed_in(office.url, ADMIN)) as admin, closing(signed_in(office.url, CLERK)) as clerk, \
            closing(signed_in(office.url, AUDITOR)) as auditor:
        page = admin.get(f"/office/publication/entries/{no}")
        version = versions_in(page.text)[0]
        for other in (clerk, auditor):
            refused = other.post_form(f"/office/publication/entries/{no}/publish", {"version": version})
            assert refused.status_code == 403 and "无权进行此操作" in refused.text
        assert server_rows(db, "SELECT state FROM disclosures WHERE no = ?", no)[0][0] == "due"
        done = admin.post_form(f"/office/publication/entries/{no}/publish", {"version": version})
        assert done.status_code == 303
        assert done.headers["location"].startswith(f"/office/publication/entries/{no}?done=")
        shown = admin.get(done.headers["location"])
        assert "已公示（第 1 版" in shown.text and 'role="status"' in shown.text
        again = admin.post_form(f"/office/publication/entries/{no}/publish", {"version": version})
        assert again.status_code == 409 and "已有变化" in again.text, "the same form twice: stale, refused"
    publication = server_rows(db, "SELECT p.revision, p.late_days, p.published_on FROM disclosure_publications p"
                                  " JOIN disclosures d ON d.id = p.disclosure_id WHERE d.no = ?", no)
    assert len(publication) == 1, "published once, not twice"
    assert publication[0]["late_days"] == late_workdays(date.fromisoformat(entry["due_on"]), dates.today())
    logged = [e for e in audit_entries(db, "office.publish") if e["subject"] == no]
    assert len(logged) == 1 and logged[0]["by"] == f"office:{ADMIN}" and logged[0]["revision"] == 1
    public = httpx.get(f"{office.url}/public/results/{no}")
    assert public.status_code == 200 and "公示日期" in public.text
    assert json.loads(httpx.get(f"{office.url}/public/results/{no}.json").content)["no"] == no


def test_the_batch_publishes_exactly_what_the_confirmation_listed(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    rows = waiting(db)
    horizon = dates.workdays_after(today, 3)
    sent_before = reminded_nos(db)
    reminders = {r["no"] for r in server_rows(
        db, "SELECT no, record_id, handling FROM disclosures WHERE handling -> 'rectify' ->> 'status' IN"
            " ('pending', 'not_met')")
        if date.fromisoformat(json.loads(r["handling"])["rectify"]["deadline"]) <= horizon
        and r["no"] not in sent_before}
    with closing(signed_in(office.url, ADMIN)) as admin, closing(signed_in(office.url, CLERK)) as clerk:
        assert clerk.get("/office/publication/publish-due").status_code == 403
        confirm = admin.get("/office/publication/publish-due")
        assert confirm.status_code == 200
        assert f"将公示以下 <strong>{len(rows)}</strong> 条" in confirm.text
        assert all(f"<td class=\"nowrap\">{r['no']}</td>" in confirm.text for r in rows)
        assert f"发送整改期限提醒 <strong>{len(reminders)}</strong> 条" in confirm.text
        old = versions_in(confirm.text)[-1]
        first = admin.get(f"/office/publication/entries/{rows[0]['no']}")   # someone publishes one meanwhile
        assert admin.post_form(f"/office/publication/entries/{rows[0]['no']}/publish",
                               {"version": versions_in(first.text)[0]}).status_code == 303
        stale = admin.post_form("/office/publication/publish-due", {"version": old})
        assert stale.status_code == 409 and "本次未公示任何条目" in stale.text
        assert len(waiting(db)) == len(rows) - 1, "nothing of the stale batch was published"
        assert f"将公示以下 <strong>{len(rows) - 1}</strong> 条" in stale.text, "the fresh list is shown"
        done = admin.post_form("/office/publication/publish-due", {"version": versions_in(stale.text)[-1]})
        assert done.status_code == 303
        notice = admin.get(done.headers["location"]).text
    late = sum(1 for r in rows[1:] if r["due_on"] < today.isoformat())
    assert f"已公示 {len(rows) - 1} 条（其中逾期 {late} 条）；发送整改期限提醒 {len(reminders)} 条" in notice
    assert waiting(db) == []
    assert reminded_nos(db) - sent_before == reminders
    batch = audit_entries(db, "office.publish_due")
    assert len(batch) == 1 and batch[0]["by"] == f"office:{ADMIN}"
    assert sorted(batch[0]["published"]) == sorted(r["no"] for r in rows[1:])


def test_the_publication_mode_is_the_admins(history_county, office) -> None:
    with closing(signed_in(office.url, ADMIN)) as admin, closing(signed_in(office.url, CLERK)) as clerk:
        assert clerk.post_form("/office/publication/mode", {"mode": "daily"}).status_code == 403
        assert admin.post_form("/office/publication/mode", {"mode": "daily"}).status_code == 303
        assert "每日批量公示" in admin.get("/office/publication").text.split('id="mode">')[1][:40]
    assert server_rows(history_county.db, "SELECT value FROM meta WHERE key = 'publish_mode'")[0][0] == "daily"
    assert audit_entries(history_county.db, "office.publish_mode")[-1]["by"] == f"office:{ADMIN}"


def test_in_the_browser_a_penalty_decision_with_an_error_then_fixed_then_the_batch(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    case = server_rows(db, "SELECT no, inspected_on FROM disclosures WHERE handling -> 'case' IS NOT NULL"
                           " AND handling -> 'case' ->> 'decision_no' IS NULL ORDER BY id")[0]
    with closing(signed_in(office.url, ADMIN)) as admin:   # the batch waits: publish in the daily batch from now on
        assert admin.post_form("/office/publication/mode", {"mode": "daily"}).status_code == 303
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            browser_sign_in(page, office.url, CLERK, PASSWORD)
            page.goto(f"{office.url}/office/followups")
            page.get_by_role("row", name=re.compile(case["no"])).get_by_role("link", name="录入处罚决定").click()
            expect(page.get_by_role("heading", name=f"公示条目 {case['no']}")).to_be_visible()
            expect(page.get_by_label("公示编号")).to_have_value(case["no"])
            page.get_by_label("处罚决定书文号").fill("云卫公罚〔2026〕201号")
            page.get_by_label("处罚决定日期").fill((today + timedelta(days=1)).isoformat())
            page.get_by_label("罚款金额（元）").fill("3000")
            page.get_by_label("处罚内容").fill("警告，并处罚款 3000 元")
            page.get_by_role("button", name="录入处罚决定").click()
            error = page.locator("#e-decided_on")
            expect(error).to_contain_text("晚于今天")
            expect(page.get_by_label("处罚决定书文号")).to_have_value("云卫公罚〔2026〕201号")
            assert not server_rows(db, "SELECT 1 FROM followups WHERE kind = 'penalty' AND CAST(doc AS TEXT) LIKE '%201号%'")
            page.get_by_label("处罚决定日期").fill(today.isoformat())
            page.get_by_role("button", name="录入处罚决定").click()
            expect(page.get_by_role("status")).to_contain_text("已录入处罚决定 云卫公罚〔2026〕201号")
            expect(page.locator("#penalty + .table")).to_contain_text("李娜")
            page.get_by_role("button", name="退出").click()

            browser_sign_in(page, office.url, ADMIN, PASSWORD)
            page.goto(f"{office.url}/office/publication")
            rows = waiting(db)   # the results left for the batch and the decision's update
            assert case["no"] in {r["no"] for r in rows}
            page.get_by_role("link", name=re.compile("全部公示")).click()
            expect(page.get_by_role("heading", name="确认全部公示")).to_be_visible()
            expect(page.get_by_role("table", name="将公示的条目")).to_contain_text(case["no"])
            page.get_by_role("button", name=re.compile("确认公示")).click()
            expect(page.get_by_role("status")).to_contain_text(f"已公示 {len(rows)} 条")
            expect(page.get_by_role("heading", name="待公示（0）")).to_be_visible()
            page.goto(f"{office.url}/public/results/{case['no']}")
            expect(page.locator("main")).to_contain_text("云卫公罚〔2026〕201号")
            expect(page.locator("main")).to_contain_text("行政处罚")
        finally:
            browser.close()
    entry = server_rows(db, "SELECT state, category, due_on, due_basis FROM disclosures WHERE no = ?", case["no"])[0]
    assert (entry["state"], entry["category"], entry["due_basis"]) == ("published", "penalty", "penalty_decision")
    assert entry["due_on"] == dates.workdays_after(today, 7).isoformat()
