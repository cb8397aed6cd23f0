"""The office's spreadsheets: their Chinese column layouts and the check of every row.

Pure: cells in (strings, numbers or dates as a spreadsheet gives them), a clean row or the
reasons it is refused out, each reason naming the row and the column in Chinese.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime
from typing import Any, Callable

from sync_server.registry.core import uscc
from schemas.specialties import RISK_CLASSES, SPECIALTIES

SPECIALTY_BY_NAME = {name: code for code, name in SPECIALTIES.items()}
RISK_BY_LABEL = {**{label: code for code, label in RISK_CLASSES.items()}, **{f"{c}类": c for c in RISK_CLASSES}}
SPLIT = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason_zh: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行 " if self.row else ""
        return f"{where}{self.column}：{self.reason_zh}"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    parse: Callable[[Any], Any]
    aliases: tuple[str, ...] = ()

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The headers that name this column, the canonical one first."""
        return (self.header, *self.aliases)


class Refused(ValueError):
    """One cell's reason, raised by a parser and turned into a RowError."""


def text(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = "" if value is None else str(value).strip()
        if len(result) > limit:
            raise Refused(f"过长（超过 {limit} 字）")
        return result
    return parse


def credit_code(value: Any) -> str:
    code = re.sub(r"\s", "", str(value or "")).upper()
    if len(code) != 18:
        raise Refused(f"应为 18 位，实为 {len(code)} 位")
    if not uscc.is_valid(code):
        raise Refused("校验位错误或含有不允许的字符")
    return code


def specialty(value: Any) -> str:
    raw = str(value or "").strip()
    code = SPECIALTY_BY_NAME.get(raw, raw)
    if code not in SPECIALTIES:
        raise Refused(f"未知专业「{raw}」")
    return code


def specialties(value: Any) -> list[str]:
    parts = [p for p in SPLIT.split(str(value or "").strip()) if p]
    if not parts:
        raise Refused("至少填写一个专业")
    return list(dict.fromkeys(specialty(p) for p in parts))


def tags(value: Any) -> list[str]:
    return [p for p in SPLIT.split(str(value or "").strip()) if p]


def risk(value: Any) -> str:
    raw = str(value or "").strip().upper()
    code = RISK_BY_LABEL.get(str(value or "").strip(), raw)
    if code not in RISK_CLASSES:
        raise Refused(f"未知信用风险等级「{value}」（应为 A、B、C、D）")
    return code


def count(value: Any) -> int:
    if value is None or str(value).strip() == "":
        return 0
    try:
        number = float(str(value).strip())
        whole = int(number)
    except (ValueError, OverflowError) as exc:
        raise Refused(f"应为整数，实为「{value}」") from exc
    if number < 0 or number != whole:
        raise Refused(f"应为非负整数，实为「{value}」")
    return whole


YES = frozenset({"是", "y", "yes", "1", "true", "适用"})
NO = frozenset({"否", "n", "no", "0", "false", "不适用"})


def yes_no(value: Any) -> bool:
    """是 / 否 as an office writes it; an empty cell is 是. Excel gives TRUE/FALSE as bool, 0/1 as numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return value == 1
    raw = "" if value is None else str(value).strip()
    if raw == "" or raw.lower() in YES:
        return True
    if raw.lower() in NO:
        return False
    raise Refused(f"应为「是」或「否」，实为「{raw}」")


def day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value or "").strip().replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw) or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", raw)
    try:
        return date(*map(int, match.groups())).isoformat() if match else _no_date(raw)
    except ValueError as exc:
        raise Refused(f"日期无效「{raw}」") from exc


def _no_date(raw: str) -> str:
    raise Refused(f"日期格式应为 2026-03-01，实为「{raw}」")


def role(value: Any) -> str:
    raw = str(value or "").strip()
    return "leader" if raw in ("组长", "负责人", "科室负责人", "leader") else "inspector"


UNITS = (
    Column("统一社会信用代码", "id", True, credit_code), Column("单位名称", "name", True, text(200)),
    Column("地址", "address", True, text(200)), Column("专业", "specialty", True, specialty),
    Column("类别", "category", False, text(50)), Column("分类标注", "tags", False, tags),
    Column("信用风险等级", "risk", True, risk), Column("投诉次数", "complaints", False, count),
    Column("严重违法记录", "serious_violations", False, count),
    Column("纳入监管", "covered", False, yes_no, ("是否纳入监管", "法律适用")),
    Column("联系人", "contact", False, text(50)), Column("联系电话", "phone", False, text(50)),
    Column("乡镇", "town", False, text(50)),
)
INSPECTORS = (
    Column("执法证号", "id", True, text(64)), Column("姓名", "name", True, text(50)),
    Column("科室", "department", False, text(100)), Column("专业", "specialties", True, specialties),
    Column("证件有效期", "cert_valid_until", True, day), Column("角色", "role", False, role, ("职务",)),
    Column("联系电话", "phone", False, text(50)),
)
ITEMS = (
    Column("事项编码", "code", True, text(40)), Column("事项名称", "name", True, text(200)),
    Column("专业", "specialty", True, specialty), Column("依据", "legal_basis", True, text(2000), ("法律适用",)),
    Column("主体", "subject", False, text(200)), Column("内容", "content", False, text(2000)),
    Column("方式", "method", False, text(200)), Column("频次", "frequency", False, text(200)),
    Column("适用范围", "applies_to", False, tags, ("适用类别",)),
)
LAYOUTS = {"units": UNITS, "inspectors": INSPECTORS, "items": ITEMS}


def missing_columns(kind: str, headers: list[str]) -> list[str]:
    present = {h.strip() for h in headers if h}
    return [c.header for c in LAYOUTS[kind] if c.required and present.isdisjoint(c.names)]


def _cell(column: Column, cells: dict[str, Any]) -> tuple[str, Any]:
    """The header this file uses for the column (the canonical one if several) and its value."""
    for name in column.names:
        if name in cells:
            return name, cells[name]
    return column.header, None


def check_row(kind: str, row: int, cells: dict[str, Any]) -> tuple[dict[str, Any] | None, list[RowError]]:
    record: dict[str, Any] = {}
    errors = []
    for column in LAYOUTS[kind]:
        name, value = _cell(column, cells)
        if column.required and (value is None or str(value).strip() == ""):
            errors.append(RowError(row, name, "不能为空"))
            continue
        try:
            record[column.field] = column.parse(value)
        except Refused as exc:
            errors.append(RowError(row, name, str(exc)))
    return (None, errors) if errors else (record, [])


def row_key(kind: str, cells: dict[str, Any]) -> Any:
    """The row's key (the layout's first column), parsed, or None if it is empty or refused."""
    column = LAYOUTS[kind][0]
    try:
        return column.parse(_cell(column, cells)[1]) or None
    except Refused:
        return None


def check_rows(kind: str, rows: list[tuple[int, dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Every row checked; a key seen on an earlier row, good or bad, is an error on the later one."""
    good: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[Any, int] = {}
    for row_no, cells in rows:
        record, problems = check_row(kind, row_no, cells)
        key = record[LAYOUTS[kind][0].field] or None if record is not None else row_key(kind, cells)
        if key is not None and key in seen:
            problems = [*problems, RowError(row_no, LAYOUTS[kind][0].header, f"与第 {seen[key]} 行重复")]
        elif key is not None:
            seen[key] = row_no
        errors += problems
        if record is not None and not problems:
            good.append(record)
    return good, errors
