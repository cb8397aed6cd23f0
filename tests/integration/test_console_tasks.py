"""抽查任务 in headless Chromium as an office admin uses it: open the year's tasks, create a task,
preview its population, see a ratio outside the band refused beside the field, save, exclude a
unit with its reason, and open a drawn task's visits and one visit's reassignment form.
Screenshots go to the test's output folder."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.engine import Target
from tests.integration.conftest import County, server_rows
from tests.support.office import browser_sign_in
from tests.support.browser import chromium_page
from tests.support.server import ServerProcess

NUMBER = "云溪卫〔2026〕随抽31号"


@pytest.fixture
def page() -> Iterator[Page]:
    with chromium_page() as made:
        yield made


def places_population(db: Target) -> int:
    rows = server_rows(db, "SELECT specialty, tags FROM units WHERE covered = 1")
    return sum(1 for r in rows if r["specialty"] == "public_places" or "公共场所" in json.loads(r["tags"]))


def test_create_a_task_with_a_preview_and_an_exclusion(server: ServerProcess, county: County, page: Page,
                                                       tmp_path: Path) -> None:
    population = places_population(county.db)
    assert 100 < population <= 200, "the seeded county's public places fall in the 10–15% band"
    browser_sign_in(page, server.url)
    page.goto(server.url + "/office/tasks?year=2026")
    expect(page.get_by_role("heading", name="2026 年度抽查任务")).to_be_visible()
    page.get_by_role("link", name="新建抽查任务").click()

    page.get_by_label("任务编号").fill(NUMBER)
    page.get_by_label("任务名称").fill("2026年冬季公共场所专项抽查")
    page.get_by_label("公共场所").check()
    page.get_by_label("任务期限开始").fill("2026-11-15")
    page.get_by_label("任务期限结束").fill("2026-12-31")
    page.get_by_label("抽查比例（%）").fill("20")
    page.get_by_role("button", name="预览抽查名录").click()
    row = page.get_by_role("row", name=re.compile("^公共场所"))
    expect(row).to_contain_text(f"{population}")
    expect(row).to_contain_text("10%–15%")
    expect(row).to_contain_text(str(math.ceil(population * 10 / 100)))
    expect(page.locator("#e-ratio_percent")).to_contain_text("超出")
    page.screenshot(path=str(tmp_path / "tasks-new-preview.png"), full_page=True)

    page.get_by_label("抽查比例（%）").fill("12")
    page.get_by_role("button", name="预览抽查名录").click()
    expect(page.locator("#e-ratio_percent")).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("^公共场所"))).to_contain_text(str(math.ceil(population * 12 / 100)))
    page.get_by_label("GG-008 游泳场所水质").uncheck()
    page.get_by_role("button", name="保存任务").click()

    expect(page.get_by_role("status").first).to_contain_text("已新建抽查任务")
    expect(page.get_by_role("heading", name=re.compile(re.escape(NUMBER)))).to_contain_text("已计划")
    (task,) = server_rows(county.db, "SELECT * FROM tasks WHERE number = ?", NUMBER)
    assert task["ratio_percent"] == 12 and "GG-008" not in json.loads(task["item_codes"])
    assert json.loads(task["strata"])[0]["n"] == math.ceil(population * 12 / 100)

    unit = server_rows(county.db, "SELECT id FROM units WHERE specialty = 'public_places' AND covered = 1"
                                  " ORDER BY id LIMIT 1")[0]["id"]
    page.get_by_label("排除单位的统一社会信用代码").fill("91370000XXXXXXXXXX")
    page.get_by_label("排除原因").select_option(label="已列入国家/省/市本年度抽查")
    page.get_by_role("button", name="排除该单位").click()
    expect(page.locator("#e-unit")).to_contain_text("名录库中没有该单位")
    page.get_by_label("排除单位的统一社会信用代码").fill(unit)
    page.get_by_label("排除原因").select_option(label="已列入国家/省/市本年度抽查")
    page.get_by_label("说明").fill("已列入省级2026年抽查")
    page.get_by_role("button", name="排除该单位").click()
    expect(page.get_by_role("status").first).to_contain_text("已排除该单位")
    excluded = page.locator("#exclusions + p + div table")
    expect(excluded).to_contain_text(unit)
    expect(excluded).to_contain_text("已列入省级2026年抽查")
    cells = page.get_by_role("row", name=re.compile("^公共场所")).get_by_role("cell")
    expect(cells.nth(0)).to_have_text(str(population))
    expect(cells.nth(1)).to_have_text(str(population - 1), timeout=1000)   # eligible: less the exclusion
    page.screenshot(path=str(tmp_path / "tasks-detail-exclusion.png"), full_page=True)
    assert [tuple(r) for r in server_rows(county.db, "SELECT unit_id, reason FROM task_exclusions WHERE task_id = ?",
                                          task["id"])] == [(unit, "higher_level_sampling")]

    page.goto(server.url + "/office/tasks?year=2026")
    expect(page.get_by_role("row", name=re.compile(re.escape(NUMBER)))).to_contain_text("已计划")
    drawn = server_rows(county.db, "SELECT id, number FROM tasks WHERE state = 'drawn' ORDER BY id LIMIT 1")[0]
    page.get_by_role("row", name=re.compile(re.escape(drawn["number"]))).get_by_role("link", name="检查分配").click()
    expect(page.get_by_role("heading", name=re.compile("检查分配"))).to_be_visible()
    page.get_by_role("link", name=re.compile("^查看.改派")).first.click()
    expect(page.get_by_role("button", name="确认改派")).to_be_visible()
    expect(page.get_by_label("接替的执法人员")).to_be_visible()
    page.screenshot(path=str(tmp_path / "tasks-visit-reassign.png"), full_page=True)
