"""The leader's review in the browser, as a leader meets it: a correction waits, so the app opens
on the queue; the correction shows what changed since the returned record and why it was
returned, and when and where its photo was taken; the leader approves it with a comment, after a
confirmation, and sees the result at once at the top of the queue; the server keeps the comment."""
from __future__ import annotations

import re
import time
from pathlib import Path

from field_app.camera import scene_jpeg
from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.photos import PhotoFiles, process
from field_app.store import LocalStore
from field_app.sync import SyncClient
from schemas import envelope
from tests.e2e.apps import open_app, tap, tap_until, type_into, wait_text
from tests.support import dates
from tests.support.records import finding, queue_record, record

REASON = "第1项未写明整改要求，请补充"
COMMENT = "更正完整，同意"
SITE = {"lat_e6": 36190000, "lon_e6": 118175000, "accuracy_m": 12}


def _headless(county, server, tmp_path: Path, user: str) -> SyncClient:
    home = tmp_path / f"headless-{user}"
    client = SyncClient(server.url, LocalStore(home / "app.db"), KeyStore(home / "keys"), files=PhotoFiles(home / "photos"))
    client.enroll(county.code_for(user), "headless")
    client.code_for = county.code_for     # officers register their own signing keys (queue_record)
    return client


def _a_returned_record_and_its_correction(county, server, tmp_path: Path) -> tuple[dict, dict]:
    """Signed on the inspector's tablet with a photo, returned by another leader's device, corrected."""
    inspector, other = _headless(county, server, tmp_path, county.inspector), \
        _headless(county, server, tmp_path, county.leader)
    assignment = county.assignment_for_review()
    items = assignment["items"]
    photo = process(scene_jpeg((1600, 1200), seed=11))
    path = inspector.files.save(photo)
    inspector.store.add_photo(photo.sha256, path, len(photo.data))
    rectify = {"kind": "rectify", "deadline": dates.days_from_today(15).isoformat()}
    first = record(assignment, [county.inspector], findings=[
        finding(items[0], "non_compliant", rectify, photos=[photo.sha256], note="记录缺失"),
        *[finding(i) for i in items[1:]]])
    first["visit"]["location"] = SITE   # not where the photo says it was taken: each is shown apart
    queue_record(inspector, first, [photo.sha256], dates.now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}
    sha = county.rows("SELECT envelope_sha256 FROM records WHERE id = ?", first["id"])[0][0]
    back = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": first["id"], "record_envelope_sha256": sha,
            "decision": "return", "reason": REASON, "leader": county.leader, "decided_at": dates.now_stamp()}
    text = envelope.sign(back, envelope.REVIEW_TYPE, other.keys.private_key()).decode()
    other.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=other._auth()).raise_for_status()
    inspector.sync()
    second = record(assignment, [county.inspector], supersedes=first["id"], findings=[
        finding(items[0], "non_compliant", rectify, photos=[photo.sha256], note="记录缺失，已责令十五日内补建"),
        *[finding(i) for i in items[1:]]])
    second["visit"]["location"] = SITE
    queue_record(inspector, second, [photo.sha256], dates.now_stamp())
    assert inspector.sync().receipts == {"accepted": 1}
    for client in (inspector, other):
        client.close()
        client.store.close()
    return assignment, second


def test_a_leader_approves_a_correction_with_a_comment(county, server, browser, shots, apps, tmp_path: Path) -> None:
    assignment, correction = _a_returned_record_and_its_correction(county, server, tmp_path)
    unit, first_item = assignment["unit"]["name"], assignment["items"][0]["name"]
    lead = apps(tmp_path / "leader", server.url, enroll_code=county.code_for(county.leader)).start()
    page = browser.new_page(viewport={"width": 1100, "height": 1100}, device_scale_factor=1)
    page.set_default_timeout(15_000)
    open_app(page, lead.url)
    wait_text(page, "待审核的记录在同步时下载")   # opened on the queue, not on an empty 今日任务
    wait_text(page, "更正记录")
    tap_until(page, "返回", "我的检查任务")       # the work list is behind it
    tap_until(page, "审核记录", "待审核的记录在同步时下载")
    tap_until(page, re.compile(re.escape(unit)), "服务器计算的结果类别")
    wait_text(page, f"退回原因：{REASON}")
    wait_text(page, f"第1项 {first_item} · 备注：记录缺失 → 记录缺失，已责令十五日内补建")
    wait_text(page, "共 1 处变化")
    wait_text(page, "现场位置：北纬 36.190000° 东经 118.175000°（±12 米）")   # the visit's, as signed
    wait_text(page, "北纬 36.185000° 东经 118.170000°")   # the photo's place, from its EXIF (36°11'6" N, 118°10'12" E)
    wait_text(page, "拍摄于 ")
    shots(page, "review-correction", docs=True, expect="共 1 处变化")
    tap_until(page, "通过", "确认通过")   # asked before it is signed
    type_into(page, "审核意见（可选）", COMMENT)
    tap(page, "确认通过")
    wait_text(page, f"已通过：{unit}")
    banner = page.locator("flt-semantics", has_text=f"已通过：{unit}").first.bounding_box() or \
        page.get_by_text(f"已通过：{unit}").first.bounding_box()
    assert banner is not None and banner["y"] + banner["height"] <= 1100, "the result shows without scrolling"
    wait_text(page, "没有待审核的记录")   # the correction left the queue
    shots(page, "review-approved", docs=True, expect=f"已通过：{unit}")
    deadline = time.monotonic() + 30
    while not county.rows("SELECT 1 FROM reviews WHERE record_id = ? AND decision = 'approve'", correction["id"]):
        assert time.monotonic() < deadline, "the approval never reached the server"
        page.wait_for_timeout(300)
    (stored,) = county.rows("SELECT comment FROM reviews WHERE record_id = ? AND decision = 'approve'", correction["id"])
    assert stored["comment"] == COMMENT
    (state,) = county.rows("SELECT review_state FROM records WHERE id = ?", correction["id"])
    assert state["review_state"] == "approved"
