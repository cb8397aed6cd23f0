"""Resumable uploads of photos and the PDF handed over on site (the protocol: records/uploads.py).

The staged file ends in the same checks and the same blob store as a one-shot upload
(routes/photos.py, routes/documents.py), then `ingest.photo_arrived`."""
from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from sync_server import blobs
from sync_server.errors import TooLarge
from sync_server.records import documentstore, ingest, photostore, uploads
from sync_server.records.routes.photos import sha_of
from sync_server.web.http import JSONResponse, device_of
from sync_server.web.scope import db_of

PDF_MAGIC = b"%PDF-"


async def upload_offset(request: Request) -> Response:
    """How much of this upload has arrived: `{"offset", "total", "complete"}`, also as the
    `Upload-Offset` header (HEAD answers the header alone). A file this device already stored
    is complete, so a tablet whose last piece arrived but whose answer was lost sends nothing again."""
    device = await device_of(request)
    sha = sha_of(request)
    stored = await db_of(request).read(ingest.uploaded_by, device["id"], sha)
    if stored is not None:
        offset, total, complete = stored["bytes"], stored["bytes"], True
    else:
        offset, total = uploads.received(request.app.state.settings.photo_dir, device["id"], sha)
        complete = False
    body = {"sha256": sha, "offset": offset, "total": total, "complete": complete}
    return JSONResponse(body, headers={"Upload-Offset": str(offset), "Cache-Control": "no-store"})


async def put_upload(request: Request) -> JSONResponse:
    """One piece. 200 `{"offset", "total", "complete": false}` while more is due; 201 and the
    stored file's facts (as PUT /v1/photos answers) once the last piece is in and checked."""
    device = await device_of(request)
    sha = sha_of(request)
    settings = request.app.state.settings
    limit = max(settings.max_photo_bytes, settings.max_document_bytes)
    span = uploads.parse_range(request.headers.get("content-range"), limit)
    staged = await run_in_threadpool(uploads.Staged.open, settings.photo_dir, device["id"], sha, span)
    try:
        async for chunk in request.stream():
            staged.append(chunk)
    except ClientDisconnect:
        pass                       # the link dropped: what arrived is kept (synced below)
    finally:
        await run_in_threadpool(staged.close)
    if not staged.complete:          # more is due (or the piece was cut short: continue from `offset`)
        return JSONResponse({"sha256": sha, "offset": staged.size, "total": span.total, "complete": False})
    facts = await run_in_threadpool(finish, settings, request.app.state.blobs, sha, staged.path)
    stored = await db_of(request).write(ingest.photo_arrived, device["id"], sha, facts, span.total)
    return JSONResponse(stored, status_code=201)


def finish(settings, store: blobs.BlobStore, sha: str, path: Path) -> photostore.PhotoFacts | documentstore.DocumentFacts:
    """The whole file: its hash, then the checks of its kind, then the store; the staged file
    goes either way (a failed check discards it: those bytes can never become a good file)."""
    try:
        uploads.check_hash(path, sha)
        data = path.read_bytes()
        if data.startswith(PDF_MAGIC):
            if len(data) > settings.max_document_bytes:
                raise TooLarge("document.too_large", f"a document over {settings.max_document_bytes} bytes",
                               f"现场文书 PDF 过大（上限 {settings.max_document_bytes // (1024 * 1024)} MB），已拒收",
                               {"limit": settings.max_document_bytes})
            facts = documentstore.inspect(data)
        else:
            if len(data) > settings.max_photo_bytes:
                raise TooLarge("upload.too_large", f"a photo over {settings.max_photo_bytes} bytes",
                               f"照片过大（上限 {settings.max_photo_bytes // (1024 * 1024)} MB），已拒收",
                               {"limit": settings.max_photo_bytes})
            facts = photostore.inspect(data, settings.max_photo_pixels)
        store.put_file(sha, path)        # the photo store (local directory or S3): sync_server/blobs/
    finally:
        path.unlink(missing_ok=True)
    return facts
