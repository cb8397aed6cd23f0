"""The audit log, public: the signed tree head, inclusion proofs and consistency proofs."""
from __future__ import annotations

from starlette.requests import Request

from schemas import envelope
from sync_server.audit import service as audit
from schemas.clock import utc_now
from sync_server.errors import BadRequest
from sync_server.web.http import JSONResponse
from sync_server.web.params import path_number, query_number
from starlette.routing import Route
from sync_server.web.scope import db_of


async def head(request: Request) -> JSONResponse:
    key = request.app.state.server_key
    return JSONResponse(await db_of(request).read(audit.checkpoint, key, utc_now()))


async def public_key(request: Request) -> JSONResponse:
    raw = envelope.public_raw_of(request.app.state.server_key)
    return JSONResponse({"algorithm": "ed25519", "public_key": raw.hex(), "keyid": envelope.keyid_of(raw)})


async def proof(request: Request) -> JSONResponse:
    index, size = path_number(request, "index"), query_number(request, "size", None)
    return JSONResponse(await db_of(request).read(audit.proof, index, size))


async def consistency(request: Request) -> JSONResponse:
    """RFC 9162 consistency proof between two tree sizes (`second` defaults to the current size)."""
    first, second = query_number(request, "first", None, low=1), query_number(request, "second", None, low=1)
    if first is None:
        raise BadRequest("request.bad_parameter", "first (the older tree size) is required",
                         "缺少参数 first（较早的树大小）", {"parameter": "first"})
    return JSONResponse(await db_of(request).read(audit.consistency, first, second))


ROUTES = [
    Route("/v1/log/head", head),
    Route("/v1/log/key", public_key),
    Route("/v1/log/proof/{index}", proof),
    Route("/v1/log/consistency", consistency),
]
