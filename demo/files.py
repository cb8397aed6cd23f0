"""A county's item list and two registries as the office's import files (docs/IMPORTS.md).

The rows carry the Chinese column layouts the import reads: the demo seed (demo.seed) writes them
as CSV and brings them in through the import service, and docs/samples/make_samples.py writes the
sample workbooks from them. Every field of the county is in a column, so an import gives back the
same registry.
"""
from __future__ import annotations

import csv
from pathlib import Path

from demo.county import County
from schemas.specialties import SPECIALTIES

Rows = list[list[object]]
UNIT_HEAD = ["统一社会信用代码", "单位名称", "地址", "专业", "类别", "分类标注", "信用风险等级", "投诉次数",
             "严重违法记录", "纳入监管", "联系人", "联系电话", "乡镇"]
INSPECTOR_HEAD = ["执法证号", "姓名", "科室", "专业", "证件有效期", "角色", "联系电话"]
ITEM_HEAD = ["事项编码", "事项名称", "专业", "依据", "主体", "内容", "方式", "频次", "适用范围"]
# What import_file needs first: the item list, then the units, then the staff (none depends on
# another today; the item list leads as 一单两库 names it).
KINDS = ("items", "units", "inspectors")


def unit_rows(county: County) -> Rows:
    return [UNIT_HEAD] + [[u.id, u.name, u.address, SPECIALTIES[u.specialty], u.category, "、".join(u.tags),
                           u.risk, u.complaints, u.serious_violations, "是" if u.covered else "否", u.contact,
                           u.phone, u.town] for u in county.units]


def inspector_rows(county: County) -> Rows:
    return [INSPECTOR_HEAD] + [[p.id, p.name, p.department, "、".join(SPECIALTIES[s] for s in p.specialties),
                                p.cert_valid_until, "组长" if p.role == "leader" else "检查员", p.phone]
                               for p in county.inspectors]


def item_rows(county: County) -> Rows:
    return [ITEM_HEAD] + [[i.code, i.name, SPECIALTIES[i.specialty], i.legal_basis, i.subject, i.content,
                           i.method, i.frequency, "、".join(i.applies_to)] for i in county.items]


ROWS = {"items": item_rows, "units": unit_rows, "inspectors": inspector_rows}


def write_csv(path: Path, rows: Rows) -> Path:
    """UTF-8 with a BOM, as the office's spreadsheet software saves CSV."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_county(county: County, directory: Path) -> dict[str, Path]:
    """The import files of ``county`` in ``directory``, by import kind, in import order; a kind
    with no rows (a county of no units has no items either) has none: the import refuses a header
    alone (import.empty)."""
    made = {}
    for kind in KINDS:
        rows = ROWS[kind](county)
        if len(rows) > 1:
            made[kind] = write_csv(directory / f"{kind}.csv", rows)
    return made
