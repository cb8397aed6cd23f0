"""The audit log, public: the tree head and an entry's inclusion proof."""
from __future__ import annotations

from starlette.requests import Request

from sync_server import audit
from sync_server.errors import BadRequest
from sync_server.resources.http import JSONResponse


async def head(request: Request) -> JSONResponse:
    return JSONResponse(await request.app.state.db.read(audit.tree_head))


async def proof(request: Request) -> JSONResponse:
    raw_index, raw_size = request.path_params["index"], request.query_params.get("size")
    if not raw_index.isdigit() or (raw_size is not None and not raw_size.isdigit()):
        raise BadRequest("request.bad_parameter", "index and size are integers", "参数无效")
    size = int(raw_size) if raw_size is not None else None
    return JSONResponse(await request.app.state.db.read(audit.proof, int(raw_index), size))
