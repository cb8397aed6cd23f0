"""The audit log, public: the tree head and an entry's inclusion proof."""
from __future__ import annotations

from starlette.requests import Request

from schemas import envelope
from sync_server import audit
from sync_server.clock import utc_now
from sync_server.errors import BadRequest
from sync_server.resources.http import JSONResponse


async def head(request: Request) -> JSONResponse:
    key = request.app.state.server_key
    return JSONResponse(await request.app.state.db.read(audit.checkpoint, key, utc_now()))


async def public_key(request: Request) -> JSONResponse:
    raw = envelope.public_raw_of(request.app.state.server_key)
    return JSONResponse({"algorithm": "ed25519", "public_key": raw.hex(), "keyid": envelope.keyid_of(raw)})


async def proof(request: Request) -> JSONResponse:
    raw_index, raw_size = request.path_params["index"], request.query_params.get("size")
    if not raw_index.isdigit() or (raw_size is not None and not raw_size.isdigit()):
        raise BadRequest("request.bad_parameter", "index and size are integers", "参数无效")
    size = int(raw_size) if raw_size is not None else None
    return JSONResponse(await request.app.state.db.read(audit.proof, int(raw_index), size))
