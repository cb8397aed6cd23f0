"""The half-year and yearly reports: read the counts in one snapshot, compute the figures
(core/report.py), write the workbook (汇总表, 公示及时性, 说明). Definitions: docs/REPORTS.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from itertools import chain
from pathlib import Path
from typing import IO, Any, Iterator

from schemas import clock
from schemas.clock import utc_now
from schemas.categories import KINDS, LABELS
from sync_server.db import Connection
from sync_server.reports.core.report import (Period, Rate, Report, Row, build, counts_by_specialty, drawn_counts,
                                             late_days_by_specialty, populations)
from schemas.specialties import SPECIALTIES
from sync_server.reports import queries as q
from sync_server.xlsx.writer import Book, Sheet, Styled

BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Assembled:
    report: Report
    late_entries: list[dict[str, Any]]


def beijing_today() -> date:
    return clock.beijing_today()


def assemble(conn: Connection, period: Period, today: date | None = None) -> Assembled:
    """The report of a period as the database stands now (today: Beijing date, for tests)."""
    today = today or beijing_today()
    cutoff, year, half = period.cutoff(today).isoformat(), period.year, period.half
    with q.snapshot(conn):
        generated_at = utc_now()
        own = q.count_registry_by_specialty(conn)
        registry = populations(own, q.count_registry_tags(conn))
        drawn, drawn_total = drawn_counts(q.list_drawn_units(conn, year, half))
        draws = q.count_draws_by_specialty(conn, year, half)
        entries, publications = q.count_entries_by_specialty(conn, year, half, cutoff, today.isoformat())
        draws_total, risk_total = q.count_draws_total(conn, year, half)
        details = q.list_late_entries(conn, year, half, cutoff, today.isoformat())
    late_days = late_days_by_specialty((e["specialty"], e["late_days"]) for e in details)
    counts = counts_by_specialty(registry, drawn, draws, entries, publications, late_days)
    report = build(period, today, generated_at, counts, drawn_total, draws_total, risk_total, sum(own.values()))
    return Assembled(report, details)


def write_report(conn: Connection, period: Period, out: Path | IO[bytes], today: date | None = None) -> Report:
    """Assemble the report of a period and write it as .xlsx (a path or a binary stream)."""
    assembled = assemble(conn, period, today)
    workbook(assembled).save(out)
    return assembled.report


# --- the workbook -------------------------------------------------------------------------------

SUMMARY = [  # (header, value of a row); a Rate is written as a number formatted as a percentage
    ("专业", lambda r: r.name),
    ("名录库单位数", lambda r: r.counts.registry),
    ("抽取单位数", lambda r: r.counts.drawn),
    ("抽查比例", lambda r: r.sampling),
    ("抽查比例达标（≥3%）", lambda r: r.checks["sampling"]),
    ("检查单位数（户次）", lambda r: r.counts.inspected),
    *((kind.label, lambda r, code=kind.code: r.counts.category(code)) for kind in KINDS),
    ("发现问题", lambda r: r.counts.problems),
    ("已整改（复查确认）", lambda r: r.counts.rectified),
    ("问题发现率", lambda r: r.discovery),
    ("抽取任务数", lambda r: r.counts.draws),
    ("按风险分类抽取任务数", lambda r: r.counts.risk_draws),
    ("按风险分类抽取占比", lambda r: r.risk_share),
    ("风险分类占比达标（≥80%）", lambda r: r.checks["risk_share"]),
    ("应公示（已到期）", lambda r: r.counts.due),
    ("按时公示", lambda r: r.counts.on_time),
    ("逾期公示", lambda r: r.counts.late),
    ("逾期未公示", lambda r: r.counts.overdue),
    ("公示率", lambda r: r.publication),
    ("公示率达标（100%）", lambda r: r.checks["publication"]),
]

LATENESS = [
    ("专业", lambda r: r.name),
    ("应公示（已到期）", lambda r: r.counts.due),
    ("按时公示", lambda r: r.counts.on_time),
    ("逾期公示", lambda r: r.counts.late),
    ("逾期未公示", lambda r: r.counts.overdue),
    ("公示率", lambda r: r.publication),
    ("逾期工作日中位数", lambda r: _whole_or_half(r.lateness.median)),
    ("最长逾期工作日", lambda r: r.lateness.max if r.lateness.max is not None else "—"),
    ("未到期（不计入）", lambda r: r.counts.not_due),
]

DETAIL_HEADERS = ["公示编号", "单位名称", "专业", "公示类别", "版次", "应公示日期", "实际公示日期", "逾期工作日"]


def workbook(assembled: Assembled) -> Book:
    """The report as a workbook to save (sync_server.xlsx.writer): text cells are always text, so a
    unit registered as `=HYPERLINK(…)` stays a name, never a formula."""
    report, label = assembled.report, assembled.report.period.label
    lateness = chain(_table_rows(f"{label}抽查结果公示及时性", report, LATENESS),
                     [[], [Styled("逾期公示及逾期未公示明细", "bold")], [Styled(h, "header") for h in DETAIL_HEADERS]],
                     map(_detail, assembled.late_entries))
    return Book([
        Sheet("汇总表", _table_rows(f"{label}双随机抽查工作汇总表", report, SUMMARY), column_widths(SUMMARY), "B3"),
        Sheet("公示及时性", lateness, column_widths(LATENESS), "B3"),
        Sheet("说明", note_lines(report), (26, 100)),
    ])


def _table_rows(heading: str, report: Report, columns: list) -> Iterator[list[Any]]:
    yield [Styled(heading, "title")]
    yield [Styled(header, "header") for header, _ in columns]
    for r in (*report.rows, report.total):
        yield [cell_value(get(r), r.code == "total") for _, get in columns]


def column_widths(columns: list) -> list[int]:
    return [20] + [13] * (len(columns) - 1)


def cell_value(value: Any, bold: bool) -> Any:
    """A figure as a cell: a Rate as a number formatted as a percentage, a check as 是/否 (否 in red)."""
    if isinstance(value, Rate):
        if value.basis_points is None:
            return Styled("—", "bold") if bold else "—"
        return Styled(value.basis_points / 10_000, "percent_bold" if bold else "percent")
    if isinstance(value, bool) or value is None:
        text = {True: "是", False: "否", None: "—"}[value]
        return Styled(text, "missed") if value is False else Styled(text, "bold") if bold else text
    return Styled(value, "bold") if bold else value


def _whole_or_half(value: Fraction | None) -> int | float | str:
    """A median of whole days as a cell: 3, or 2.5 (a half is exact in binary), or — when none."""
    if value is None:
        return "—"
    return value.numerator if value.denominator == 1 else value.numerator / value.denominator


def _detail(entry: dict[str, Any]) -> list[Any]:
    """A late entry's row: dates as dates, the revision and the days late as numbers."""
    late, published = entry["late_days"], entry["published_on"]
    return [entry["no"], entry["unit_name"], SPECIALTIES.get(entry["specialty"], entry["specialty"]),
            LABELS.get(entry["category"], entry["category"]), int(entry["revision"]), date.fromisoformat(entry["due_on"]),
            date.fromisoformat(published) if published else "尚未公示", late if late is not None else "—"]


def beijing_time(stamp: str) -> str:
    moment = datetime.fromisoformat(stamp).astimezone(BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M:%S（北京时间）")


DEFINITIONS = [
    ("名录库单位数", "检查对象名录库中纳入监管的单位数，按抽查总体统计：本专业单位及标注该专业的其他单位（如标注“放射卫生”的医院）；合计中每个单位只计一次。为生成报告时的名录库现状。"),
    ("抽取单位数", ("本期抽查任务（属于本年度计划，按任务开始日期归入上、下半年）抽取的单位数，同一单位多次抽取"
                "只计一次；联合任务抽取的单位按其所属专业归入（不属于任务所涉专业的归入任务的第一个专业），"
                "合计栏不重复计数。")),
    ("专业归属", ("各项按专业的数字用同一归属：单位按抽取它的任务归入专业（联合任务见上）；检查结果（含无法联系）"
              "及其公示义务随该次检查所属任务归入同一专业。一次检查同时完成多个任务的只计一次：有任务按单位"
              "所属专业抽取的归入该专业，否则归入公示条目所列第一个任务的专业；不属于任何任务的检查按单位所属专业归入。")),
    ("抽查比例", "抽取单位数 ÷ 名录库单位数。目标：不低于 3%（年度目标，半年报告反映进度）。"),
    ("检查单位数", "本期经审核批准的检查结果中，除无法联系以外的户次（按检查日期归入年度和半年）。"),
    ("无法联系", "检查记录为无法联系的户次。"),
    ("发现问题", "公示类别或检查记录类别为“发现问题已责令整改”或“行政处罚”的户次。"),
    ("已整改", "发现问题的户次中，复查结论为已整改的户次。"),
    ("行政处罚", "公示类别为“行政处罚”（已作出处罚决定）的户次。"),
    ("问题发现率", "发现问题 ÷ 检查单位数。"),
    ("按风险分类抽取占比", ("本期已抽取的任务中，按信用风险分类设置抽取权重的任务所占比例。目标：不低于 80%。"
                     "联合任务计入其涉及的每个专业，合计栏只计一次。")),
    ("应公示（已到期）", ("本期检查结果的公示义务中，应公示日期不晚于统计截止日的件数（含处罚决定等变更后的重新公示）；"
                  "统计截止日为本期最后一天与今天中较早者。尚未公示的，应公示日期已过才计入。")),
    ("公示率", "按时公示 ÷ 应公示。目标：100%。逾期天数按工作日计算（含法定节假日和调休）。"),
    ("未到期（不计入）", "本期检查结果中应公示日期晚于统计截止日、或今天到期尚未公示的公示义务，不计入公示率。"),
    ("百分比", "按精确值四舍五入保留一位小数；是否达标按精确值判断。"),
]


def note_lines(report: Report) -> list[tuple[str, str]]:
    period = report.period
    return [
        ("报告", f"{period.label}双随机、一公开工作统计报告"),
        ("统计期间", f"{period.start.isoformat()} 至 {period.end.isoformat()}"),
        ("公示统计截止日", report.cutoff.isoformat()),
        ("数据截至", beijing_time(report.generated_at)),
        ("生成时间", beijing_time(report.generated_at)),
        ("", ""),
        ("指标", "定义"),
        *DEFINITIONS,
        ("", ""),
        ("目标", "抽查比例 ≥ 3%；按风险分类抽取占比 ≥ 80%；公示率 100%。未达目标的在汇总表中标为“否”。"),
    ]


def summary_line(report: Report, out: str) -> str:
    whole: Row = report.total
    return (f"已写入 {out}：{report.period.label}，抽取 {whole.counts.drawn} 户（抽查比例 {whole.sampling.text}），"
            f"检查 {whole.counts.inspected} 户次，发现问题 {whole.counts.problems}，公示率 {whole.publication.text}")
