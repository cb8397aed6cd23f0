"""Review: a leader's queue, and signed decisions in (one receipt each)."""
from __future__ import annotations

from starlette.requests import Request

from sync_server import reviews
from sync_server.resources.feed import _int_param
from sync_server.resources.http import JSONResponse, device_of, read_json


async def push_decisions(request: Request) -> JSONResponse:
    device = await device_of(request)
    texts = (await read_json(request, "push-batch"))["envelopes"]
    return JSONResponse({"receipts": await request.app.state.db.write(reviews.decide_batch, device, texts)})


async def review_queue(request: Request) -> JSONResponse:
    device = await device_of(request)
    limit = _int_param(request, "limit", 100, 1, 500)
    return JSONResponse(await request.app.state.db.read(reviews.queue, device, limit))
