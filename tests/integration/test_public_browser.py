"""The public disclosure pages as a citizen uses them, in headless Chromium (Playwright, Debian's
chromium): search, filter, page, download, open an entry, verify it in the browser, and see a
tampered entry fail the check. Screenshots go to the test's output folder."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from sync_server.db.connection import transaction
from tests.support import engine
from tests.integration.conftest import County, server_rows
from tests.support.server import ServerProcess
from tests.support.browser import chromium_page
from tests.support.office import ADMIN, PASSWORD



@pytest.fixture
def site(history_county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(history_county.db).start()
    yield proc
    proc.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page() as made:
        yield made


def test_search_filter_download_and_verify(site: ServerProcess, history_county: County, page: Page,
                                          tmp_path: Path) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name="抽查结果公示").first.click()
    expect(page.get_by_role("heading", name="双随机抽查结果公示")).to_be_visible()
    published = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE first_published_on IS NOT NULL")[0][0]
    expect(page.get_by_role("status")).to_contain_text(f"共 {published} 条")

    page.get_by_label("检查结果").select_option(label="行政处罚")
    page.get_by_role("button", name="查询").click()
    penalties = server_rows(history_county.db, "SELECT count(*) FROM disclosures WHERE first_published_on IS NOT NULL"
                            " AND category = 'penalty'")[0][0]
    expect(page.get_by_role("status")).to_contain_text(f"共 {penalties} 条")
    cells = page.locator("table.results tbody tr td:nth-child(6)")
    assert cells.count() == min(penalties, 20) and set(cells.all_inner_texts()) == {"行政处罚"}
    page.screenshot(path=str(tmp_path / "results-penalty.png"), full_page=True)

    with page.expect_download() as caught:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "results.csv"
    caught.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["公示编号", "单位名称", "统一社会信用代码"] and len(rows) - 1 == penalties
    assert {r[7] for r in rows[1:]} == {"行政处罚"}

    name = rows[1][1]
    page.get_by_label("单位名称或统一社会信用代码").fill(name)
    page.get_by_label("检查结果").select_option(label="全部结果")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.results")).to_contain_text(name)
    page.get_by_role("link", name=rows[1][0]).first.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    page.screenshot(path=str(tmp_path / "entry.png"), full_page=True)

    page.get_by_role("link", name="核验本条公示").click()
    page.get_by_role("button", name="在浏览器中核验").click()
    expect(page.locator("#verdict")).to_have_text("一致：本条公示未被改动，且已记入审计日志。", timeout=20_000)
    assert page.locator("#steps li.bad").count() == 0 and page.locator("#steps li.ok").count() >= 7
    page.screenshot(path=str(tmp_path / "verify.png"), full_page=True)


def test_a_tampered_entry_fails_verification_in_the_browser(site: ServerProcess, history_county: County,
                                                            page: Page, tmp_path: Path) -> None:
    entry_id, no, doc = server_rows(history_county.db, "SELECT d.id, d.no, x.doc FROM disclosures d JOIN disclosure_docs x"
                                    " ON x.id = d.id WHERE d.category = 'no_problem' LIMIT 1")[0]
    altered = json.loads(bytes(doc))
    altered["category"] = {"code": "no_problem", "label": "未发现问题（已改动）"}
    conn = engine.connect(history_county.db)
    with transaction(conn):   # someone with database access rewrites what the page serves
        conn.execute("UPDATE disclosure_docs SET doc = ? WHERE id = ?",
                     (json.dumps(altered, ensure_ascii=False, separators=(",", ":")).encode(), entry_id))
    conn.close()
    page.goto(f"{site.url}/public/results/{no}/verify")
    page.get_by_role("button", name="在浏览器中核验").click()
    expect(page.locator("#verdict")).to_contain_text("不一致", timeout=20_000)
    expect(page.locator("#steps li.bad").first).to_contain_text("公示内容的 SHA-256")
    page.screenshot(path=str(tmp_path / "verify-tampered.png"), full_page=True)


def test_bad_queries_get_a_chinese_page_not_an_error(site: ServerProcess, page: Page) -> None:
    response = page.goto(site.url + "/public/results?page=100000000")
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="页码超出范围")).to_be_visible()
    response = page.goto(site.url + "/public/results?q=" + "%27%3B%20DROP%20TABLE%20disclosures%3B--")
    assert response is not None and response.status == 200
    expect(page.get_by_role("status")).to_contain_text("共 0 条")


def test_the_office_signs_in_and_sees_what_is_due_and_the_ledger(site: ServerProcess, history_county: County,
                                                                 page: Page, tmp_path: Path) -> None:
    page.goto(site.url + "/office")
    expect(page.get_by_role("heading", name="监督所工作台")).to_be_visible()
    page.get_by_label("账号").fill(ADMIN)
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("账号或密码不正确")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="结果公示（截至")).to_be_visible()
    overdue = server_rows(history_county.db, "SELECT no FROM disclosures WHERE state = 'due' ORDER BY due_on LIMIT 1")[0][0]
    expect(page.locator("main")).to_contain_text(overdue)
    expect(page.locator("main")).to_contain_text("已逾期")
    expect(page.get_by_role("heading", name="待复查的整改")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "suijian_office")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/office"
    page.screenshot(path=str(tmp_path / "office.png"), full_page=True)
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    page.goto(site.url + "/office")
    expect(page.get_by_role("button", name="登录")).to_be_visible()


WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective + " " + e.blockedURI); });
window.print = function () { window.__printed = true; };
"""


def test_the_pages_work_under_the_content_security_policy(site: ServerProcess, history_county: County, page: Page,
                                                         tmp_path: Path) -> None:
    """Every page, the entry's print button and the in-browser verification run with no CSP violation
    (console and securitypolicyviolation events); an injected inline handler is blocked."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH_CSP)
    no = server_rows(history_county.db, "SELECT no FROM disclosures WHERE first_published_on IS NOT NULL LIMIT 1")[0][0]
    violations: list[str] = []
    for path in ["/", "/public/results", "/public/items", "/public/plans/2026", "/public/tasks/T2026-14",
                 f"/public/reports/{no[:4]}", "/office/login", f"/public/results/{no}"]:
        response = page.goto(site.url + path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        violations += page.evaluate("window.__csp")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") is True, "print.js wires the button (no inline onclick)"
    page.get_by_role("link", name="核验本条公示").click()
    page.get_by_role("button", name="在浏览器中核验").click()
    expect(page.locator("#verdict")).to_have_text("一致：本条公示未被改动，且已记入审计日志。", timeout=20_000)
    violations += page.evaluate("window.__csp")
    assert violations == [] and not [m for m in console if "Content Security Policy" in m], (violations, console)
    page.screenshot(path=str(tmp_path / "verify-csp.png"), full_page=True)

    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.__ran = 1">')""")
    expect(page.locator("img[onerror]")).to_have_count(1)
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None, "an injected inline handler does not run"
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
