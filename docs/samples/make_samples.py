"""Regenerate the sample import files from a small demo county:
    .venv/bin/python docs/samples/make_samples.py"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from demo.county import generate_county  # noqa: E402
from schemas.specialties import SPECIALTIES  # noqa: E402

HERE = Path(__file__).parent


def unit_rows(county) -> list[list[object]]:
    head = ["统一社会信用代码", "单位名称", "地址", "专业", "类别", "分类标注", "信用风险等级", "投诉次数",
            "严重违法记录", "纳入监管", "联系人", "联系电话", "乡镇"]
    return [head] + [[u.id, u.name, u.address, SPECIALTIES[u.specialty], u.category, "、".join(u.tags), u.risk,
                      u.complaints, u.serious_violations, "是" if u.covered else "否", u.contact, u.phone, u.town]
                     for u in county.units]


def inspector_rows(county) -> list[list[object]]:
    head = ["执法证号", "姓名", "科室", "专业", "证件有效期", "角色", "联系电话"]
    return [head] + [[p.id, p.name, p.department, "、".join(SPECIALTIES[s] for s in p.specialties),
                      p.cert_valid_until, "组长" if p.role == "leader" else "检查员", p.phone] for p in county.inspectors]


def item_rows(county) -> list[list[object]]:
    head = ["事项编码", "事项名称", "专业", "依据", "主体", "内容", "方式", "频次"]
    return [head] + [[i.code, i.name, SPECIALTIES[i.specialty], i.legal_basis, i.subject, i.content, i.method,
                      i.frequency] for i in county.items]


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)


def main() -> None:
    county = generate_county(seed=7, units=60, inspectors=12)
    units = unit_rows(county)
    write_xlsx(HERE / "units.xlsx", units)
    write_xlsx(HERE / "inspectors.xlsx", inspector_rows(county))
    write_xlsx(HERE / "items.xlsx", item_rows(county))
    with open(HERE / "units.csv", "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(units)
    bad = [row[:] for row in units[:6]]
    bad[1][0] = bad[1][0][:-1] + ("0" if bad[1][0][-1] != "0" else "1")   # wrong check digit
    bad[2][3] = "烹饪卫生"                                                  # unknown specialty
    bad[3][6] = "E"                                                        # unknown risk class
    bad[4][0] = bad[5][0]                                                  # duplicate key
    with open(HERE / "units-with-errors.csv", "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(bad)


if __name__ == "__main__":
    main()
