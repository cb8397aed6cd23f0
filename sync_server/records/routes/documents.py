"""The PDF handed over on site, by SHA-256: uploaded like a photo, shown to whom the record's photos are."""
from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from sync_server import blobs
from sync_server.blobs.responses import send
from sync_server.errors import NotFound, TooLarge
from sync_server.records import documentstore, ingest
from sync_server.records.routes.photos import sha_of
from sync_server.web.http import JSONResponse, device_of, read_body
from sync_server.web.scope import db_of


async def put_document(request: Request) -> JSONResponse:
    device = await device_of(request)
    sha = sha_of(request)
    settings = request.app.state.settings
    data = await _body(request, settings.max_document_bytes)
    facts = await run_in_threadpool(_check_and_store, request.app.state.blobs, sha, data)
    stored = await db_of(request).write(ingest.photo_arrived, device["id"], sha, facts, len(data))
    return JSONResponse({"sha256": sha, "media_type": stored["media_type"], "bytes": stored["bytes"]}, status_code=201)


async def get_document(request: Request) -> Response:
    """The PDF's bytes, for the record's team and the leader who reviews it."""
    device = await device_of(request)
    sha = sha_of(request)
    await db_of(request).read(ingest.document_for_viewer, device, sha)
    return await served(request, sha)


async def served(request: Request, sha: str, download_as: str | None = None) -> Response:
    """A stored PDF as a file response. The office's link (`download_as`, a file name) gets it as a
    download: Chromium's PDF viewer does not show a document under the sandboxing CSP every
    non-HTML reply carries (web/security_headers.py), and a saved file opens in any PDF reader."""
    response = await send(request.app.state.blobs, sha, documentstore.MEDIA_TYPE, headers={
        "Cache-Control": "private, max-age=31536000, immutable", "ETag": f'"{sha}"', "X-Content-Type-Options": "nosniff",
        "Content-Disposition": _disposition(sha, download_as)})
    if response is None:
        raise NotFound("document.file_missing", "the document is recorded but its file is missing",
                       "服务器上的现场文书文件缺失，请联系系统管理员从备份恢复")
    return response


def _disposition(sha: str, download_as: str | None) -> str:
    if download_as is None:
        return f'inline; filename="{sha}.pdf"'
    return f"attachment; filename=\"{sha}.pdf\"; filename*=UTF-8''{quote(download_as)}"


async def _body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except TooLarge as exc:
        raise TooLarge("document.too_large", f"a document over {limit} bytes",
                       f"现场文书 PDF 过大（上限 {limit // (1024 * 1024)} MB），已拒收", {"limit": limit}) from exc


def _check_and_store(store: blobs.BlobStore, sha: str, data: bytes) -> documentstore.DocumentFacts:
    """Bytes first, then the row (the caller writes it): a document the store refused leaves no row."""
    documentstore.check_hash(sha, data)
    facts = documentstore.inspect(data)
    store.put(sha, data)
    return facts
