"""The lean .xlsx writer: what it writes, openpyxl and our own streaming reader both read back."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from sync_server import xlsx_writer
from sync_server.xlsx import read_rows


def test_round_trip_through_two_readers(tmp_path: Path) -> None:
    headers = [f"列{n}" for n in range(30)]
    rows = [["云溪县<人民>医院 & 诊所", 12345, "", None, "控制\x01字符\x0b被删除", "  前后空格  ", True] + ["x"] * 23,
            ["第二行"] + [n for n in range(29)]]
    path = tmp_path / "out.xlsx"
    assert xlsx_writer.write(path, "结果:/[1]", headers, iter(rows), widths=(20, 10)) == 2
    book = load_workbook(path)
    sheet = book.active
    assert sheet.title == "结果___1_" and sheet.freeze_panes == "A2"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == headers and sheet["A1"].font.b
    assert values[1][:7] == ("云溪县<人民>医院 & 诊所", 12345, None, None, "控制字符被删除", "  前后空格  ", True)
    assert values[2][0] == "第二行" and values[2][29] == 28
    ours = list(read_rows(str(path)))
    assert [n for n, _ in ours] == [1, 2, 3]
    assert ours[0][1] == headers and ours[1][1][:7] == ["云溪县<人民>医院 & 诊所", 12345, None, None, "控制字符被删除",
                                                       "  前后空格  ", True]
    assert ours[2][1][29] == 28


def test_column_names() -> None:
    assert [xlsx_writer.column_name(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
