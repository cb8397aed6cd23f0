"""Record push: a batch of envelopes in, one receipt each out."""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sync_server.records import ingest
from sync_server.records.intake import UUID
from sync_server.errors import BadRequest, Forbidden, NotFound
from sync_server.planning.queries import assignments
from sync_server.records.queries import records
from sync_server.web.http import JSONResponse, device_of, read_body, read_envelopes
from sync_server.web.scope import db_of

STATUS_CODES = {"accepted": 201, "incomplete": 202, "duplicate": 200}


async def push_batch(request: Request) -> JSONResponse:
    device = await device_of(request)
    texts = await read_envelopes(request)
    db = db_of(request)
    keys = await db.read(ingest.parse_keys, texts)
    settings = request.app.state.settings
    checked = await run_in_threadpool(ingest.check_all, texts, keys, request.app.state.check_pool,
                                      settings.check_workers)
    return JSONResponse({"receipts": await db.write(ingest.store_all, device, checked)})


async def put_record(request: Request) -> JSONResponse:
    """One envelope, with the receipt's outcome as the HTTP status (409 on conflict)."""
    device = await device_of(request)
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("json.not_utf8", "not UTF-8", "数据不是 UTF-8 编码") from exc
    (receipt,) = await db_of(request).write(ingest.ingest_batch, device, [text])
    if receipt["status"] in STATUS_CODES:
        if receipt["id"] != request.path_params["record_id"]:
            raise BadRequest("record.id_mismatch", "path and payload ids differ", "记录编号与地址不符")
        return JSONResponse(receipt, status_code=STATUS_CODES[receipt["status"]])
    error = receipt["error"]
    status = 409 if receipt["status"] == "conflict" else (403 if error["code"] == "assignment.not_on_team" else 400)
    return JSONResponse({**error, "detail": {"receipt": receipt}}, status_code=status)


async def get_receipt(request: Request) -> JSONResponse:
    device = await device_of(request)
    record_id = request.path_params["record_id"]
    if not UUID.match(record_id):
        raise NotFound("record.unknown", "no such record", "没有该记录")
    return JSONResponse(await db_of(request).read(_receipt, device, record_id))


def _receipt(conn, device, record_id: str) -> dict:
    stored = records.get_record_by_id(conn, record_id)
    if stored is None:
        raise NotFound("record.unknown", "no such record", "服务器上没有该记录")
    team = assignments.get_team_by_assignment(conn, stored["assignment_id"]) or set()
    if device["user_id"] not in team:
        raise Forbidden("assignment.not_on_team", "not your team's record", "您无权查看该记录")
    return ingest.receipt_for(conn, stored)

