"""Photo upload by SHA-256: idempotent; the server re-hashes and inspects before storing."""
from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sync_server import blobs
from sync_server.blobs.responses import send
from sync_server.records import ingest, photostore
from sync_server.errors import BadRequest, NotFound
from sync_server.web.http import JSONResponse, device_of, read_body
from sync_server.web.scope import db_of

SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}   # served as exactly these, never sniffed (security_headers)


async def put_photo(request: Request) -> JSONResponse:
    device = await device_of(request)
    sha = sha_of(request)
    settings = request.app.state.settings
    data = await read_body(request, settings.max_photo_bytes)
    facts = await run_in_threadpool(_check_and_store, settings, request.app.state.blobs, sha, data)
    stored = await db_of(request).write(ingest.photo_arrived, device["id"], sha, facts, len(data))
    return JSONResponse(stored, status_code=201)


async def get_photo(request: Request) -> Response:
    """A stored photo's bytes, for the team that took it and the leader who reviews the record."""
    device = await device_of(request)
    sha = sha_of(request)
    row = await db_of(request).read(ingest.photo_for_viewer, device, sha)
    media_type = row["media_type"] if row["media_type"] in IMAGE_TYPES else "application/octet-stream"
    response = await send(request.app.state.blobs, sha, media_type, headers={
        "Cache-Control": "private, max-age=31536000, immutable", "ETag": f'"{sha}"', "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{sha}.{IMAGE_TYPES.get(media_type, "bin")}"'})
    if response is None:
        raise NotFound("photo.file_missing", "the photo is recorded but its file is missing from the photo store",
                       "服务器上的照片文件缺失，请联系系统管理员从备份恢复")
    return response


def _check_and_store(settings, store: blobs.BlobStore, sha: str, data: bytes) -> photostore.PhotoFacts:
    """Bytes first, then the row (the caller writes it): a photo the store refused leaves no row."""
    photostore.check_hash(sha, data)
    facts = photostore.inspect(data, settings.max_photo_pixels)
    store.put(sha, data)
    return facts


def sha_of(request: Request) -> str:
    sha = request.path_params["sha256"]
    if not SHA256.match(sha):
        raise BadRequest("photo.bad_hash", "the path must be the file's lowercase hex SHA-256",
                         "照片或文书的校验值格式错误")
    return sha
