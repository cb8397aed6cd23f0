"""A whole inspection in the browser, as a new user does it: enroll, work the checklist with a
photo and the party's signature, submit with the server down, sync when it is back, see the
receipt; the leader returns it, the inspector corrects it, the leader approves. The app process
is killed in the middle of the checklist and in the middle of a sync: nothing is lost or doubled.
"""
from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from field_app.camera import scene_jpeg
from field_app.core import checklist
from tests.e2e.apps import (open_app, register_officer, sign_as, tap, tap_until, two_of, type_into,
                            wait_text)
from tests.support.records import PIN

REASON = "第2项现场照片不清晰，请补充说明整改要求"


def local_rows(data: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(data / "app.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def draw_signature(page) -> None:
    name_box = page.get_by_role("textbox", name="当事人姓名", exact=True).bounding_box()
    x, y = name_box["x"] + 60, name_box["y"] + name_box["height"] + 12 + 110
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + i * 16, y + (30 if i % 2 else -30), steps=2)
    page.mouse.up()


def new_tab(browser):
    page = browser.new_page(viewport={"width": 1100, "height": 1300}, device_scale_factor=1)
    page.set_default_timeout(15_000)
    return page


def test_inspection_return_correct_approve(county, server, browser, shots, apps, tmp_path: Path) -> None:
    visit = county.assignment_for_review()
    unit, items = visit["unit"]["name"], checklist.applicable(visit)   # what the checklist offers, in order
    me, mate = two_of(visit, county.inspector)
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(scene_jpeg((4000, 3000), seed=7, orientation=6))
    broken = tmp_path / "损坏.jpg"
    broken.write_bytes(photo.read_bytes()[:4000])  # a transfer cut short

    # --- the inspector enrolls a new tablet -------------------------------------------------------
    tablet = apps(tmp_path / "tablet", server.url).start()
    page = new_tab(browser)
    open_app(page, tablet.url)
    wait_text(page, "一次性注册码")
    shots(page, "enroll", docs=True, expect="一次性注册码")
    type_into(page, "一次性注册码", "AAAA-BBBB-CCCC")
    type_into(page, "设置签名 PIN（6 至 12 位数字）", PIN)
    type_into(page, "再次输入 PIN", PIN)
    tap(page, "注册")
    wait_text(page, "注册码无效，请核对后重新输入")  # the server's answer, in Chinese
    type_into(page, "一次性注册码", county.code_for(county.inspector))
    tap(page, "注册")
    wait_text(page, "我的检查任务")
    wait_text(page, "上次同步")
    shots(page, "worklist", docs=True, expect="上次同步")
    assert len(local_rows(tablet.data, "SELECT id FROM assignments")) >= 10
    assert (tablet.data / "keys" / "device-key.pem").exists()
    assert b"PRIVATE KEY" not in (tablet.data / "app.db").read_bytes(), "the key is kept out of the database"

    # --- the teammate registers their own signing key on this tablet (their code, their PIN) ----------
    tap_until(page, "本机签名人员", "登记一名执法人员")
    register_officer(page, county.code_for(mate["id"]))
    tap_until(page, "返回", "筛选 全部")
    # --- the checklist: first items, a photo through the file chooser -------------------------------
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit)), "无法联系（找不到单位或联系不上）")
    tap(page, "第1项 合格")
    tap(page, "第2项 不合格")
    type_into(page, "第2项 备注", "卫生管理档案缺失")
    with page.expect_file_chooser() as chooser:
        tap(page, "第2项 添加照片")
    chooser.value.set_files(str(broken))
    wait_text(page, "照片文件已损坏或不完整，无法读取")  # refused at capture, with a message for the inspector
    with page.expect_file_chooser() as chooser:
        tap(page, "第2项 添加照片")
    chooser.value.set_files(str(photo))
    wait_text(page, "1 张照片")
    shots(page, "checklist", docs=True, expect="1 张照片")

    # --- killed in the middle of the checklist: the draft is all there after a restart --------------
    tablet.kill9()
    draft = json.loads(local_rows(tablet.data, "SELECT doc FROM drafts")[0]["doc"])
    second = draft["findings"][f"{items[1]['task_id']}/{items[1]['code']}"]
    assert second["outcome"] == "non_compliant" and second["note"] == "卫生管理档案缺失"
    assert len(second["photos"]) == 1 and (tablet.data / "photos" / f"{second['photos'][0]}.jpg").exists()
    tablet.start()
    open_app(page, tablet.url)
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit) + ".*草稿", re.S), "1 张照片")
    for number in range(3, len(items) + 1):
        tap(page, f"第{number}项 合格" if number % 3 else f"第{number}项 不适用")

    # --- the party signs on the pad ------------------------------------------------------------------
    tap(page, "当事人签字")
    type_into(page, "当事人姓名", visit["unit"]["contact"])
    draw_signature(page)
    tap(page, "保存签名")
    wait_text(page, "签名已保存")
    shots(page, "signature", docs=True, expect="签名已保存")
    tap(page, "完成")

    # --- submit with the server down: saved on the tablet only -----------------------------------------
    server.stop()
    tap(page, "核对并提交")
    wait_text(page, "预计结果类别：发现问题已责令整改")
    shots(page, "summary", docs=True, expect="预计结果类别")
    sign_as(page, me["name"])
    sign_as(page, mate["name"])
    tap(page, "提交记录")
    wait_text(page, "已保存")
    (pending,) = local_rows(tablet.data, "SELECT id, state FROM outbox")
    assert pending["state"] == "pending"
    assert not local_rows(tablet.data, "SELECT * FROM drafts"), "the draft became the queued record"
    assert not county.rows("SELECT id FROM records WHERE id = ?", pending["id"])
    tap(page, "返回任务列表")
    wait_text(page, "待同步 1")

    # --- the server is back; killed in the middle of a sync; restart and sync: one record, one receipt --
    server.start()
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    page.wait_for_timeout(150)
    tablet.kill9()
    tablet.start()
    open_app(page, tablet.url)
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "审计日志序号")
    shots(page, "sync", docs=True, expect="审计日志序号")
    assert [r["state"] for r in local_rows(tablet.data, "SELECT state FROM outbox")] == ["accepted"]
    stored = county.rows("SELECT id, review_state FROM records WHERE assignment_id = ?", visit["id"])
    assert [(r["id"], r["review_state"]) for r in stored] == [(pending["id"], "in_review")]

    # --- the leader returns it, on another tablet --------------------------------------------------------
    lead = apps(tmp_path / "leader", server.url, enroll_code=county.code_for(county.leader)).start()
    boss = new_tab(browser)
    open_app(boss, lead.url)
    wait_text(boss, "待审核的记录在同步时下载")  # a leader with records to review opens on the queue
    tap_until(boss, re.compile(re.escape(unit)), "服务器计算的结果类别：发现问题已责令整改")
    # the photos came down with the queue, checked against the signed record: the leader sees the evidence
    evidence = lead.data / "photos" / f"{second['photos'][0]}.jpg"
    _wait_for(evidence.exists, "the leader's tablet has the record's photo")
    assert evidence.read_bytes() == (tablet.data / "photos" / evidence.name).read_bytes()
    tap_until(boss, "查看第2项 照片1", "关闭")
    wait_text(boss, "第2项 照片1")
    shots(boss, "review-photo", docs=True, expect="第2项 照片1")
    tap(boss, "关闭")
    wait_text(boss, "当事人 ")  # the signature's line, with its picture below
    shots(boss, "review", docs=True, expect="服务器计算的结果类别")
    type_into(boss, "退回原因", REASON)
    tap(boss, "退回")
    wait_text(boss, f"已退回：{unit}")  # back on the queue, the result at its top
    _wait_server(county, pending["id"], "returned", boss)

    # --- the inspector sees the reason, corrects and resubmits -------------------------------------------
    page.bring_to_front()
    tap(page, "立即同步")
    wait_text(page, "同步完成")
    tap_until(page, "返回", "筛选 全部")
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit) + ".*已退回", re.S), REASON)
    shots(page, "returned", docs=True, expect=REASON)
    type_into(page, "第2项 备注", "卫生管理档案缺失，已责令十五日内建立")
    tap(page, "核对并提交")
    wait_text(page, "本记录将更正被退回的原记录")
    sign_as(page, me["name"])
    sign_as(page, mate["name"])
    tap(page, "提交记录")
    wait_text(page, "已保存")
    tap(page, "返回任务列表")
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "同步完成")
    records = county.rows("SELECT id, supersedes, review_state FROM records WHERE assignment_id = ?"
                          " ORDER BY received_at", visit["id"])
    assert [(r["supersedes"], r["review_state"]) for r in records] == [(None, "superseded"),
                                                                       (pending["id"], "in_review")]
    correction = records[1]["id"]

    # --- the leader approves the correction --------------------------------------------------------------
    boss.bring_to_front()
    tap_until(boss, "同步", "立即同步")
    tap(boss, "立即同步")
    wait_text(boss, "同步完成")
    tap_until(boss, "返回", "待审核的记录在同步时下载")  # to the queue, now with the correction
    tap_until(boss, re.compile(re.escape(unit) + ".*待审核", re.S), "服务器计算的结果类别")
    tap_until(boss, "通过", "确认通过")  # asked before it is signed
    tap(boss, "确认通过")
    _wait_server(county, correction, "approved", boss)
    decisions = county.rows("SELECT decision FROM reviews ORDER BY received_at")
    assert [d["decision"] for d in decisions] == ["return", "approve"]

    # --- the approval reaches the inspector's tablet through the feed --------------------------------------
    page.bring_to_front()
    tap(page, "立即同步")
    wait_text(page, "同步完成")
    tap_until(page, "返回", "筛选 全部")
    # 同步完成 may still be the last sync's line: wait for the approval itself in the tablet's database
    _wait_for(lambda: (correction, "approve") in {(d["record_id"], d["decision"]) for d in (
        json.loads(r["doc"]) for r in local_rows(tablet.data, "SELECT doc FROM returns"))},
        "the approval in the inspector's tablet")
    type_into(page, "搜索单位、地址、专业", unit)
    wait_text(page, "已通过")


def _wait_for(check, what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        time.sleep(0.2)


def _wait_server(county, record_id: str, state: str, page, timeout_s: float = 20) -> None:
    """The decision travels by the leader's background sync (or the sync after signing)."""
    for _ in range(int(timeout_s * 5)):
        rows = county.rows("SELECT review_state FROM records WHERE id = ?", record_id)
        if rows and rows[0]["review_state"] == state:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{record_id} is not {state} on the server")
