"""The lean .xlsx writer: what it writes, openpyxl and our own streaming reader both read back."""
from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from sync_server.xlsx import writer as xlsx_writer
from sync_server.xlsx.reader import read_rows


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


def test_dates_are_dates_and_formula_text_stays_text(tmp_path: Path) -> None:
    from datetime import date, datetime

    path = tmp_path / "typed.xlsx"
    xlsx_writer.write(path, "结果", ["日期", "次数", "名称", "代码"],
                      iter([[date(2026, 11, 20), 2, '=HYPERLINK("http://evil.invalid","x")', "91369921MA3C8XJ27U"],
                            [date(1900, 3, 1), 1, "=cmd|' /C calc'!A0", "12369921000000001X"]]))
    sheet = load_workbook(path).active
    first, second = sheet[2], sheet[3]
    assert first[0].is_date and first[0].value == datetime(2026, 11, 20) and first[0].number_format == "yyyy-mm-dd"
    assert second[0].value == datetime(1900, 3, 1), "serial numbers past Excel's 1900-02-29"
    assert (first[1].value, first[1].data_type) == (2, "n")
    assert (first[2].data_type, second[2].data_type) == ("s", "s") and first[2].value.startswith("=HYPERLINK")
    assert (first[3].value, first[3].data_type) == ("91369921MA3C8XJ27U", "s")
