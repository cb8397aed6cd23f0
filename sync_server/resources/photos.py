"""Photo upload by SHA-256: idempotent; the server re-hashes and inspects before storing."""
from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from sync_server import ingest, photostore
from sync_server.errors import BadRequest
from sync_server.resources.http import JSONResponse, device_of, read_body

SHA256 = re.compile(r"^[0-9a-f]{64}$")


async def put_photo(request: Request) -> JSONResponse:
    device = await device_of(request)
    sha = request.path_params["sha256"]
    if not SHA256.match(sha):
        raise BadRequest("photo.bad_hash", "the path must be the photo's lowercase hex SHA-256",
                         "照片校验值格式错误")
    settings = request.app.state.settings
    data = await read_body(request, settings.max_photo_bytes)
    facts = await run_in_threadpool(_check_and_store, settings, sha, data)
    stored = await request.app.state.db.write(ingest.photo_arrived, device["id"], sha, facts, len(data))
    return JSONResponse(stored, status_code=201)


def _check_and_store(settings, sha: str, data: bytes) -> photostore.PhotoFacts:
    photostore.check_hash(sha, data)
    facts = photostore.inspect(data, settings.max_photo_pixels)
    photostore.store(settings.photo_dir, sha, data)
    return facts
