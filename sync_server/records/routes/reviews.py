"""Review: a leader's queue, and signed decisions in (one receipt each)."""
from __future__ import annotations

from starlette.requests import Request

from sync_server.records import reviews
from sync_server.web.http import JSONResponse, device_of, read_envelopes
from sync_server.web.params import query_number
from sync_server.web.scope import db_of


async def push_decisions(request: Request) -> JSONResponse:
    device = await device_of(request)
    texts = await read_envelopes(request)
    return JSONResponse({"receipts": await db_of(request).write(reviews.decide_batch, device, texts)})


async def review_queue(request: Request) -> JSONResponse:
    device = await device_of(request)
    limit = query_number(request, "limit", 100, 1, 500)
    return JSONResponse(await db_of(request).read(reviews.queue, device, limit))
