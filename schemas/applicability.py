"""Which checklist items apply to a unit (pure; shared by the tablet, the server and the demo).

The item list (抽查事项清单) names, per item, the unit categories and/or tags it applies to
(column 适用范围, e.g. 游泳场所 for pool water, 集中空调通风系统 for ducted air conditioning); an
empty list means every unit of the item's specialty. A unit matches when its category or one of
its tags is named. Items that do not apply are recorded as 不适用 with NOT_APPLICABLE_NOTE and are
never offered on the checklist nor published as inspected.
"""
from __future__ import annotations

from typing import Any, Iterable

NOT_APPLICABLE_NOTE = "按抽查事项清单的适用范围，本项不适用于该单位"


def applies(applies_to: Iterable[str], category: str, tags: Iterable[str]) -> bool:
    wanted = set(applies_to)
    return not wanted or category in wanted or not wanted.isdisjoint(tags)


def item_applies(item: dict[str, Any], unit: dict[str, Any]) -> bool:
    """An assignment's item for its unit (both as the feed sends them; absent fields apply to all)."""
    return applies(item.get("applies_to") or (), unit.get("category", ""), unit.get("tags") or ())


def inspected_items(items: Iterable[dict[str, Any]], findings: Iterable[dict[str, Any]],
                    unit: dict[str, Any]) -> list[str]:
    """The names of the items a record inspected, in the assignment's order, each name once (what
    a public entry lists as 抽查事项): those that apply to the unit and have a finding other than
    不适用 (a record from an app without the rule cannot publish pool water for a hair salon)."""
    checked = {(f["task_id"], f["item_code"]) for f in findings if f["outcome"] != "not_applicable"}
    return list(dict.fromkeys(item["name"] for item in items
                              if (item["task_id"], item["code"]) in checked and item_applies(item, unit)))
