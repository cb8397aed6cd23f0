"""Two officers on one team tablet, offline (执法人员不得少于两人): the first enrolls the tablet
with their code and PIN, the teammate registers their own signing key with their own code and
PIN; on site with no network, each signs the record with their own PIN (a wrong PIN is counted);
the record syncs later and the server accepts it with both officers' signatures."""
from __future__ import annotations

import json
import re
from pathlib import Path

from field_app.core import checklist
from schemas import envelope
from tests.e2e.apps import (open_app, register_officer, sign_as, tap, tap_until, two_of, type_into,
                            wait_text)
from tests.e2e.test_field_app import local_rows, new_tab
from tests.support.records import PIN

MATE_PIN = "970314"


def test_two_officers_sign_offline_on_one_tablet(county, server, browser, shots, apps, tmp_path: Path) -> None:
    visit = county.assignment_for_review()
    unit, (me, mate) = visit["unit"]["name"], two_of(visit, county.inspector)
    tablet = apps(tmp_path / "tablet", server.url).start()
    page = new_tab(browser)
    open_app(page, tablet.url)

    # --- the first officer enrolls the tablet, choosing a PIN ---------------------------------------
    type_into(page, "一次性注册码", county.code_for(county.inspector))
    type_into(page, "设置签名 PIN（6 至 12 位数字）", PIN)
    type_into(page, "再次输入 PIN", "258037")
    tap(page, "注册")
    wait_text(page, "两次输入的 PIN 不一致")
    type_into(page, "再次输入 PIN", PIN)
    tap(page, "注册")
    wait_text(page, "上次同步")

    # --- the teammate registers their own key on the same tablet, with their own code and PIN --------
    tap_until(page, "本机签名人员", "登记一名执法人员")
    register_officer(page, county.code_for(mate["id"]), MATE_PIN)
    wait_text(page, f"{mate['name']}（{mate['id']}）")
    tap_until(page, "返回", "筛选 全部")

    # --- on site, offline: the checklist, the party refuses to sign ----------------------------------
    server.stop()
    type_into(page, "搜索单位、地址、专业", unit)
    tap_until(page, re.compile(re.escape(unit)), "无法联系（找不到单位或联系不上）")
    for number in range(1, len(checklist.applicable(visit)) + 1):   # the items that apply to the unit
        tap(page, f"第{number}项 合格")
    tap(page, "当事人签字")
    type_into(page, "拒签情况说明", "当事人拒绝在笔录上签字")
    tap(page, "记录拒绝签字")
    wait_text(page, "已记录当事人拒绝签字")
    tap(page, "完成")
    tap(page, "核对并提交")
    wait_text(page, "须由至少 2 名本组执法人员各自输入 PIN 签名（已签 0 人）")

    # --- each officer signs with their own PIN; one officer alone is not enough ------------------------
    sign_as(page, me["name"])
    wait_text(page, "（已签 1 人）")
    type_into(page, f"{mate['name']} 的 PIN", "000000")
    tap(page, f"{mate['name']} 签名")
    wait_text(page, "PIN 不正确，还可尝试 4 次")
    sign_as(page, mate["name"], MATE_PIN)
    shots(page, "two-officers", docs=True, expect=f"{mate['name']}：已签名")
    tap(page, "提交记录")
    wait_text(page, "已保存")
    (queued,) = local_rows(tablet.data, "SELECT id, state, envelope FROM outbox")
    assert queued["state"] == "pending" and not county.rows("SELECT id FROM records")
    signed = envelope.parse(bytes(queued["envelope"]) if isinstance(queued["envelope"], bytes)
                            else queued["envelope"].encode())
    assert len(signed.signatures) == 2 and signed.document()["inspectors"] == \
        [m["id"] for m in visit["team"] if m["id"] in (me["id"], mate["id"])]
    assert PIN.encode() not in b"".join(p.read_bytes() for p in (tablet.data / "keys").rglob("*") if p.is_file())

    # --- back in range: the record syncs and the server accepts both signatures -----------------------
    server.start()
    tap(page, "返回任务列表")
    tap_until(page, "同步", "立即同步")
    tap(page, "立即同步")
    wait_text(page, "审计日志序号")
    (row,) = county.rows("SELECT envelope, signer_id FROM records")
    stored = envelope.parse(bytes(row["envelope"]))
    keys = {k["keyid"]: k for k in county.rows("SELECT keyid, user_id, public_key, host_device_id FROM devices")}
    assert {keys[k]["user_id"] for k in stored.keyids} == {me["id"], mate["id"]}
    for keyid in stored.keyids:
        envelope.verify(stored, bytes.fromhex(keys[keyid]["public_key"]))
    tablet_id = json.loads((tablet.data / "keys" / "device-secrets.json").read_text())["device_id"]
    assert {keys[k]["host_device_id"] for k in stored.keyids} == {tablet_id}, "both keys live on this tablet"
