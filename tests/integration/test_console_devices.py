"""The console's 设备, 工作日历 and 统计报告 sections as an office admin uses them, in headless
Chromium (Playwright, Debian's chromium): make an officer's enrollment code and see its QR code, a
real tablet client enrolls with what the code page shows, the device is listed with its last sync
and revoked with a reason; a holiday notice pasted, previewed and loaded; a report downloaded."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterator

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from field_app.keys import KeyStore
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import enrollment_link
from tests.integration.conftest import FAST_RETRY, County, server_rows
from tests.support.office import browser_sign_in
from tests.support.browser import chromium_page
from tests.support.server import ROOT, ServerProcess

EXAMPLE = (ROOT / "docs" / "samples" / "calendar-2027-example.txt").read_text(encoding="utf-8")


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page() as made:
        yield made


def test_enrollment_code_qr_then_revoke(server: ServerProcess, county: County, page: Page, tmp_path: Path) -> None:
    officer = server_rows(county.db, "SELECT id, name FROM users WHERE id = ?", county.inspector)[0]
    browser_sign_in(page, server.url)
    page.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="设备").click()
    expect(page.get_by_role("heading", name="设备", exact=True)).to_be_visible()
    page.get_by_label("查找执法人员").fill(officer["name"])
    page.get_by_role("button", name="查找").click()
    page.get_by_role("button", name=f"为 {officer['name']} 生成注册码").click()

    expect(page.get_by_role("heading", name=f"{officer['name']} 的一次性注册码")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("此码只显示这一次")
    page.screenshot(path=str(tmp_path / "enrollment-code.png"), full_page=True)
    code = page.locator("#enrollment-code").inner_text()
    link = enrollment_link.parse(page.locator("code.link").inner_text())
    assert link.code == code and link.server == server.url

    home = tmp_path / "tablet"
    client = SyncClient(link.server, LocalStore(home / "app.db"), KeyStore(home / "keys"), retry=FAST_RETRY)
    try:
        device_id = client.enroll(link.code, "云溪一号平板", "135790")["device_id"]
        assert client.sync().error is None
        page.get_by_role("link", name="返回设备列表").click()
        rows = page.locator("tr", has_text="云溪一号平板")
        expect(rows).to_have_count(2)   # the tablet, and the officer's signing key on it
        expect(rows.first).to_contain_text("在用")
        expect(rows.first).not_to_contain_text("从未同步")
        expect(rows.last).to_contain_text("签名密钥")

        page.get_by_role("link", name=f"停用 {officer['name']} 的平板 云溪一号平板").click()
        expect(page.get_by_role("heading", name="停用设备")).to_be_visible()
        page.screenshot(path=str(tmp_path / "revoke.png"), full_page=True)
        expect(page.get_by_label("停用原因")).to_have_attribute("required", "")   # the server refuses it too
        page.get_by_label("停用原因").fill("平板遗失")
        page.get_by_role("button", name="确认停用").click()
        expect(page.get_by_role("status")).to_contain_text("已停用设备")
        for row in page.locator("tr", has_text="云溪一号平板").all():
            expect(row).to_contain_text("已停用")
            expect(row).to_contain_text("平板遗失")
        page.screenshot(path=str(tmp_path / "revoked.png"), full_page=True)
        assert server_rows(county.db, "SELECT status FROM devices WHERE id = ?", device_id)[0][0] == "revoked"
        assert client.sync().error, "the revoked tablet's next sync is refused"
    finally:
        client.close()
        client.store.close()


def test_calendar_notice_and_report(server: ServerProcess, county: County, page: Page, tmp_path: Path) -> None:
    browser_sign_in(page, server.url)
    page.goto(server.url + "/office/calendar")
    page.get_by_label("放假安排").fill(EXAMPLE)
    page.get_by_label("来源").fill("示例通知")
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="预览：2027 年放假安排")).to_be_visible()
    expect(page.get_by_role("heading", name="放假（8 天）")).to_be_visible()
    page.screenshot(path=str(tmp_path / "calendar-preview.png"), full_page=True)
    page.get_by_role("button", name="确认载入").click()
    expect(page.get_by_role("status")).to_contain_text("已载入 2027 年放假安排")
    expect(page.get_by_role("row", name=re.compile("2027 示例通知"))).to_be_visible()
    days = server_rows(county.db, "SELECT count(*) FROM calendar_days WHERE day LIKE '2027-%'")[0][0]
    assert days == 9, "every line of the notice arrived (newlines kept through the confirmation form)"

    page.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="统计报告").click()
    year = server_rows(county.db, "SELECT max(year) FROM plans")[0][0]
    page.get_by_role("row", name=re.compile(f"{year} 年")).get_by_role("link", name="查看").last.click()
    expect(page.get_by_role("heading", name=f"{year}年度双随机、一公开工作统计报告")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("下载 Excel")).click()
    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames == ["汇总表", "公示及时性", "说明"]
    covered = server_rows(county.db, "SELECT count(*) FROM units WHERE covered = 1")[0][0]
    total = next(r for r in book["汇总表"].iter_rows(values_only=True) if r[0] == "合计")
    assert total[1] == covered
