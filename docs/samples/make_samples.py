"""Regenerate the sample import files from a small demo county:
    .venv/bin/python docs/samples/make_samples.py"""
from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from demo.county import generate_county  # noqa: E402
from demo.files import inspector_rows, item_rows, unit_rows, write_csv  # noqa: E402  (the demo seed's rows)

HERE = Path(__file__).parent


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
    write_csv(HERE / "units.csv", units)
    bad = [row[:] for row in units[:6]]
    bad[1][0] = bad[1][0][:-1] + ("0" if bad[1][0][-1] != "0" else "1")   # wrong check digit
    bad[2][3] = "烹饪卫生"                                                  # unknown specialty
    bad[3][6] = "E"                                                        # unknown risk class
    bad[4][0] = bad[5][0]                                                  # duplicate key
    write_csv(HERE / "units-with-errors.csv", bad)


if __name__ == "__main__":
    main()
