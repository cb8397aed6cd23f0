"""Offices in a hierarchy (pure): province → city → county, and an institute beside its commission.

An office's code is its administrative division code (GB/T 2260, six digits: 37 province, 3701
city, 370102 county), with a short suffix for a second body of the same place, e.g. `370102-jd`
for the 卫生健康监督所 beside the county's 卫健委. The code's shape names its level: XX0000 is a
province, XXYY00 a city, anything else a county. A child lies inside its parent's region and
below its level; an institute may also sit beside its commission (same place, same level).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

LEVELS = ("province", "city", "county")
KINDS = ("commission", "institute")
LEVELS_ZH = {"province": "省级", "city": "市级", "county": "县级"}
KINDS_ZH = {"commission": "卫生健康委员会", "institute": "卫生健康监督机构"}
CODE = re.compile(r"^[0-9]{6}(-[a-z0-9]{1,8})?$")


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    level: str
    kind: str = "commission"
    parent: str | None = None
    created_at: str = ""

    @property
    def region(self) -> str:
        """The administrative division code, without a suffix."""
        return self.code[:6]


Problem = tuple[str, str, str]   # (code, message, message_zh)


def level_of_region(region: str) -> str:
    """The level a GB/T 2260 code names by its shape."""
    if region.endswith("0000"):
        return "province"
    return "city" if region.endswith("00") else "county"


def region_prefix(office: Office) -> str:
    """The leading digits every office inside this one shares (37, 3701, 370102)."""
    return office.region[:{"province": 2, "city": 4, "county": 6}[office.level]]


def problem_with(new: Office, parent: Office | None) -> Problem | None:
    """Why `new` cannot be recorded under `parent` (None: it is the platform's root), or None."""
    if not CODE.match(new.code):
        return ("office.bad_code", "the code is a 6-digit division code, optionally -suffix (a-z, 0-9)",
                "机构代码应为 6 位行政区划代码，可加后缀（如 370102-jd）")
    if not 2 <= len(new.name.strip()) <= 100:
        return ("office.bad_name", "the office's name is 2 to 100 characters", "机构名称应为 2–100 个字符")
    if new.level not in LEVELS or new.kind not in KINDS:
        return ("office.bad_level", f"level is one of {LEVELS}, kind one of {KINDS}", "机构层级或类别无效")
    if level_of_region(new.region) != new.level:
        return ("office.bad_level", f"code {new.region} is a {level_of_region(new.region)}'s code, not a {new.level}'s",
                f"行政区划代码 {new.region} 属于{LEVELS_ZH[level_of_region(new.region)]}，与所选层级不符")
    return None if parent is None else _problem_under(new, parent)


def _problem_under(new: Office, parent: Office) -> Problem | None:
    if not new.region.startswith(region_prefix(parent)):
        return ("office.outside_parent", f"{new.code} is not inside {parent.code}'s region",
                f"{new.code} 不在上级机构（{parent.name}）的行政区划内")
    below = LEVELS.index(new.level) > LEVELS.index(parent.level)
    beside = new.kind == "institute" and parent.kind == "commission" and new.region == parent.region
    if not (below or beside):
        return ("office.bad_level", f"a {new.level} {new.kind} cannot be under a {parent.level} {parent.kind}",
                f"{LEVELS_ZH[new.level]}机构不能隶属于{LEVELS_ZH[parent.level]}机构（{parent.name}）；"
                "同级只可在卫健委下设监督机构")
    return None


def children(offices: Iterable[Office], code: str) -> list[Office]:
    """The offices directly under `code`, by code."""
    return sorted((o for o in offices if o.parent == code), key=lambda o: o.code)


def descendants(offices: Iterable[Office], code: str) -> list[Office]:
    """Every office below `code`, depth first (a child before its own children), by code."""
    by_parent: dict[str | None, list[Office]] = {}
    for office in sorted(offices, key=lambda o: o.code):
        by_parent.setdefault(office.parent, []).append(office)
    return list(_walk(by_parent, code, set()))


def _walk(by_parent: dict[str | None, list[Office]], code: str, seen: set[str]) -> Iterator[Office]:
    for child in by_parent.get(code, []):
        if child.code not in seen:   # a cycle cannot be recorded (a parent exists first); never loop anyway
            seen.add(child.code)
            yield child
            yield from _walk(by_parent, child.code, seen)


def is_below(offices: Iterable[Office], ancestor: str, code: str) -> bool:
    """Whether `code` is a descendant of `ancestor` (an office is not below itself)."""
    return any(o.code == code for o in descendants(offices, ancestor))
