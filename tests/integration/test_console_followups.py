"""The console's 后续处置 section over real HTTP on the demo county's year (history_county): the
ledger as the tablets and the office made it, the penalty and transfer forms with their errors
beside the fields, stale forms refused, nothing half saved, roles, reminders.

Expected figures come from the SQLite file and the working-day oracle (tests/support/dates.py)."""
from __future__ import annotations

import json
import re
from contextlib import closing
from datetime import date, timedelta
from typing import Iterator

import httpx
import pytest

from tests.integration.conftest import server_rows
from tests.support import dates
from tests.support.office import ADMIN, AUDITOR, CLERK, signed_in
from tests.support.server import ServerProcess

pytestmark = pytest.mark.dates   # decision dates, deadlines and reminders read the suite's today

VERSION = re.compile(r'name="version" value="([0-9a-f]*)"')
OPENED = re.compile(r'name="opened_no" value="([^"]*)"')


@pytest.fixture
def office(history_county) -> Iterator[ServerProcess]:
    proc = ServerProcess(history_county.db).start()
    yield proc
    proc.stop()


def open_case(db) -> dict:
    return dict(server_rows(db, "SELECT no, record_id, inspected_on FROM disclosures"
                                " WHERE handling -> 'case' IS NOT NULL AND handling -> 'case' ->> 'decision_no' IS NULL"
                                " ORDER BY id")[0])


def followup_count(db) -> int:
    return server_rows(db, "SELECT count(*) FROM followups")[0][0]


def opened(client, kind: str, no: str) -> dict[str, str]:
    """The hidden fields of a form opened on an entry (its version, what it was opened on)."""
    page = client.get(f"/office/followups/{kind}?no={no}")
    assert page.status_code == 200, page.text[:300]
    return {"version": VERSION.search(page.text).group(1), "opened_no": OPENED.search(page.text).group(1)}


def error_of(html: str, field: str) -> str:
    found = re.search(rf'<small id="e-{field}" class="error" role="alert">([^<]*)</small>', html)
    return found.group(1) if found else ""


def test_the_ledger_is_what_the_tablets_and_the_office_sent(history_county, office) -> None:
    db = history_county.db
    reinspections = server_rows(db, "SELECT d.no, f.on_date, f.doc FROM followups f JOIN disclosures d"
                                    " ON d.record_id = f.record_id WHERE f.kind = 'reinspection'")
    assert reinspections, "the demo's tablets sent re-inspections"
    open_rect = server_rows(db, "SELECT no, handling FROM disclosures WHERE handling -> 'rectify' ->> 'status'"
                                " IN ('pending', 'not_met')")
    cases = server_rows(db, "SELECT no FROM disclosures WHERE handling -> 'case' IS NOT NULL"
                            " AND handling -> 'case' ->> 'decision_no' IS NULL")
    penalties = server_rows(db, "SELECT doc FROM followups WHERE kind = 'penalty'")
    transfers = server_rows(db, "SELECT doc FROM followups WHERE kind = 'transfer'")
    with closing(signed_in(office.url, AUDITOR)) as auditor:
        page = auditor.get("/office/followups")
    assert page.status_code == 200
    html = page.text
    assert f"复查记录（平板提交，{len(reinspections)}）" in html
    section = html.split('id="reinspections"')[1]
    for row in reinspections:
        outcome = "已整改" if json.loads(row["doc"])["outcome"] == "rectified" else "未整改"
        assert re.search(rf">{row['no']}</a></td><td>[^<]*</td><td class=\"nowrap\">{row['on_date']}</td>\s*"
                         rf"<td><span class=\"(ok|bad)\">{outcome}</span>", section), row["no"]
    assert f"待复查的整改（{len(open_rect)}）" in html
    for row in open_rect:
        deadline = json.loads(row["handling"])["rectify"]["deadline"]
        assert f">{row['no']}</a>" in html and f"{deadline}（" in html
    assert f"待作出处罚决定的立案（{len(cases)}）" in html
    assert f"处罚决定（{len(penalties)}）" in html and all(json.loads(p["doc"])["decision_no"] in html for p in penalties)
    assert f"移送、抄告（{len(transfers)}）" in html and all(json.loads(t["doc"])["to_body"] in html for t in transfers)
    assert "录入处罚决定</a>" not in html and "发送整改提醒" not in html, "the auditor reads only"


def test_a_penalty_decision_refused_beside_each_field_then_entered(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    case = open_case(db)
    no_problem = server_rows(db, "SELECT no FROM disclosures WHERE category = 'no_problem' ORDER BY id")[0][0]
    before = followup_count(db)
    with closing(signed_in(office.url, CLERK)) as clerk:
        hidden = opened(clerk, "penalty", case["no"])
        assert hidden["opened_no"] == case["no"]
        good = {**hidden, "no": case["no"], "decision_no": "云卫公罚〔2026〕301号", "decided_on": today.isoformat(),
                "amount_yuan": "5,000.50", "content": "警告，并处罚款"}
        bad = clerk.post_form("/office/followups/penalty", {**good, "decision_no": " ",
                                                            "decided_on": (today + timedelta(days=1)).isoformat(),
                                                            "amount_yuan": "五千"})
        assert bad.status_code == 422
        assert error_of(bad.text, "decision_no") == "请填写处罚决定书文号"
        assert "晚于今天" in error_of(bad.text, "decided_on")
        assert "罚款金额应为" in error_of(bad.text, "amount_yuan")
        assert 'value="五千"' in bad.text and VERSION.search(bad.text).group(1) == hidden["version"], \
            "the form comes back as entered, with the version it was opened with"
        cases = {
            "decided_on": ({"decided_on": "2026-13-01"}, "处罚决定日期格式应为"),
            "decided_on ": ({"decided_on": (date.fromisoformat(case["inspected_on"]) - timedelta(days=1)).isoformat()},
                            "早于检查日期"),
            "no": ({"no": "2026-999999"}, "没有编号为 2026-999999 的公示条目"),
            "no ": ({"no": no_problem}, "未发现问题，不能录入处罚决定"),
        }
        for field, (change, message) in cases.items():
            refused = clerk.post_form("/office/followups/penalty", {**good, **change})
            assert refused.status_code == 422 and message in error_of(refused.text, field.strip()), field
        assert followup_count(db) == before, "nothing saved by a refused form"
        done = clerk.post_form("/office/followups/penalty", good)
        assert done.status_code == 303 and done.headers["location"].startswith("/office/followups?done=")
        assert "已录入处罚决定 云卫公罚〔2026〕301号" in clerk.get(done.headers["location"]).text
        twice = clerk.post_form("/office/followups/penalty", {**good, **opened(clerk, "penalty", case["no"])})
        assert twice.status_code == 422 and "已录入处罚决定" in error_of(twice.text, "no")
    stored = server_rows(db, "SELECT by_user, on_date, doc FROM followups WHERE kind = 'penalty' AND record_id = ?",
                         case["record_id"])
    assert len(stored) == 1 and stored[0]["by_user"] == f"office:{CLERK}" and stored[0]["on_date"] == today.isoformat()
    assert json.loads(stored[0]["doc"])["amount_fen"] == 500_050
    entry = server_rows(db, "SELECT category, due_basis, due_on, state FROM disclosures WHERE no = ?", case["no"])[0]
    assert (entry["category"], entry["due_basis"]) == ("penalty", "penalty_decision")
    assert entry["due_on"] == dates.workdays_after(today, 7).isoformat()
    logged = [json.loads(r[0]) for r in server_rows(db, "SELECT entry FROM audit_log WHERE kind = 'office.penalty'")]
    assert [(e["subject"], e["by"]) for e in logged] == [(case["no"], f"office:{CLERK}")]
    assert entry["state"] == "published", "published at once (the county publishes on approval)"
    public = httpx.get(f"{office.url}/public/results/{case['no']}").text
    assert "云卫公罚〔2026〕301号" in public and "5,000.50" in public


def test_a_stale_form_is_refused_and_nothing_is_saved(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    case = open_case(db)
    with closing(signed_in(office.url, CLERK)) as clerk, closing(signed_in(office.url, ADMIN)) as admin:
        hidden = opened(clerk, "penalty", case["no"])
        transfer = {**opened(admin, "transfer", case["no"]), "no": case["no"], "kind": "judicial",
                    "to_body": "云溪县公安局", "on": today.isoformat(), "note": "涉嫌犯罪"}
        assert admin.post_form("/office/followups/transfer", transfer).status_code == 303
        before = followup_count(db)
        penalty = {**hidden, "no": case["no"], "decision_no": "云卫公罚〔2026〕302号", "decided_on": today.isoformat()}
        stale = clerk.post_form("/office/followups/penalty", penalty)
        assert stale.status_code == 409 and "已有变化" in stale.text and "本次未保存" in stale.text
        assert "移送司法机关云溪县公安局" in stale.text, "the entry's latest handling is shown"
        assert followup_count(db) == before
        fresh = VERSION.search(stale.text).group(1)
        assert fresh != hidden["version"]
        again = clerk.post_form("/office/followups/penalty", {**penalty, "version": fresh})
        assert again.status_code == 303
        resent = admin.post_form("/office/followups/transfer", transfer)
        assert resent.status_code == 409, "the transfer's own form is stale after the decision"
    assert server_rows(db, "SELECT count(*) FROM followups WHERE kind = 'transfer' AND record_id = ?",
                       case["record_id"])[0][0] == 1


def test_a_transfer_refused_beside_each_field_then_entered(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    target = server_rows(db, "SELECT no, record_id FROM disclosures WHERE category = 'rectify' AND state = 'published'"
                             " ORDER BY id")[0]
    before = followup_count(db)
    with closing(signed_in(office.url, CLERK)) as clerk:
        form = {**opened(clerk, "transfer", target["no"]), "no": target["no"], "kind": "copy",
                "to_body": "云溪县市场监督管理局", "on": today.isoformat(), "note": "涉及市场监管部门职责"}
        bad = clerk.post_form("/office/followups/transfer", {**form, "kind": "fax", "to_body": "", "on": "明天"})
        assert bad.status_code == 422
        assert "请选择类型" in error_of(bad.text, "kind")
        assert error_of(bad.text, "to_body") == "请填写接收单位"
        assert "日期格式应为" in error_of(bad.text, "on")
        blank = clerk.post_form("/office/followups/transfer", {**form, "no": ""})
        assert blank.status_code == 422 and "请填写公示编号" in error_of(blank.text, "no")
        assert followup_count(db) == before
        done = clerk.post_form("/office/followups/transfer", form)
        assert done.status_code == 303
        ledger = clerk.get(done.headers["location"]).text
    assert "已录入抄告：云溪县市场监督管理局" in ledger
    row = ledger.split('id="transfer"')[1]
    assert re.search(rf">{target['no']}</a></td><td>[^<]*</td><td>抄告</td><td>云溪县市场监督管理局</td>"
                     rf"<td class=\"nowrap\">{today.isoformat()}</td><td>涉及市场监管部门职责</td><td>李娜</td>", row)
    stored = server_rows(db, "SELECT by_user FROM followups WHERE kind = 'transfer' AND record_id = ?",
                         target["record_id"])
    assert [r[0] for r in stored] == [f"office:{CLERK}"]
    public = httpx.get(f"{office.url}/public/results/{target['no']}").text
    assert f"抄告云溪县市场监督管理局（{today.isoformat()}）" in public


def test_roles_and_the_reminders(history_county, office) -> None:
    db, today = history_county.db, dates.today()
    case = open_case(db)
    horizon = dates.workdays_after(today, 3)
    due = {r["no"] for r in server_rows(db, "SELECT no, record_id, handling FROM disclosures WHERE"
                                            " handling -> 'rectify' ->> 'status' IN ('pending', 'not_met')")
           if date.fromisoformat(json.loads(r["handling"])["rectify"]["deadline"]) <= horizon}
    assert due, "the demo's year has rectifications past their deadline"
    with closing(signed_in(office.url, AUDITOR)) as auditor, closing(signed_in(office.url, CLERK)) as clerk, \
            closing(signed_in(office.url, ADMIN)) as admin:
        form = {"no": case["no"], "decision_no": "云卫公罚〔2026〕303号", "decided_on": today.isoformat()}
        for path in ("/office/followups/penalty", "/office/followups/transfer"):
            assert auditor.get(path).status_code == 403
            refused = auditor.post_form(path, form)
            assert refused.status_code == 403 and "审核员" in refused.text
        assert clerk.get("/office/followups/penalty").status_code == 200
        page = admin.get("/office/followups").text
        assert f"发送整改提醒（{len(due)} 条）" in page
        version = VERSION.findall(page)[-1]
        assert clerk.post_form("/office/followups/reminders", {"version": version}).status_code == 403
        assert auditor.post_form("/office/followups/reminders", {"version": version}).status_code == 403
        assert server_rows(db, "SELECT count(*) FROM reminders")[0][0] == 0
        sent = admin.post_form("/office/followups/reminders", {"version": version})
        assert sent.status_code == 303
        assert f"已发送整改期限提醒 {len(due)} 条" in admin.get(sent.headers["location"]).text
        again = admin.post_form("/office/followups/reminders", {"version": version})
        assert again.status_code == 409 and "本次未发送" in again.text
        assert "目前没有需要发送的整改提醒" in again.text
    reminded = {r[0] for r in server_rows(db, "SELECT d.no FROM reminders r JOIN disclosures d"
                                              " ON d.record_id = r.record_id")}
    assert reminded == due
    notices = server_rows(db, "SELECT count(DISTINCT CAST(doc AS TEXT)) FROM notices WHERE kind = 'reminder'")[0][0]
    assert notices == len(due), "one notice per rectification, to each member of its team"
    logged = server_rows(db, "SELECT entry FROM audit_log WHERE kind = 'office.reminders'")
    assert [json.loads(r[0])["by"] for r in logged] == [f"office:{ADMIN}"]
