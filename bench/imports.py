"""Importing a 100,000-row registry .xlsx into a fresh database."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from bench.common import median
from demo.county import generate_county
from schemas.specialties import SPECIALTIES
from sync_server.db.connection import open_db
from sync_server.registry.imports import import_file

ROWS, ROUNDS = 100_000, 3


def make_workbook(path: Path) -> None:
    county = generate_county(seed=11, units=ROWS, inspectors=30)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["统一社会信用代码", "单位名称", "地址", "专业", "类别", "分类标注", "信用风险等级", "投诉次数",
                  "严重违法记录", "纳入监管", "联系人", "联系电话", "乡镇"])
    for u in county.units:
        sheet.append([u.id, u.name, u.address, SPECIALTIES[u.specialty], u.category, "、".join(u.tags), u.risk,
                      u.complaints, u.serious_violations, "是" if u.covered else "否", u.contact, u.phone, u.town])
    book.save(path)


def run(workdir: Path, county: object = None) -> dict[str, float]:
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "units-100k.xlsx"
    make_workbook(source)
    times = []
    for n in range(ROUNDS):
        conn = open_db(workdir / f"import-{n}.db")
        start = time.perf_counter()
        result = import_file(conn, "units", source)
        times.append(time.perf_counter() - start)
        assert result.inserted == ROWS and not result.errors, result.errors[:3]
        conn.close()
    return {"import_100k_xlsx_s": round(median(times), 2), "import_100k_xlsx_mb": round(source.stat().st_size / 1e6, 1)}


if __name__ == "__main__":
    print(run(Path(tempfile.mkdtemp())))
