"""The console's 账号 section and layout in headless Chromium: the admin opens an account (an
error shown beside the field first), the new clerk must change the initial password, the clerk's
navigation and refusals follow the role table; the pages use the bundled CJK font and nothing
leaves the machine."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.integration.conftest import County, server_rows
from tests.support.office import ADMIN, PASSWORD, browser_sign_in
from tests.support.server import ServerProcess

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def site(county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(county.db).start()
    yield proc
    proc.stop()


@pytest.fixture
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        yield context.new_page(), requested
        context.close()
        browser.close()


def test_the_admin_opens_an_account_and_the_clerk_changes_the_password(
        site: ServerProcess, county: County, browser_page: tuple[Page, list[str]], tmp_path: Path) -> None:
    page, requested = browser_page
    browser_sign_in(page, site.url, ADMIN, PASSWORD)
    expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
    loaded = page.evaluate("document.fonts.ready.then(() => [...document.fonts].filter("
                           "f => f.family.includes('SuiJian Sans') && f.status === 'loaded').length)")
    assert loaded == 1, "the bundled CJK font is loaded from this server"
    page.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="账号").click()
    page.get_by_label("账号名").fill("zhaolei")
    page.get_by_label("姓名").fill("赵磊")
    page.get_by_label("角色").select_option(label="录入员")
    page.get_by_label("初始密码").fill("short")
    page.get_by_role("button", name="开设账号").click()
    field = page.get_by_label("初始密码")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-password")).to_contain_text("密码至少 10 位")
    expect(page.get_by_label("账号名")).to_have_value("zhaolei"), "what was typed is kept"
    assert server_rows(county.db, "SELECT count(*) FROM office_accounts WHERE username = 'zhaolei'")[0][0] == 0
    page.get_by_label("初始密码").fill("Initial-pass-77")
    page.get_by_role("button", name="开设账号").click()
    expect(page.get_by_role("status")).to_contain_text("已开设账号 zhaolei（录入员）")
    expect(page.get_by_role("cell", name="赵磊")).to_be_visible()
    page.screenshot(path=str(tmp_path / "accounts.png"), full_page=True)
    page.get_by_role("button", name="退出").click()

    browser_sign_in(page, site.url, "zhaolei", "Initial-pass-77")
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    page.goto(site.url + "/office/accounts")
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible(), "no page before the password is changed"
    page.get_by_label("当前密码").fill("Initial-pass-77")
    page.locator("#f-password").fill("Zhao-own-pass-88")
    page.get_by_label("再次输入新密码").fill("Zhao-own-pass-88")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("status")).to_contain_text("密码已修改")
    nav = page.get_by_role("navigation", name="工作台栏目")
    expect(nav.get_by_role("link", name="一单两库")).to_be_visible()
    page.goto(site.url + "/office/accounts")
    expect(page.get_by_role("button", name="开设账号")).to_have_count(0), "a clerk sees accounts, opens none"

    page.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="审计日志").click()
    page.get_by_label("操作人").fill(f"office:{ADMIN}")
    page.get_by_role("button", name="筛选").click()
    row = page.locator("tbody tr").filter(has_text="office_account.created").filter(has_text="office:zhaolei")
    expect(row).to_have_count(1), "who opened the account is in the log, as the person"

    hosts = {urlsplit(url).hostname for url in requested}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {hosts}"
    kinds = [row[0] for row in server_rows(county.db, "SELECT kind FROM audit_log WHERE kind LIKE 'office_account.%'")]
    assert kinds.count("office_account.created") == 4 and "office_account.password_changed" in kinds
