"""A unit that cannot be found or contacted, in the browser: the attempts with a photo, the
category 无法联系 previewed on the tablet and computed by the server."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

from field_app.camera import scene_jpeg
from tests.e2e.apps import open_app, sign_as, tap, tap_until, two_of, type_into, wait_text
from tests.e2e.test_field_app import local_rows


def wait_pending_photos(data: Path, count: int, seconds: float = 20) -> None:
    """Until the attempt being written down names `count` photos in the saved draft (processing a
    picked photo takes a moment longer on a busy machine than a fixed wait allows)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        drafts = [json.loads(row[0]) for row in local_rows(data, "SELECT doc FROM drafts")]
        if any(len(d.get("pending_attempt", {}).get("photos", [])) >= count for d in drafts):
            return
        time.sleep(0.2)
    raise AssertionError(f"the attempt's photo was not saved within {seconds} s")


def test_unreachable_with_attempts_and_photo(county, server, browser, shots, apps, tmp_path: Path) -> None:
    photo = tmp_path / "大门.jpg"
    photo.write_bytes(scene_jpeg((1600, 1200), seed=3))
    visit = county.assignment_for_review()
    unit, (me, mate) = visit["unit"]["name"], two_of(visit, county.inspector)
    app = apps(tmp_path / "tablet", server.url, enroll_code=county.code_for(county.inspector),
               officer_codes=[county.code_for(mate["id"])]).start()
    page = browser.new_page(viewport={"width": 1100, "height": 1100})
    page.set_default_timeout(15_000)
    open_app(page, app.url)
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit)), "无法联系（找不到单位或联系不上）")
    tap(page, re.compile("无法联系"), role="switch")
    tap(page, "方式 电话")
    type_into(page, "本次尝试的情况", "拨打登记电话三次，无人接听")
    tap(page, "记录本次尝试")
    wait_text(page, "1. 电话")
    tap(page, "方式 上门")
    type_into(page, "本次尝试的情况", "大门紧锁，无人应答")
    with page.expect_file_chooser() as chooser:
        tap(page, "尝试 添加照片")
    chooser.value.set_files(str(photo))
    wait_pending_photos(app.data, 1)
    tap(page, "记录本次尝试")
    wait_text(page, "2. 上门")
    wait_text(page, "1 张照片")
    shots(page, "unreachable", docs=True, expect="1 张照片")
    tap(page, "核对并提交")
    wait_text(page, "预计结果类别：无法联系")
    sign_as(page, me["name"])
    sign_as(page, mate["name"])
    tap(page, "提交记录")
    wait_text(page, "已保存")
    tap(page, "返回任务列表")
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "结果类别 无法联系")
    tap_until(page, "返回", "筛选 全部")
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit) + ".*已提交", re.S), "已签名提交的内容")
    wait_text(page, "大门紧锁，无人应答")
    wait_text(page, "回执：服务器已接收")
    (row,) = county.rows("SELECT category, state FROM records")
    assert (row["category"], row["state"]) == ("unreachable", "received"), "the attempt's photo arrived too"
