"""The console's 工作日历 and 统计报告 sections over real HTTP on a real server: a year's holiday
notice previewed (what it would move) and applied, a bad one refused in Chinese, a stale
confirmation refused; the yearly report's figures and its workbook read back with openpyxl and
compared with counts made here from the database and by hand (tests/integration/test_reports.py)."""
from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from openpyxl import load_workbook

from sync_server.db.connection import open_db
from tests.support.engine import Target
from tests.support import engine
from tests.integration.conftest import server_rows
from tests.support.office import Console, make_account, signed_in
from tests.support.report_rows import Rows, fill_2025
from tests.support.server import ROOT, ServerProcess

# The report's cutoff reads today's date (2025 is long past at every clock the suite runs at).
pytestmark = pytest.mark.dates

EXAMPLE = (ROOT / "docs" / "samples" / "calendar-2027-example.txt").read_text(encoding="utf-8")
# Provisional due dates (2027 has no official arrangement yet), counted on weekends alone, and
# on the example notice by hand (2027-01-01 off; 02-06..02-12 off; Saturday 02-13 worked):
#   from 2027-01-29 (Fri) + 10: 02-12 → 02-18      from 2026-12-30 (Wed) + 3: 2027-01-04 → 01-05
#   from 2027-03-01 (Mon) + 5: 03-08 → 03-08 (settled, not moved)
PROVISIONAL = [("2027-01-29", 10, "2027-02-12", "2027-02-18"), ("2026-12-30", 3, "2027-01-04", "2027-01-05"),
               ("2027-03-01", 5, "2027-03-08", "2027-03-08")]


@pytest.fixture(scope="module")
def county_db(tmp_path_factory: pytest.TempPathFactory) -> Target:
    db = engine.new_target(tmp_path_factory.mktemp("yearly") / "server.db", for_the_run=True)
    conn = open_db(db)
    fill_2025(conn)
    rows = Rows(conn)
    for start, days, due, _ in PROVISIONAL:
        n = rows.entry("public_places", 2027, 1, "no_problem", "no_problem", due)
        conn.execute("UPDATE disclosures SET due_from = ?, due_days = ?, due_provisional = 1 WHERE id = ?",
                     (start, days, n))
    conn.close()
    for username, role in (("admin1", "admin"), ("clerk1", "clerk"), ("auditor1", "auditor")):
        make_account(db, username, role)
    return db


@pytest.fixture
def server(county_db: Target, tmp_path: Path) -> Iterator[ServerProcess]:
    """A copy of the module's database for each test (on PostgreSQL: made from it as a template)."""
    db: Target = tmp_path / "server.db"
    if engine.ON_POSTGRES:
        db = engine.new_target(tmp_path / "server.db", template=engine.database_of(county_db))
    else:
        source, target = sqlite3.connect(county_db), sqlite3.connect(db)
        source.backup(target)
        source.close()
        target.close()
    proc = ServerProcess(db).start()
    yield proc
    proc.stop()


@pytest.fixture
def admin(server: ServerProcess) -> Iterator[Console]:
    client = signed_in(server.url, "admin1")
    yield client
    client.close()


def dues(db: Target) -> dict[str, tuple[str, int]]:
    return {r["due_from"]: (r["due_on"], r["due_provisional"])
            for r in server_rows(db, "SELECT due_from, due_on, due_provisional FROM disclosures WHERE year = 2027")}


def test_preview_then_apply(server: ServerProcess, admin: Console) -> None:
    page = admin.get("/office/calendar")
    assert page.status_code == 200 and "载入年度放假安排" in page.text
    preview = admin.post("/office/calendar/preview", data={"csrf": admin.csrf, "text": EXAMPLE, "source": "示例通知"},
                         files={"file": ("", b"")})
    assert preview.status_code == 200, preview.text[:500]
    text = preview.text
    assert "预览：2027 年放假安排" in text and "放假（8 天）" in text and "调休上班（1 天）" in text
    assert "2027-02-13</td><td>六</td><td>春节调休" in text
    assert "目前暂定的公示期限 <strong>3</strong> 项" in text and '<strong id="moved">2</strong>' in text
    assert "<strong>3</strong> 项成为正式期限" in text
    assert dues(server.db) == {s: (due, 1) for s, _, due, _ in PROVISIONAL}, "a preview changes nothing"
    assert not server_rows(server.db, "SELECT 1 FROM calendar_years WHERE year = 2027")

    version = re.search(r'name="version" value="([^"]+)"', text).group(1)
    applied = admin.post_form("/office/calendar/apply", {"text": EXAMPLE, "source": "示例通知", "version": version})
    assert applied.status_code == 303 and applied.headers["location"].startswith("/office/calendar?done=")
    after = dues(server.db)
    assert after == {s: (new, 0) for s, _, _, new in PROVISIONAL}
    assert sum(after[s][0] != due for s, _, due, _ in PROVISIONAL) == 2, "as many moved as the preview said"
    listed = admin.get("/office/calendar").text
    assert re.search(r"<th scope=\"row\">2027</th><td>示例通知</td>", listed)
    entry = bytes(server_rows(server.db, "SELECT entry FROM audit_log WHERE kind = 'calendar.loaded'")[-1]["entry"])
    assert '"by":"office:admin1"' in entry.decode() and "示例通知" in entry.decode()

    stale = admin.post_form("/office/calendar/apply", {"text": EXAMPLE, "source": "示例通知", "version": version})
    assert stale.status_code == 409 and "请重新预览" in stale.text


@pytest.mark.parametrize("notice, source, field, words", [
    ("2027-01-04,班,周一", "x", "text", "不能标为调休上班"),
    ("2027-01-01,休,元旦\n2027-01-01,休,元旦", "x", "text", "重复出现"),
    ("2027-01-01,休,元旦\n2028-01-01,休,元旦", "x", "text", "同一年度"),
    ("2027/01/01 休 元旦", "x", "text", "格式应为"),
    ("", "x", "text", "请粘贴通知的放假安排"),
    ("2027-01-01,休,元旦", "", "source", "请填写来源"),
])
def test_a_bad_notice_is_refused_beside_its_field(server: ServerProcess, admin: Console, notice: str, source: str,
                                                 field: str, words: str) -> None:
    before = server_rows(server.db, "SELECT count(*) FROM calendar_days")[0][0]
    refused = admin.post("/office/calendar/preview", data={"csrf": admin.csrf, "text": notice, "source": source},
                         files={"file": ("", b"")})
    assert refused.status_code == 422
    beside = re.search(rf'<small id="e-{field}" class="error" role="alert">([^<]*)</small>', refused.text)
    assert beside and words in beside.group(1), refused.text[:3000]
    assert server_rows(server.db, "SELECT count(*) FROM calendar_days")[0][0] == before
    bad_apply = admin.post_form("/office/calendar/apply", {"text": notice, "source": source, "version": "new"})
    assert bad_apply.status_code == 422 and not server_rows(server.db, "SELECT 1 FROM calendar_years WHERE year = 2027")


def test_a_form_without_a_file_input(admin: Console) -> None:
    preview = admin.post_form("/office/calendar/preview", {"text": EXAMPLE, "source": "示例通知"})
    assert preview.status_code == 200 and "放假（8 天）" in preview.text


def test_an_uploaded_file_that_is_not_utf8(admin: Console) -> None:
    refused = admin.post("/office/calendar/preview", data={"csrf": admin.csrf, "text": "", "source": ""},
                         files={"file": ("2027.txt", "2027-01-01,休,元旦".encode("gb18030"))})
    assert refused.status_code == 422 and "UTF-8" in refused.text
    uploaded = admin.post("/office/calendar/preview", data={"csrf": admin.csrf, "text": "", "source": ""},
                          files={"file": ("2027.txt", EXAMPLE.encode("utf-8"))})
    assert uploaded.status_code == 200 and "来源：2027.txt" in uploaded.text


def test_the_yearly_report_and_its_workbook(server: ServerProcess, admin: Console) -> None:
    listing = admin.get("/office/reports").text
    assert 'href="/office/reports/2025.xlsx"' in listing and 'href="/office/reports/2025?half=1"' in listing
    page = admin.get("/office/reports/2025").text
    assert "2025年度双随机、一公开工作统计报告" in page
    total = re.search(r'<th scope="row">合计</th>(.*?)</tr>', page).group(1)
    # registry 140, drawn 9, 6.4%, inspected 9 (hand-worked in test_reports.py)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", total)[:4] == ["140", "9", "6.4%", "9"]
    assert "逾期公示及逾期未公示明细（4 项）" in page and "&lt;script&gt;" in page

    response = admin.get("/office/reports/2025.xlsx")
    assert response.status_code == 200 and response.headers["content-disposition"].endswith('"report-2025.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["汇总表"].iter_rows(values_only=True))
    headers, whole = rows[1], next(r for r in rows if r[0] == "合计")
    figures = dict(zip(headers, whole))
    covered = server_rows(server.db, "SELECT count(*) FROM units WHERE covered = 1")[0][0]
    drawn = server_rows(server.db, "SELECT count(DISTINCT a.unit_id) FROM assignments a"
                                   " JOIN assignment_tasks t ON t.assignment_id = a.id"
                                   " JOIN tasks k ON k.id = t.task_id JOIN plans p ON p.id = k.plan_id"
                                   " WHERE p.year = 2025 AND k.state = 'drawn'")[0][0]
    assert (figures["名录库单位数"], figures["抽取单位数"]) == (covered, drawn) == (140, 9)
    assert figures["抽取任务数"] == server_rows(server.db, "SELECT count(*) FROM tasks WHERE state = 'drawn'")[0][0]
    half = load_workbook(io.BytesIO(admin.get("/office/reports/2025.xlsx?half=2").content))
    assert next(r for r in half["汇总表"].iter_rows(values_only=True) if r[0] == "合计")[2] == 7


@pytest.mark.parametrize("path, status, words", [
    ("/office/reports/20x5", 400, "年度无效"), ("/office/reports/2025?half=3", 400, "半年度参数无效"),
    ("/office/reports/1999", 404, "没有该年度报告"), ("/office/reports/1999.xlsx", 404, "没有该年度报告")])
def test_a_bad_period_is_a_chinese_page(admin: Console, path: str, status: int, words: str) -> None:
    response = admin.get(path)
    assert response.status_code == status and words in response.text


@pytest.mark.parametrize("username", ["clerk1", "auditor1"])
def test_clerks_and_auditors_read_but_do_not_load(server: ServerProcess, username: str) -> None:
    person = signed_in(server.url, username)
    try:
        page = person.get("/office/calendar")
        assert page.status_code == 200 and "载入年度放假安排" not in page.text
        for path in ("/office/calendar/preview", "/office/calendar/apply"):
            refused = person.post_form(path, {"text": EXAMPLE, "source": "x", "version": "new"})
            assert refused.status_code == 403 and "无权进行此操作" in refused.text
        assert person.get("/office/reports/2025").status_code == 200
        assert person.get("/office/reports/2025.xlsx").status_code == 200
    finally:
        person.close()
    assert not server_rows(server.db, "SELECT 1 FROM calendar_years WHERE year = 2027")
