"""The public report pages: the years with a report, a year's (or half-year's) report with its
tables and inline SVG charts, and the same report as .xlsx. Definitions: docs/REPORTS.md."""
from __future__ import annotations

import io
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sync_server.db import Connection
from sync_server.reports import service
from sync_server.reports.core.report import Period, PeriodError, failed_checks
from schemas.categories import KINDS
from sync_server.reports.charts import charts
from sync_server.web.render import CACHE, page, refusal
from sync_server.reports import queries as q
from sync_server.web.scope import db_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request: Request) -> Period | HTMLResponse:
    raw_year, raw_half = request.path_params["year"], request.query_params.get("half") or None
    if not re.fullmatch("[0-9]{4}", raw_year):
        return refusal(400, "年度无效", "年度应为四位数字，例如 2026。")
    if raw_half is not None and raw_half not in ("1", "2"):
        return refusal(400, "半年度参数无效", "half 只能为 1（上半年）或 2（下半年），不填为全年。")
    try:
        return Period(int(raw_year), int(raw_half) if raw_half else None)
    except PeriodError:
        return refusal(400, "年度无效", "年度应为四位数字，例如 2026。")


def _missing(period: Period) -> HTMLResponse:
    return refusal(404, "没有该年度报告", f"{period.year} 年度没有抽查计划，也没有公示的检查结果。")


async def report_years(request: Request) -> HTMLResponse:
    return page("reports.html", years=await db_of(request).read(q.list_report_years))


async def report_page(request: Request) -> HTMLResponse:
    period = _period(request)
    if isinstance(period, HTMLResponse):
        return period
    found = await db_of(request).read(_report, period)
    if found is None:
        return _missing(period)
    missed = [m for m in failed_checks(found) if not m.startswith(found.total.name)]
    return page("report.html", report=found, kinds=KINDS, charts=charts(found), missed=missed,
                definitions=service.DEFINITIONS, generated=service.beijing_time(found.generated_at))


def _report(conn: Connection, period: Period) -> Any:
    if not q.has_report_year(conn, period.year):
        return None
    return service.assemble(conn, period).report


async def report_xlsx(request: Request) -> Response:
    period = _period(request)
    if isinstance(period, HTMLResponse):
        return period
    body = await db_of(request).read(_workbook, period)
    if body is None:
        return _missing(period)
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="report-{period.slug}.xlsx"', **CACHE})


def _workbook(conn: Connection, period: Period) -> bytes | None:
    if not q.has_report_year(conn, period.year):
        return None
    out = io.BytesIO()
    service.workbook(service.assemble(conn, period)).save(out)
    return out.getvalue()
