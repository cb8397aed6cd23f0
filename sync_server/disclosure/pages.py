"""The public disclosure list (双随机抽查结果公示): search and filter, each entry printable with a
QR code to its verification, the verification itself, and downloads (CSV, XLSX, JSON).

Handlers are thin: parse the query (anything odd is a Chinese 400 page, never a 500), read,
render. Only published documents are shown; an update waiting for publication is not public yet.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, AsyncIterator
from urllib.parse import urlencode

import segno
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse

from schemas import clock
from sync_server.db import Connection
from sync_server.disclosure import service as disclosure, exports
from schemas.categories import LABELS
from sync_server.disclosure.core.disclosure import beijing_date, handling_text
from schemas.specialties import SPECIALTIES
from schemas.clock import utc_now
from sync_server.errors import NotFound
from sync_server.web.render import CACHE, page, refusal
from sync_server.disclosure.queries import disclosures as q
from sync_server.web.scope import db_of

PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_QUERY = 50
USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
ENTRY_NO = re.compile(r"20\d{2}-\d{6}")
RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class BadQuery(ValueError):
    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title, self.message = title, message


def parse_filters(params: Any) -> dict[str, Any]:
    """The list's filters from a query string; refuses what is not one of the known values."""
    filters: dict[str, Any] = {}
    year = params.get("year") or None
    if year is not None:
        if not re.fullmatch(r"[0-9]{4}", year):
            raise BadQuery("年度无效", "年度应为四位数字，如 2026。")
        filters["year"] = int(year)
    specialty = params.get("specialty") or None
    if specialty is not None:
        if specialty not in SPECIALTIES:
            raise BadQuery("专业不存在", "筛选的专业代码不存在，请从列表中选择。")
        filters["specialty"] = specialty
    category = params.get("category") or None
    if category is not None:
        if category not in LABELS:
            raise BadQuery("检查结果类别无效", "请从列表中选择检查结果类别。")
        filters["category"] = category
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY:
        raise BadQuery("搜索内容过长", f"请输入不超过 {MAX_QUERY} 个字的单位名称或统一社会信用代码。")
    if text:
        if USCC.fullmatch(text.upper()):
            filters["uscc"] = text.upper()
        else:
            filters["name"] = text
    return filters


def _page_number(params: Any) -> int:
    raw = params.get("page") or "1"
    if not re.fullmatch(r"[0-9]{1,9}", raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadQuery("页码超出范围", f"页码应为 1 到 {MAX_PAGE} 之间的整数。")
    return int(raw)


def _query(filters: dict[str, Any], **extra: Any) -> str:
    pairs = {"year": filters.get("year"), "specialty": filters.get("specialty"), "category": filters.get("category"),
             "q": filters.get("uscc") or filters.get("name"), **extra}
    return urlencode({k: v for k, v in pairs.items() if v not in (None, "")})


async def results(request: Request) -> HTMLResponse:
    try:
        filters = parse_filters(request.query_params)
        number = _page_number(request.query_params)
    except BadQuery as exc:
        return refusal(400, exc.title, exc.message)
    found = await db_of(request).read(_results, filters, number)
    today = beijing_date(utc_now())
    rows = [{**doc, "handling_lines": handling_text(doc["handling"], today)} for doc in found["docs"]]
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    return page("results.html", rows=rows, total=found["total"], number=number, pages=pages, filters=filters,
                years=found["years"], labels=LABELS, specialties=sorted(SPECIALTIES.items(), key=lambda kv: kv[1]),
                q=filters.get("uscc") or filters.get("name") or "", query=_query(filters),
                prev=_query(filters, page=number - 1) if number > 1 else None,
                next=_query(filters, page=number + 1) if number < pages else None)


def _results(conn: Connection, filters: dict[str, Any], number: int) -> dict[str, Any]:
    docs, total = q.page_public(conn, filters, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    return {"docs": [json.loads(d) for d in docs], "total": total,
            "years": q.list_public_years(conn)}


async def entry(request: Request) -> HTMLResponse:
    no = request.path_params["no"]
    row = await db_of(request).read(_published, no) if ENTRY_NO.fullmatch(no) else None
    if row is None:
        return refusal(404, "没有该公示条目", f"没有编号为 {no[:20]} 的公示条目。")
    doc = json.loads(row["doc"])
    verify_url = str(request.url_for("result_verify", no=no))
    qr = segno.make(verify_url, error="m").svg_inline(border=2, omitsize=True, title=f"核验 {no}")
    return page("result.html", doc=doc, row=row, qr=qr, verify_url=verify_url,
                handling_lines=handling_text(doc["handling"], beijing_date(utc_now())))


def _published(conn: Connection, no: str) -> dict[str, Any] | None:
    row = q.get_entry_by_no(conn, no)
    doc = None if row is None else q.get_doc(conn, row["id"])
    return None if doc is None else {**dict(row), "doc": doc}


async def record(request: Request) -> Response:
    """Where the QR code on the papers handed over on site leads (field_app/documents): the
    record's public entry once it is published; until then, a page that says so."""
    record_id = request.path_params["record_id"]
    no = await db_of(request).read(_published_no, record_id) if RECORD_ID.fullmatch(record_id) else None
    if no is None:
        return refusal(404, "该检查记录尚未公示",
                       "检查结果在组长审核通过后 20 个工作日内公示；记录被退回更正的，以更正后的记录为准。请稍后再扫码查询。")
    return RedirectResponse(str(request.url_for("result_verify", no=no)), status_code=303)


def _published_no(conn: Connection, record_id: str) -> str | None:
    row = q.get_entry_by_record(conn, record_id)
    return row["no"] if row is not None and _published(conn, row["no"]) is not None else None


async def entry_json(request: Request) -> Response:
    no = request.path_params["no"]
    row = await db_of(request).read(_published, no) if ENTRY_NO.fullmatch(no) else None
    if row is None:
        raise NotFound("disclosure.unknown", f"no published entry {no[:20]}", "没有该公示条目")
    return Response(row["doc"], media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{no}.json"', **CACHE})


async def _verification(request: Request) -> dict[str, Any] | None:
    no = request.path_params["no"]
    if not ENTRY_NO.fullmatch(no):
        return None
    return await db_of(request).read(disclosure.verification, no, request.app.state.server_key)


async def verify(request: Request) -> HTMLResponse:
    found = await _verification(request)
    if found is None:
        return refusal(404, "没有该公示条目", "没有该编号的公示条目，无法核验。")
    doc = json.loads(found["doc"])
    return page("result_verify.html", v=found, doc=doc, log_entry=json.loads(found["publication"]["entry"]),
                receipt_entry=json.loads(found["record"]["receipt"]["entry"]),
                bundle=json.dumps(found, ensure_ascii=False))


async def proof_json(request: Request) -> Response:
    found = await _verification(request)
    if found is None:
        raise NotFound("disclosure.unknown", "no published entry with that number", "没有该公示条目")
    body = json.dumps(found, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(body, media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{found["no"]}-proof.json"', "Cache-Control": "no-store"})


async def download(request: Request) -> Response:
    try:
        filters = parse_filters(request.query_params)
    except BadQuery as exc:
        return refusal(400, exc.title, exc.message)
    kind = request.path_params["kind"]
    if kind not in ("csv", "xlsx", "json"):
        return refusal(404, "没有该格式", "可下载的格式为 CSV、XLSX 和 JSON。")
    stamp = clock.beijing_today().strftime("%Y%m%d")
    name = f"双随机抽查结果-{stamp}.{kind}"
    disposition = {"Content-Disposition": f"attachment; filename=\"results-{stamp}.{kind}\"; "
                                          f"filename*=UTF-8''{_quote(name)}", **CACHE}
    if kind == "xlsx":
        path = await db_of(request).read(exports.xlsx_file, filters)
        return FileResponse(path, headers=disposition, background=BackgroundTask(os.unlink, path),
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    db = db_of(request)

    async def stream() -> AsyncIterator[bytes]:
        after: int | None = 0
        first = True
        if kind == "json":
            yield b"["
        while after is not None:
            docs, after = await db.read(exports.chunk, filters, after)
            text = exports.csv_text(docs, first) if kind == "csv" else exports.json_text(docs, first)
            first = first and not docs if kind == "json" else False
            yield text.encode("utf-8")
        if kind == "json":
            yield b"]"

    media = "text/csv; charset=utf-8" if kind == "csv" else "application/json; charset=utf-8"
    return StreamingResponse(stream(), media_type=media, headers=disposition)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
