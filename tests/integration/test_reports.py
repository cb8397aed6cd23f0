"""The half-year and yearly reports on a real SQLite file: the CLI's workbook, the figures when the
period is still running, and the public report pages and download on a real server.

The county (tests/support/report_rows.py, year 2025, long past, so the cutoff is the period's end):
  registry   公共场所 100 covered (+5 not covered), 医疗执业 40
  tasks      T1 公共场所 March, risk, PP1–PP4 · T2 公共场所 August, no risk, PP3 PP5 MD3 ·
             T3 joint 医疗执业+公共场所 September, risk, MD1 MD2 MD3 PP6 PP1 · T4 医疗执业, planned only
  entries    公共场所 8 in 2025 (one unreachable, two awaiting publication), 医疗执业 2, one in 2024
Worked out by hand:
  drawn      公共场所 PP1–PP6 + MD3 (T2 does not draw 医疗执业) = 7, 医疗执业 MD1–MD3 = 3, total distinct 9
  draws      公共场所 T1 T2 T3 (2 with risk), 医疗执业 T3 (1), total 3 (2): 66.7%
  公共场所   inspected 7, unreachable 1, problems 4, rectified 1; published as 未发现问题 3, 责令整改 3
             (one recorded as a case), 行政处罚 1, 无法联系 1; publications on time 4,
             late 2 (2 and 3 working days), overdue 1, not yet due 2 → 4/7 = 57.1%
  医疗执业   inspected 2, problems 1, rectified 1; published 未发现问题 1, 责令整改 1; on time 1, late 1
             (5 days) → 50.0%
"""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from openpyxl import load_workbook

from sync_server.cli import main
from sync_server.reports.core.report import Period
from sync_server.db.connection import open_db, transaction
from sync_server.reports.service import assemble
from tests.support.engine import Target
from tests.support import engine
from tests.support.report_rows import fill_2025
from tests.support.server import ServerProcess

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> Target:
    db = engine.new_target(tmp_path_factory.mktemp("reports") / "server.db", for_the_run=True)
    conn = open_db(db)
    fill_2025(conn)
    conn.close()
    return db


@pytest.fixture(scope="module")
def web(report_db: Target) -> Iterator[httpx.Client]:
    server = ServerProcess(report_db).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


def sheet_rows(book: Any, name: str) -> dict[str, dict[str, Any]]:
    """A table sheet as {专业: {header: value}} (row 2 holds the headers)."""
    rows = list(book[name].iter_rows(values_only=True))
    headers = rows[1]
    return {r[0]: dict(zip(headers, r)) for r in rows[2:] if r and r[0] and r[0] in NAMES}


NAMES = {"公共场所", "医疗执业", "消毒产品", "合计"}


def bp(value: float) -> int:
    """A rate cell back in basis points (it was written as basis points / 10,000)."""
    return round(value * 10_000)


def run_cli(report_db: Target, out: Path, *extra: str) -> None:
    assert main(["report", "--db", str(report_db), "--year", "2025", *extra, "--out", str(out)]) == 0


def test_cli_writes_the_yearly_workbook(report_db: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report-2025.xlsx"
    run_cli(report_db, out)
    assert "2025年度" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == ["汇总表", "公示及时性", "说明"]
    summary = sheet_rows(book, "汇总表")
    pp, md, total = summary["公共场所"], summary["医疗执业"], summary["合计"]
    assert (pp["名录库单位数"], pp["抽取单位数"], bp(pp["抽查比例"]), pp["抽查比例达标（≥3%）"]) == (100, 7, 700, "是")
    assert (md["名录库单位数"], md["抽取单位数"], bp(md["抽查比例"])) == (40, 3, 750)
    assert (total["名录库单位数"], total["抽取单位数"], bp(total["抽查比例"])) == (140, 9, 643)
    assert [pp[k] for k in ("检查单位数（户次）", "无法联系", "未发现问题", "发现问题", "已整改（复查确认）", "行政处罚")] == \
        [7, 1, 3, 4, 1, 1]
    assert [md[k] for k in ("检查单位数（户次）", "无法联系", "发现问题", "已整改（复查确认）", "行政处罚")] == [2, 0, 1, 1, 0]
    assert (pp["发现问题已责令整改"], md["发现问题已责令整改"], total["发现问题已责令整改"]) == (3, 1, 4)
    assert (bp(pp["问题发现率"]), bp(md["问题发现率"]), bp(total["问题发现率"])) == (5714, 5000, 5556)
    assert [total[k] for k in ("抽取任务数", "按风险分类抽取任务数", "风险分类占比达标（≥80%）")] == [3, 2, "否"]
    assert (pp["抽取任务数"], md["抽取任务数"], bp(md["按风险分类抽取占比"]), bp(total["按风险分类抽取占比"])) == \
        (3, 1, 10_000, 6667)
    assert [pp[k] for k in ("应公示（已到期）", "按时公示", "逾期公示", "逾期未公示")] == [7, 4, 2, 1]
    assert (bp(pp["公示率"]), bp(total["公示率"]), total["公示率达标（100%）"]) == (5714, 5556, "否")
    assert summary["消毒产品"]["抽查比例"] == "—" and summary["消毒产品"]["名录库单位数"] == 0
    assert book["汇总表"]["D3"].number_format == "0.0%"


def test_the_workbook_keeps_its_look(report_db: Target, tmp_path: Path) -> None:
    """Titles, headers, frozen panes, widths and the red 否, as the office has always seen them."""
    out = tmp_path / "look.xlsx"
    run_cli(report_db, out)
    book = load_workbook(out)
    summary, lateness = book["汇总表"], book["公示及时性"]
    for sheet in (summary, lateness):
        assert sheet.freeze_panes == "B3" and sheet["A1"].font.b and sheet["A1"].font.sz == 14
        assert sheet["B2"].font.b and sheet["B2"].fill.fgColor.rgb.endswith("DDE6F0") and sheet["B2"].alignment.wrap_text
        assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (20, 13)
    assert book["说明"].column_dimensions["B"].width == 100
    rows = {r[0].value: r for r in summary.iter_rows(min_row=3)}
    total, headers = rows["合计"], [c.value for c in summary[2]]
    assert all(c.font.b for c in total) and total[headers.index("抽查比例")].number_format == "0.0%"
    missed = total[headers.index("公示率达标（100%）")]
    assert missed.value == "否" and missed.font.color.rgb.endswith("B00020")


def test_the_lateness_sheet_has_medians_and_the_late_entries(report_db: Target, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    run_cli(report_db, out)
    book = load_workbook(out)
    lateness = sheet_rows(book, "公示及时性")
    assert [lateness["公共场所"][k] for k in ("逾期工作日中位数", "最长逾期工作日", "未到期（不计入）")] == [2.5, 3, 2]
    assert [lateness["合计"][k] for k in ("逾期公示", "逾期未公示", "逾期工作日中位数", "最长逾期工作日")] == [3, 1, 3, 5]
    rows = list(book["公示及时性"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "公示编号") + 1
    details = [r[:8] for r in rows[start:]]
    assert len(details) == 4 and sorted(r[7] for r in details if r[7] != "—") == [2, 3, 5]
    unpublished = [r for r in details if r[6] == "尚未公示"]
    assert len(unpublished) == 1 and unpublished[0][1] == "<script>alert(1)</script>"
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["统计期间"] == "2025-01-01 至 2025-12-31" and notes["公示统计截止日"] == "2025-12-31"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）", notes["数据截至"])
    assert "3%" in notes["抽查比例"] and "80%" in notes["按风险分类抽取占比"] and "100%" in notes["公示率"]


def test_cli_half_years(report_db: Target, tmp_path: Path) -> None:
    first, second = tmp_path / "h1.xlsx", tmp_path / "h2.xlsx"
    run_cli(report_db, first, "--half", "1")
    run_cli(report_db, second, "--half", "2")
    h1, h2 = sheet_rows(load_workbook(first), "汇总表"), sheet_rows(load_workbook(second), "汇总表")
    # H1: T1 only; the penalty's second publication falls due in July, after the cutoff
    assert [h1["公共场所"][k] for k in ("抽取单位数", "检查单位数（户次）", "无法联系", "发现问题", "按时公示", "逾期公示")] == \
        [4, 3, 1, 2, 3, 1]
    assert bp(h1["公共场所"]["公示率"]) == 7500 and bp(h1["医疗执业"]["公示率"]) == 10_000
    assert h1["医疗执业"]["抽取单位数"] == 0 and h1["合计"]["抽取任务数"] == 1
    # H2: T2 and T3 (T4 is only planned)
    assert (h2["公共场所"]["抽取单位数"], h2["医疗执业"]["抽取单位数"], h2["合计"]["抽取单位数"]) == (5, 3, 7)
    assert (h2["合计"]["抽取任务数"], h2["合计"]["按风险分类抽取任务数"]) == (2, 1)
    assert [h2["公共场所"][k] for k in ("按时公示", "逾期公示", "逾期未公示")] == [1, 0, 1]


def test_cli_refuses_bad_arguments(report_db: Target, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--db", str(report_db), "--year", "2025", "--half", "3", "--out", str(tmp_path / "x.xlsx")])
    with pytest.raises(SystemExit, match="xlsx"):
        main(["report", "--db", str(report_db), "--year", "2025", "--out", str(tmp_path / "x.csv")])
    with pytest.raises(SystemExit, match="四位数字"):
        main(["report", "--db", str(report_db), "--year", "25", "--out", str(tmp_path / "x.xlsx")])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("today, on_time, overdue, not_due, rate", [
    (date(2025, 12, 5), 1, 1, 2, 5000),      # the December entry is past due and unpublished
    (date(2025, 12, 1), 1, 0, 3, 10_000),    # due today: not late yet
    (date(2025, 9, 10), 0, 0, 4, None)])     # nothing due yet
def test_a_running_period_counts_what_has_fallen_due(report_db: Target, today: date, on_time: int, overdue: int,
                                                     not_due: int, rate: int | None) -> None:
    conn = engine.connect(report_db)
    try:
        report = assemble(conn, Period(2025, 2), today=today).report
    finally:
        conn.close()
    pp = next(r for r in report.rows if r.code == "public_places")
    assert (pp.counts.on_time, pp.counts.overdue, pp.counts.not_due) == (on_time, overdue, not_due)
    assert pp.publication.basis_points == rate and report.cutoff == today


# --- the public pages ----------------------------------------------------------------------------

def page(web: httpx.Client, path: str, status: int = 200) -> str:
    response = web.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.text
    assert '<html lang="zh-CN">' in text and "http://" not in text and "https://" not in text
    assert "<script" not in text
    return text


def cells(text: str, name: str) -> list[str]:
    """The cells of a table row whose header is `name` (the first such row: the first table)."""
    match = re.search(rf'<th scope="row">{name}</th>(.*?)</tr>', text)
    assert match, name
    return re.findall(r"<td[^>]*>([^<]*)</td>", match.group(1))


def test_the_list_of_years(web: httpx.Client) -> None:
    text = page(web, "/public/reports")
    assert 'href="/public/reports/2025"' in text and 'href="/public/reports/2024?half=1"' in text
    assert text.index("2025 年") < text.index("2024 年") and 'href="/public/reports/2025.xlsx"' in text


def test_the_yearly_page_shows_the_figures_and_charts(web: httpx.Client) -> None:
    text = page(web, "/public/reports/2025")
    assert "2025年度双随机、一公开工作统计报告" in text
    # registry, drawn, sampling, inspected, one column per category (未发现问题, 发现问题已责令整改,
    # 行政处罚, 无法联系, 待检验结果: none here), problems, rectified, discovery
    assert cells(text, "公共场所") == ["100", "7", "7.0%", "7", "3", "3", "1", "1", "0", "4", "1", "57.1%"]
    assert cells(text, "医疗执业") == ["40", "3", "7.5%", "2", "1", "1", "0", "0", "0", "1", "1", "50.0%"]
    assert cells(text, "合计") == ["140", "9", "6.4%", "9", "4", "4", "1", "1", "0", "5", "2", "55.6%"]
    second = text[text.index("二、按风险分类"):]
    assert cells(second, "公共场所") == ["3", "2", "66.7%", "7", "4", "2", "1", "57.1%", "2.5 / 3"]
    assert cells(second, "合计") == ["3", "2", "66.7%", "9", "5", "3", "1", "55.6%", "3 / 5"]
    assert text.count('role="img"') == 3 and "3% 目标线" in text and "stroke-dasharray" in text   # three charts
    assert "抽查比例 <strong>6.4%</strong>（目标 ≥ 3%）：达标" in text and "公示率 <strong>55.6%</strong>" in text
    assert "医疗执业：公示率未达 100%" in text
    assert 'href="/public/reports/2025.xlsx" download' in text


def test_the_half_year_page(web: httpx.Client) -> None:
    text = page(web, "/public/reports/2025?half=1")
    assert "2025年上半年" in text and "统计期间 2025-01-01 至 2025-06-30" in text
    assert cells(text, "公共场所")[:3] == ["100", "4", "4.0%"]
    assert 'href="/public/reports/2025.xlsx?half=1" download' in text


def test_the_download_is_the_same_report(web: httpx.Client) -> None:
    for query, drawn in (("", 9), ("?half=2", 7)):
        response = web.get(f"/public/reports/2025.xlsx{query}")
        assert response.status_code == 200 and response.headers["content-type"] == XLSX
        slug = "2025-H2" if query else "2025"
        assert response.headers["content-disposition"] == f'attachment; filename="report-{slug}.xlsx"'
        summary = sheet_rows(load_workbook(io.BytesIO(response.content)), "汇总表")
        assert summary["合计"]["抽取单位数"] == drawn


@pytest.mark.parametrize("path, status, words", [
    ("/public/reports/20x5", 400, "年度无效"), ("/public/reports/0000", 400, "年度无效"),
    ("/public/reports/20250", 400, "年度无效"), ("/public/reports/%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95", 400, "年度无效"),
    ("/public/reports/%C2%B2025", 400, "年度无效"), ("/public/reports/2025?half=3", 400, "半年度参数无效"),
    ("/public/reports/2025?half=%EF%BC%91", 400, "半年度参数无效"), ("/public/reports/2025?half=1%27--", 400, "半年度参数无效"),
    ("/public/reports/1999", 404, "没有该年度报告"), ("/public/reports/2030?half=1", 404, "没有该年度报告"),
    ("/public/reports/20x5.xlsx", 400, "年度无效"), ("/public/reports/2025.xlsx?half=0", 400, "半年度参数无效"),
    ("/public/reports/1999.xlsx", 404, "没有该年度报告")])
def test_bad_input_gets_a_chinese_error_page(web: httpx.Client, path: str, status: int, words: str) -> None:
    text = page(web, path, status)
    assert words in text
    assert web.get(path).headers.get("cache-control") is None


def test_the_late_entries_keep_names_as_text_and_dates_as_dates(tmp_path: Path) -> None:
    db = engine.new_target(tmp_path / "server.db")
    conn = open_db(db)
    fill_2025(conn)
    with transaction(conn):   # the unit of the overdue entry, registered under a name that is a formula
        conn.execute("UPDATE disclosures SET unit_name = ? WHERE unit_name = '<script>alert(1)</script>'",
                     ("=HYPERLINK(\"http://evil.invalid\",\"点击\")",))
    conn.close()
    out = tmp_path / "r.xlsx"
    run_cli(db, out)
    sheet = load_workbook(out)["公示及时性"]
    rows = list(sheet.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == "公示编号") + 1
    details = rows[start:]
    evil = next(r for r in details if r[6].value == "尚未公示")
    assert evil[1].value == "=HYPERLINK(\"http://evil.invalid\",\"点击\")" and evil[1].data_type == "s", "text, not a formula"
    for r in details:
        assert r[5].is_date and r[5].value.year == 2025, "应公示日期 is a date"
        assert r[4].data_type == "n" and isinstance(r[4].value, int), "版次 is a number"
        assert r[6].value == "尚未公示" or (r[6].is_date and r[6].value.year == 2025), "实际公示日期 is a date"
