"""一单两库 as a clerk uses it, in headless Chromium (Playwright, Debian's chromium): sign in, upload
a unit registry with a bad row, read the preview's error, upload the corrected file, confirm, and
find the new unit by search. Screenshots go to the test's output folder."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from sync_server.registry.core import uscc
from tests.integration.conftest import County, server_rows
from tests.support.office import CLERK, browser_sign_in
from tests.support.browser import chromium_page
from tests.support.server import ServerProcess

HEADER = "统一社会信用代码,单位名称,地址,专业,信用风险等级,乡镇\n"


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page() as made:
        yield made


def test_upload_preview_apply_and_search(server: ServerProcess, county: County, page: Page, tmp_path: Path) -> None:
    first, second = uscc.make("9", "1", "359999", "B0000001"), uscc.make("9", "1", "359999", "B0000002")
    wrong = second[:17] + ("0" if second[17] != "0" else "1")
    bad = tmp_path / "units-bad.csv"
    bad.write_text(HEADER + f"{first},云溪县浏览器测试宾馆,云溪县城关镇测试路1号,公共场所,B,城关镇\n"
                   f"{wrong},云溪县浏览器测试浴室,云溪县城关镇测试路2号,公共场所,A,城关镇\n", encoding="utf-8")
    good = tmp_path / "units.csv"
    good.write_text(HEADER + f"{first},云溪县浏览器测试宾馆,云溪县城关镇测试路1号,公共场所,B,城关镇\n"
                    f"{second},云溪县浏览器测试浴室,云溪县城关镇测试路2号,公共场所,A,城关镇\n", encoding="utf-8")
    before = server_rows(county.db, "SELECT count(*) FROM units")[0][0]

    browser_sign_in(page, server.url, CLERK)
    page.get_by_role("navigation", name="工作台栏目").get_by_role("link", name="一单两库").click()
    expect(page.get_by_role("heading", name="一单两库", exact=True)).to_be_visible()
    page.get_by_label("检查对象名录库文件（.xlsx 或 .csv）").set_input_files(str(bad))
    page.get_by_role("button", name="上传并预览检查对象名录库").click()
    expect(page.get_by_role("heading", name="导入预览：检查对象名录库")).to_be_visible()
    expect(page.get_by_role("alert").first).to_contain_text("文件中有 1 处错误")
    row = page.get_by_role("row").filter(has_text="第 3 行")
    expect(row).to_contain_text("统一社会信用代码")
    expect(row).to_contain_text("校验位错误或含有不允许的字符")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "registry-preview-errors.png"), full_page=True)
    assert server_rows(county.db, "SELECT count(*) FROM units")[0][0] == before

    page.get_by_role("link", name="重新上传").click()
    page.get_by_label("检查对象名录库文件（.xlsx 或 .csv）").set_input_files(str(good))
    page.get_by_role("button", name="上传并预览检查对象名录库").click()
    expect(page.locator("#count-new")).to_have_text("2")
    expect(page.locator("#count-left-out")).to_have_text(str(before))
    page.screenshot(path=str(tmp_path / "registry-preview.png"), full_page=True)
    assert server_rows(county.db, "SELECT count(*) FROM units")[0][0] == before
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status").first).to_contain_text("已导入检查对象名录库：新增 2、更新 0")
    assert server_rows(county.db, "SELECT count(*) FROM units")[0][0] == before + 2

    page.get_by_label("名称、统一社会信用代码或地址").fill("浏览器测试")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_text("共 2 家单位")).to_be_visible()
    page.get_by_role("link", name="云溪县浏览器测试浴室").click()
    expect(page.get_by_role("heading", name="云溪县浏览器测试浴室")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="统一社会信用代码")).to_contain_text(second)
    page.screenshot(path=str(tmp_path / "registry-unit.png"), full_page=True)
    assert re.search(r"/office/units/" + second + "$", page.url)
