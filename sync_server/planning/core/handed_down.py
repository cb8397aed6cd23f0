"""A task handed down by a higher level (国抽、省抽、市抽), pure: its origins and the upper level's
unit list as the county receives it (a .csv or .xlsx table read by registry.imports.read_table).

The list has a column of unit codes (统一社会信用代码; also accepted: 单位代码, unit) and may have a
column of the officers the county sends (检查人员 or 执法人员: enforcement certificate numbers,
separated by 、 , ; or spaces); a row with no officers takes the team given for the whole list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

ORIGINS = {"national": "国家随机抽查任务（国抽）", "province": "省级随机抽查任务（省抽）",
           "city": "市级随机抽查任务（市抽）"}
ORIGIN_SHORT = {"own": "本级", "national": "国抽", "province": "省抽", "city": "市抽"}
UNIT_COLUMNS = ("统一社会信用代码", "单位代码", "unit")
TEAM_COLUMNS = ("检查人员", "执法人员", "team")
MAX_UNITS = 5000
_SEPARATORS = re.compile(r"[、,，;；\s]+")


@dataclass(frozen=True)
class UnitRow:
    row: int                  # the row number a spreadsheet shows
    unit: str
    team: tuple[str, ...]     # empty: the list's default team


class ListError(ValueError):
    """The unit list cannot be used: every problem at once, each in Chinese with its row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def split_team(text: Any) -> tuple[str, ...]:
    """Officer ids as typed in one cell or field, in order, without repeats."""
    found = [part.strip() for part in _SEPARATORS.split(str(text or "")) if part.strip()]
    return tuple(dict.fromkeys(found))


def unit_rows(headers: list[str], rows: Iterable[tuple[int, Mapping[str, Any]]]) -> list[UnitRow]:
    """The upper level's units, in the file's order; ListError for a missing column, an empty or
    repeated code, or a list longer than MAX_UNITS."""
    column = next((c for c in headers if c.strip().lower() in UNIT_COLUMNS), None)
    if column is None:
        raise ListError([f"找不到单位代码列：表头须有“{UNIT_COLUMNS[0]}”（或“单位代码”）"])
    team_column = next((c for c in headers if c.strip().lower() in TEAM_COLUMNS), None)
    problems: list[str] = []
    seen: dict[str, int] = {}
    out: list[UnitRow] = []
    for number, cells in rows:
        unit = str(cells.get(column) or "").strip().upper()
        if not unit:
            problems.append(f"第 {number} 行：单位代码为空")
            continue
        if unit in seen:
            problems.append(f"第 {number} 行：单位 {unit} 与第 {seen[unit]} 行重复")
            continue
        seen[unit] = number
        out.append(UnitRow(number, unit, split_team(cells.get(team_column)) if team_column else ()))
    if not out and not problems:
        problems.append("名单中没有单位")
    if len(out) > MAX_UNITS:
        problems.append(f"名单有 {len(out)} 个单位，超过一次最多 {MAX_UNITS} 个")
    if problems:
        raise ListError(problems)
    return out


def source_text(origin: str, office: str, number: str, document: str) -> str:
    """Where a task came from, as the public pages say it: 来源：国家随机抽查任务（国抽）…"""
    if origin == "own":
        return "来源：本级抽查任务"
    parts = [f"来源：{ORIGINS.get(origin, origin)}", f"下达机构：{office}"]
    if number:
        parts.append(f"上级任务编号：{number}")
    if document:
        parts.append(f"文件：{document}")
    return "；".join(parts)
