"""What a correction changed since the returned record (field_app/core/record_diff.py), and when
and where a photo was taken (field_app/core/photo_facts.py): pure rules, no I/O."""
from __future__ import annotations

import copy

from PIL.TiffImagePlugin import IFDRational

from field_app.core.photo_facts import facts, location_text
from field_app.core.record_diff import Change, changes
from tests.support.records import ASSIGNMENT, ITEMS, finding, record

NAMES = {"GG-001": "卫生管理档案", "GG-002": "从业人员健康合格证明"}
PEOPLE = {"p1": "刘颖", "p3": "丁俊文"}
A, B = "a" * 64, "b" * 64


def returned() -> dict:
    return record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), finding(ITEMS[1], "non_compliant", note="无健康证",
                                                                          action={"kind": "rectify", "deadline": "2026-12-05"},
                                                                          photos=[A])],
                  party={"name": "魏婷芳", "signature_photo": B})


def test_the_same_record_changed_nothing() -> None:
    earlier = returned()
    later = {**copy.deepcopy(earlier), "id": "another", "supersedes": earlier["id"],
             "device_times": {"started_at": "2026-11-22T01:00:00Z", "signed_at": "2026-11-22T02:00:00Z"}}
    assert changes(earlier, later, NAMES, PEOPLE) == [], "ids and device times are not what the leader compares"


def test_each_changed_field_is_named_with_before_and_after() -> None:
    earlier = returned()
    later = copy.deepcopy(earlier)
    second = later["findings"][1]
    second["note"] = "无健康证，已责令办理"
    second["action"] = {"kind": "rectify", "deadline": "2026-12-20"}
    second["photos"] = [A, "c" * 64, "d" * 64]
    later["findings"][0]["outcome"] = "not_applicable"
    later["party"] = {"refused": True, "note": "负责人不在"}
    later["inspectors"] = ["p1", "p3"]
    later["visit"]["location"] = {"lat_e6": 36186000, "lon_e6": 118170000, "accuracy_m": 8}
    assert changes(earlier, later, NAMES, PEOPLE) == [
        Change("现场位置", "北纬 36.185000° 东经 118.170000°（±15 米）", "北纬 36.186000° 东经 118.170000°（±8 米）"),
        Change("第1项 卫生管理档案 · 结果", "合格", "不适用"),
        Change("第2项 从业人员健康合格证明 · 处理", "责令整改，期限 2026-12-05", "责令整改，期限 2026-12-20"),
        Change("第2项 从业人员健康合格证明 · 备注", "无健康证", "无健康证，已责令办理"),
        Change("第2项 从业人员健康合格证明 · 照片", "1 张", "3 张（新增 2 张）"),
        Change("当事人", "魏婷芳 已签名", "拒绝签字：负责人不在"),
        Change("检查人员", "刘颖", "刘颖、丁俊文"),
    ]


def test_an_item_added_or_dropped_and_a_new_signature() -> None:
    earlier = returned()
    later = copy.deepcopy(earlier)
    dropped = later["findings"].pop(0)
    later["findings"].append({**dropped, "item_code": "GG-003", "note": "新增"})
    later["findings"][0]["photos"] = []
    later["party"]["signature_photo"] = "e" * 64
    assert changes(earlier, later, NAMES) == [
        Change("第1项 从业人员健康合格证明 · 照片", "1 张", "0 张（删除 1 张）"),
        Change("第2项 GG-003", "（原记录无此项）", "合格，备注：新增"),
        Change("卫生管理档案", "合格", "（已删除）"),
        Change("当事人签名", "原签名", "重新签名"),
    ]


def test_a_visit_turned_unreachable() -> None:
    earlier = returned()
    later = record(ASSIGNMENT, ["p1"], outcome="unreachable", record_id=earlier["id"])
    found = {c.place: (c.before, c.after) for c in changes(earlier, later, NAMES, PEOPLE)}
    assert found["检查情况"] == ("现场检查", "无法联系")
    assert found["联系尝试"][0] == "（无）" and "上门" in found["联系尝试"][1] and "大门紧锁" in found["联系尝试"][1]
    assert found["当事人"] == ("魏婷芳 已签名", "（无）")
    assert found["卫生管理档案"] == ("合格", "（已删除）")


def test_photo_time_with_its_zone_is_shown_in_beijing_time() -> None:
    taken = facts("2026:11:20 09:30:05", "+08:00", {})
    assert (taken.taken_at, taken.camera_time) == ("2026-11-20T01:30:05Z", None)
    assert taken.caption() == "拍摄于 2026-11-20 09:30 · 位置未记录"
    utc_camera = facts("2026:11:20 01:30:05", "+00:00", {})
    assert utc_camera.caption().startswith("拍摄于 2026-11-20 09:30"), "a tablet on UTC: still Beijing time"


def test_gps_time_and_place() -> None:
    gps = {1: "N", 2: (IFDRational(36), IFDRational(11), IFDRational(6)), 3: "E",
           4: (IFDRational(118), IFDRational(10), IFDRational(12)),
           7: (IFDRational(23), IFDRational(59), IFDRational(30)), 29: "2026:11:19"}
    photo = facts(None, None, gps)
    # 36°11'6" = 36.185°, 118°10'12" = 118.17°; 23:59:30 UTC on the 19th is 07:59 on the 20th in Beijing
    assert (photo.lat_e6, photo.lon_e6, photo.taken_at) == (36185000, 118170000, "2026-11-19T23:59:30Z")
    assert photo.caption() == "拍摄于 2026-11-20 07:59 · 北纬 36.185000° 东经 118.170000°"
    south_west = facts(None, None, {**gps, 1: "S", 3: "W"})
    assert (south_west.lat_e6, south_west.lon_e6) == (-36185000, -118170000)
    assert location_text(-36185000, -118170000, 5) == "南纬 36.185000° 西经 118.170000°（±5 米）"


def test_a_camera_time_without_zone_says_so_and_junk_is_not_a_fact() -> None:
    assert facts("2026:11:20 09:30:05", None, {}).caption() == "拍摄于 2026-11-20 09:30（相机时间） · 位置未记录"
    junk = {2: (IFDRational(1, 0), IFDRational(0), IFDRational(0)), 1: "N", 4: "garbage", 7: (IFDRational(25), 0, 0),
            29: "2026:11:19"}
    assert facts("not a date", "+08:00", junk) == facts(None, None, {})
    assert facts(None, None, {}).caption() == "拍摄时间未记录 · 位置未记录"
