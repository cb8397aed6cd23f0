"""What a correction changed since the record it supersedes, field by field (pure), for the
leader's review: the visit, each finding (matched by task and item, numbered as the correction
lists them), the party, the officers. Photos are compared as sets of hashes (added, removed);
the device times are not compared (a correction is always signed later).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from field_app.core.checklist import ACTIONS, METHODS, OUTCOMES
from field_app.core.photo_facts import beijing_text, location_text

VISIT_OUTCOMES = {"inspected": "现场检查", "unreachable": "无法联系"}
NONE = "（无）"


@dataclass(frozen=True)
class Change:
    place: str    # where, as the leader reads it: "第2项 卫生管理档案 · 备注"
    before: str
    after: str


def changes(earlier: dict[str, Any], later: dict[str, Any], items: dict[str, str] | None = None,
            people: dict[str, str] | None = None) -> list[Change]:
    """Every difference between two inspection records; `items` names item codes, `people` person ids."""
    return [*_visit(earlier["visit"], later["visit"]),
            *_findings(earlier["findings"], later["findings"], items or {}),
            *_party(earlier.get("party"), later.get("party")),
            *_differ("检查人员", _names(earlier["inspectors"], people or {}), _names(later["inspectors"], people or {}))]


def _differ(place: str, before: str, after: str) -> list[Change]:
    return [] if before == after else [Change(place, before, after)]


def _visit(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    return [*_differ("检查情况", VISIT_OUTCOMES[before["outcome"]], VISIT_OUTCOMES[after["outcome"]]),
            *_differ("到达时间", _time(before["arrived_at"]), _time(after["arrived_at"])),
            *_differ("现场位置", _location(before["location"]), _location(after["location"])),
            *_differ("联系尝试", _attempts(before["attempts"]), _attempts(after["attempts"]))]


def _findings(before: list[dict], after: list[dict], items: dict[str, str]) -> list[Change]:
    old = {_key(f): f for f in before}
    out: list[Change] = []
    for n, finding in enumerate(after, 1):
        place = f"第{n}项 {items.get(finding['item_code'], finding['item_code'])}"
        earlier = old.pop(_key(finding), None)
        if earlier is None:
            out.append(Change(place, "（原记录无此项）", _finding_text(finding)))
        else:
            out += _finding(place, earlier, finding)
    for finding in old.values():   # items the correction no longer lists
        out.append(Change(items.get(finding["item_code"], finding["item_code"]), _finding_text(finding), "（已删除）"))
    return out


def _finding(place: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    return [*_differ(f"{place} · 结果", OUTCOMES[before["outcome"]], OUTCOMES[after["outcome"]]),
            *_differ(f"{place} · 处理", _action(before["action"]), _action(after["action"])),
            *_differ(f"{place} · 备注", before["note"] or NONE, after["note"] or NONE),
            *_differ(f"{place} · 法律依据", before["legal_basis"] or NONE, after["legal_basis"] or NONE),
            *_photos(f"{place} · 照片", before["photos"], after["photos"])]


def _photos(place: str, before: list[str], after: list[str]) -> list[Change]:
    added, removed = len(set(after) - set(before)), len(set(before) - set(after))
    if not added and not removed:
        return []
    what = "，".join(part for part in (f"新增 {added} 张" if added else "", f"删除 {removed} 张" if removed else "")
                    if part)
    return [Change(place, f"{len(before)} 张", f"{len(after)} 张（{what}）")]


def _party(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    text_before, text_after = _party_text(before), _party_text(after)
    if text_before != text_after:
        return [Change("当事人", text_before, text_after)]
    if before and after and before.get("signature_photo") != after.get("signature_photo"):
        return [Change("当事人签名", "原签名", "重新签名")]
    return []


def _party_text(party: dict[str, Any] | None) -> str:
    if not party:
        return NONE
    return f"拒绝签字：{party['note']}" if party.get("refused") else f"{party['name']} 已签名"


def _finding_text(finding: dict[str, Any]) -> str:
    action = _action(finding["action"])
    return OUTCOMES[finding["outcome"]] + ("" if action == NONE else f"，{action}") + \
        (f"，备注：{finding['note']}" if finding["note"] else "")


def _action(action: dict[str, Any] | None) -> str:
    if not action:
        return NONE
    if action["kind"] == "rectify":
        return f"{ACTIONS['rectify']}，期限 {action['deadline']}"
    return f"{ACTIONS['case']}" + (f"，案号 {action['case_no']}" if action.get("case_no") else "")


def _attempts(attempts: list[dict[str, Any]]) -> str:
    return "；".join(f"{METHODS[a['method']]} {_time(a['at'])} {a['note']}（照片 {len(a['photos'])} 张）"
                    for a in attempts) or NONE


def _time(stamp: str | None) -> str:
    return beijing_text(stamp, "%Y-%m-%d %H:%M") if stamp else NONE


def _location(location: dict[str, int] | None) -> str:
    return location_text(location["lat_e6"], location["lon_e6"], location["accuracy_m"]) if location else NONE


def _names(ids: list[str], people: dict[str, str]) -> str:
    return "、".join(people.get(i, i) for i in ids)


def _key(finding: dict[str, Any]) -> tuple[str, str]:
    return finding["task_id"], finding["item_code"]
