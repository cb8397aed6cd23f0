"""Follow-ups and the disclosure list: re-inspections from devices; the office's penalty
decisions, transfers, ledger, publication status and daily batch (admin token)."""
from __future__ import annotations

from starlette.requests import Request

from sync_server.disclosure import service as disclosure, followups
from sync_server.accounts.routes import _admin_json
from sync_server.web.http import JSONResponse, admin_of, device_of, read_envelopes, require
from starlette.routing import Route
from sync_server.disclosure import pages as results
from sync_server.web.scope import db_of


async def push_reinspections(request: Request) -> JSONResponse:
    device = await device_of(request)
    texts = await read_envelopes(request)
    return JSONResponse({"receipts": await db_of(request).write(followups.reinspect_batch, device, texts)})


async def penalty(request: Request) -> JSONResponse:
    admin = await admin_of(request)
    body = await _admin_json(request)
    amount = body.get("amount_fen")
    require(amount is None or (isinstance(amount, int) and not isinstance(amount, bool)), "followup.bad_amount",
            "amount_fen is an integer number of fen", "罚款金额应为整数（单位：分）")
    result = await db_of(request).write(
        lambda conn: followups.record_penalty(conn, admin["id"], followups.resolve_record(conn, _ref(request)),
                                              _text(body, "decision_no"), _text(body, "decided_on"), amount))
    return JSONResponse(result, status_code=201)


async def transfer(request: Request) -> JSONResponse:
    admin = await admin_of(request)
    body = await _admin_json(request)
    result = await db_of(request).write(
        lambda conn: followups.record_transfer(conn, admin["id"], followups.resolve_record(conn, _ref(request)),
                                               _text(body, "to_body"), _text(body, "kind"), _text(body, "on"),
                                               _text(body, "note")))
    return JSONResponse(result, status_code=201)


async def ledger(request: Request) -> JSONResponse:
    await admin_of(request)
    return JSONResponse(await db_of(request).read(followups.ledger))


async def status(request: Request) -> JSONResponse:
    await admin_of(request)
    return JSONResponse(await db_of(request).read(disclosure.status))


async def publish(request: Request) -> JSONResponse:
    await admin_of(request)
    return JSONResponse(await db_of(request).write(disclosure.publish_due))


def _ref(request: Request) -> str:
    return request.path_params["ref"]


def _text(body: dict, key: str) -> str:
    value = body.get(key, "")
    require(isinstance(value, str), "request.field_type", f"{key} is a string", f"字段 {key} 应为文本")
    return value


ROUTES = [
    Route("/v1/reinspections/batch", push_reinspections, methods=["POST"]),
    Route("/v1/admin/results/{ref}/penalty", penalty, methods=["POST"]),
    Route("/v1/admin/results/{ref}/transfers", transfer, methods=["POST"]),
    Route("/v1/admin/ledger", ledger),
    Route("/v1/admin/disclosures", status),
    Route("/v1/admin/disclosures/publish", publish, methods=["POST"]),
    Route("/public/results", results.results),
    Route("/public/results.{kind}", results.download),
    Route("/public/results/{no}.json", results.entry_json),
    Route("/public/results/{no}/proof.json", results.proof_json),
    Route("/public/results/{no}/verify", results.verify, name="result_verify"),
    Route("/public/results/{no}", results.entry),
    Route("/public/records/{record_id}", results.record),   # the QR code on the papers left on site
]
