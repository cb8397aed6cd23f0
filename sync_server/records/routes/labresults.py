"""Lab results: signed on a tablet (one receipt each), or entered by the office (admin)."""
from __future__ import annotations

from starlette.requests import Request

from sync_server.accounts.routes import _admin_json
from sync_server.disclosure.followups import resolve_record
from sync_server.records import labresults
from sync_server.web.http import JSONResponse, admin_of, device_of, read_envelopes
from sync_server.web.scope import db_of


async def push_lab_results(request: Request) -> JSONResponse:
    device = await device_of(request)
    texts = await read_envelopes(request)
    return JSONResponse({"receipts": await db_of(request).write(labresults.push_batch, device, texts)})


async def enter_lab_result(request: Request) -> JSONResponse:
    admin = await admin_of(request)
    body = await _admin_json(request)
    ref = request.path_params["ref"]
    result = await db_of(request).write(
        lambda conn: labresults.enter_by_office(conn, admin["id"], resolve_record(conn, ref), body))
    return JSONResponse(result, status_code=201)
