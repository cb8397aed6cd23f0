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


def test_floats_are_numbers_and_datetimes_keep_their_time(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    path = tmp_path / "numbers.xlsx"
    moment = datetime(2026, 11, 20, 13, 45, 30)
    xlsx_writer.write(path, "数", ["a", "b", "c", "d", "e"],
                      iter([[1636.26, 0.1 + 0.2, -1e-7, float("nan"), float("inf")],
                            [moment, moment.replace(tzinfo=timezone(timedelta(hours=8))), 2**40, -3, 2.5]]))
    sheet = load_workbook(path).active
    first, second = sheet[2], sheet[3]
    assert [(c.value, c.data_type) for c in first[:3]] == [(1636.26, "n"), (0.1 + 0.2, "n"), (-1e-7, "n")]
    assert [(c.value, c.data_type) for c in first[3:]] == [("nan", "s"), ("inf", "s")], "not a number: text"
    assert second[0].is_date and second[0].value == moment and second[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert second[1].value == moment, "a time zone is dropped, the wall-clock time kept"
    assert [c.value for c in second[2:]] == [2**40, -3, 2.5]
    assert [r for _, r in read_rows(str(path))][1:] == [[1636.26, 0.1 + 0.2, -1e-7, "nan", "inf"],
                                                         [moment, moment, 2**40, -3, 2.5]]


def test_a_book_of_several_styled_sheets(tmp_path: Path) -> None:
    from datetime import date

    from sync_server.xlsx.writer import Book, Sheet, Styled

    path = tmp_path / "book.xlsx"
    counts = Book([
        Sheet("表一", [[Styled("标题", "title")], [Styled("专业", "header"), Styled("比例", "header")],
                       ["公共场所", Styled(0.0571, "percent")], [Styled("合计", "bold"), Styled(0.5, "percent_bold")],
                       [Styled("否", "missed"), date(2025, 3, 1), Styled(None, "bold")]], (20, 13), "B3"),
        Sheet("表二", iter([["x"]]), freeze="A2"),
        Sheet("说明", [("报告", "=1+1")], (26, 100)),
    ]).save(path)
    assert counts == [5, 1, 1]
    book = load_workbook(path)
    assert book.sheetnames == ["表一", "表二", "说明"]
    one = book["表一"]
    assert one.freeze_panes == "B3" and book["表二"].freeze_panes == "A2" and book["说明"].freeze_panes is None
    assert (one.column_dimensions["A"].width, one.column_dimensions["B"].width) == (20, 13)
    assert one["A1"].font.b and one["A1"].font.sz == 14
    assert one["A2"].font.b and one["A2"].fill.fgColor.rgb == "FFDDE6F0" and one["A2"].alignment.wrap_text
    assert (one["B3"].value, one["B3"].number_format, one["B3"].font.b) == (0.0571, "0.0%", False)
    assert (one["B4"].number_format, one["B4"].font.b, one["A4"].font.b) == ("0.0%", True, True)
    assert one["A5"].font.color.rgb == "FFB00020" and one["B5"].is_date
    assert book["说明"]["B1"].data_type == "s" and book["说明"]["B1"].value == "=1+1"
