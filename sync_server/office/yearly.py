"""The console's 工作日历 and 统计报告 sections.

工作日历: the years whose official holiday arrangement is loaded, with their source; a year's
State Council notice pasted or uploaded (the format of docs/CALENDAR.md, as `load-calendar` reads
it), previewed (its holidays and swapped working days, how many provisional due dates it settles
or moves) and then applied in one transaction, logged with the person.

统计报告: the half-year and yearly reports (sync_server/reports/service.py) with their figures, the
late publications behind the rate, and the same workbook as the CLI and the public page. On an
office with offices below it (a city, the province), 汇总报表: the sum of their reports
(sync_server/reports/rollup.py), each read from that office's own database, with each office's
total row and the workbook's sheet 下级机构. An office with none below it has no roll-up (404).
"""
from __future__ import annotations

import io
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.categories import KINDS
from sync_server.db import Connection
from sync_server.disclosure import service as disclosure, workcalendar
from sync_server.errors import ApiError, FieldErrors, Stale
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.platform import databases as office_databases, service as platform
from sync_server.reports import queries as report_queries, rollup, service as reports
from sync_server.reports.core.report import Period, failed_checks
from sync_server.web.render import refusal
from sync_server.web.scope import db_of, office_of

NOTICE_BYTES = 64 * 1024
SOURCE_CHARS = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- 工作日历 ---------------------------------------------------------------------------------------

@console.guarded("calendar.view")
async def calendar_index(request: Request, actor: Actor) -> Response:
    return await _calendar(request, actor)


async def _calendar(request: Request, actor: Actor, values: dict | None = None, errors: dict | None = None,
                    status: int = 200) -> Response:
    years = await db_of(request).read(workcalendar.loaded_years)
    return console.render(request, actor, "console_calendar.html", status=status, years=years,
                          values=values or {}, errors=errors or {})


@console.guarded("calendar.load")
async def calendar_preview(request: Request, actor: Actor) -> Response:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields, files = await console.upload(request, NOTICE_BYTES)
    else:   # the text box alone, posted without a file input
        fields, files = await console.form(request, NOTICE_BYTES * 2), {}
    try:
        text, source = _notice_of(fields, files)
        preview = await db_of(request).read(_preview, text)
    except FieldErrors as exc:
        return await _calendar(request, actor, {**fields, "text": fields.get("text", "")}, exc.fields, exc.status)
    version = preview["replaces"]["loaded_at"] if preview["replaces"] else "new"
    return console.render(request, actor, "console_calendar_preview.html", preview=preview, text=text,
                          source=source, version=version)


@console.guarded("calendar.load")
async def calendar_apply(request: Request, actor: Actor) -> Response:
    form = await console.form(request, NOTICE_BYTES * 2)
    try:
        text, source = _notice_of(form, {})
        year = await db_of(request).write(_apply, text, source, form.get("version", ""), actor.by)
    except (FieldErrors, Stale) as exc:
        errors = exc.fields if isinstance(exc, FieldErrors) else {"text": exc.message_zh}
        return await _calendar(request, actor, form, errors, exc.status)
    return console.done("/office/calendar", f"已载入 {year} 年放假安排（{source}）；该年度的暂定公示期限已按正式安排重新计算。")


def _notice_of(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, str]:
    """The notice's text (a file chosen wins over the text box) and its source, or the reasons."""
    text, source = fields.get("text", ""), fields.get("source", "").strip()
    if "file" in files:
        name, data = files["file"]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FieldErrors({"file": "文件不是 UTF-8 编码的文本，请另存为 UTF-8 后重新上传"}) from None
        source = source or name[:SOURCE_CHARS]
    errors = {}
    if not text.strip():
        errors["text"] = "请粘贴通知的放假安排，或选择文件上传"
    if not source:
        errors["source"] = "请填写来源（例如通知文号「国办发明电〔2026〕X号」）"
    elif len(source) > SOURCE_CHARS:
        errors["source"] = f"来源不能超过 {SOURCE_CHARS} 字"
    if errors:
        raise FieldErrors(errors)
    return text, source


def _preview(conn: Connection, text: str) -> dict:
    try:
        return disclosure.preview_calendar_notice(conn, text)
    except ApiError as exc:
        if exc.code.startswith("calendar."):
            raise FieldErrors({"text": exc.message_zh}) from exc
        raise


def _apply(conn: Connection, text: str, source: str, version: str, by: str) -> int:
    """Load the notice (all or nothing), refusing when the year changed since the preview."""
    year = _preview(conn, text)["year"]
    loaded = next((y["loaded_at"] for y in workcalendar.loaded_years(conn) if y["year"] == year), "new")
    if version != loaded:
        raise Stale(f"{year} 年的放假安排在您预览后已被他人载入或更改，请重新预览后再确认。")
    return disclosure.load_calendar_notice(conn, text, source, by)


# --- 统计报告 ---------------------------------------------------------------------------------------

@console.guarded("reports.view")
async def reports_index(request: Request, actor: Actor) -> Response:
    years = await db_of(request).read(report_queries.list_report_years)
    below = [db for _, _, db in await _offices_below(request)]
    rollup_years = sorted({y for db in below for y in await db.read(report_queries.list_report_years)}, reverse=True)
    return console.render(request, actor, "console_reports.html", years=years, rollup_years=rollup_years,
                          has_below=bool(below))


async def _offices_below(request: Request) -> list[tuple[str, str, object]]:
    """(code, name, database) of every office below this request's office (none on a county)."""
    _, offices = await request.app.state.db.read(platform.below, office_of(request))
    return [(o.code, o.name, office_databases.office_database(request.app, o.code)) for o in offices]


async def _rolled(request: Request) -> rollup.RolledUp | Response:
    """The roll-up of the period the path names, or the refusal to show (a bad period, no office below)."""
    period = _period(request)
    if not isinstance(period, Period):
        return period
    offices = await _offices_below(request)
    if not offices:
        return console.private(refusal(404, "没有下级机构", "本机构没有下级机构，没有汇总报表；本机构的报告见“统计报告”。"))
    return await rollup.from_databases(period, offices)


@console.guarded("reports.view")
async def rollup_page(request: Request, actor: Actor) -> Response:
    rolled = await _rolled(request)
    if not isinstance(rolled, rollup.RolledUp):
        return rolled
    return console.render(request, actor, "console_reports_rollup.html", report=rolled.report, parts=rolled.parts,
                          late=rolled.late_entries, kinds=KINDS, generated=reports.beijing_time(rolled.report.generated_at))


@console.guarded("reports.view")
async def rollup_xlsx(request: Request, actor: Actor) -> Response:
    rolled = await _rolled(request)
    if not isinstance(rolled, rollup.RolledUp):
        return rolled
    out = io.BytesIO()
    rollup.workbook(rolled).save(out)
    return Response(out.getvalue(), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="rollup-{rolled.report.period.slug}.xlsx"', "Cache-Control": "no-store"})


def _period(request: Request) -> Period | Response:
    raw_year, raw_half = request.path_params["year"], request.query_params.get("half") or None
    if not re.fullmatch("[0-9]{4}", raw_year) or raw_year < "1900":
        return console.private(refusal(400, "年度无效", "年度应为四位数字，例如 2026。"))
    if raw_half is not None and raw_half not in ("1", "2"):
        return console.private(refusal(400, "半年度参数无效", "half 只能为 1（上半年）或 2（下半年），不填为全年。"))
    return Period(int(raw_year), int(raw_half) if raw_half else None)


def _assembled(conn: Connection, period: Period) -> reports.Assembled | None:
    if not report_queries.has_report_year(conn, period.year):
        return None
    return reports.assemble(conn, period)


def _missing(period: Period) -> Response:
    return console.private(refusal(404, "没有该年度报告", f"{period.year} 年度没有抽查计划，也没有公示的检查结果。"))


@console.guarded("reports.view")
async def report_page(request: Request, actor: Actor) -> Response:
    period = _period(request)
    if not isinstance(period, Period):
        return period
    found = await db_of(request).read(_assembled, period)
    if found is None:
        return _missing(period)
    report = found.report
    missed = [m for m in failed_checks(report) if not m.startswith(report.total.name)]
    return console.render(request, actor, "console_reports_report.html", report=report, late=found.late_entries,
                          kinds=KINDS, missed=missed, generated=reports.beijing_time(report.generated_at))


@console.guarded("reports.view")
async def report_xlsx(request: Request, actor: Actor) -> Response:
    period = _period(request)
    if not isinstance(period, Period):
        return period
    found = await db_of(request).read(_assembled, period)
    if found is None:
        return _missing(period)
    out = io.BytesIO()
    reports.workbook(found).save(out)
    return Response(out.getvalue(), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="report-{period.slug}.xlsx"', "Cache-Control": "no-store"})


ROUTES = [
    Route("/office/calendar", calendar_index),
    Route("/office/calendar/preview", calendar_preview, methods=["POST"]),
    Route("/office/calendar/apply", calendar_apply, methods=["POST"]),
    Route("/office/reports", reports_index),
    Route("/office/reports/rollup/{year}.xlsx", rollup_xlsx),
    Route("/office/reports/rollup/{year}", rollup_page),
    Route("/office/reports/{year}.xlsx", report_xlsx),
    Route("/office/reports/{year}", report_page),
]
