"""A stored blob as an HTTP reply: a local file as a FileResponse (ranges, sendfile), an object of
the S3 store streamed through this server (the tablets and the console only ever talk to us)."""
from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response, StreamingResponse

from sync_server.blobs.store import BlobStore


async def send(store: BlobStore, sha256: str, media_type: str, headers: dict[str, str]) -> Response | None:
    """The reply carrying the blob, or None when the store does not have it."""
    blob = await run_in_threadpool(store.open, sha256)
    if blob is None:
        return None
    if blob.path is not None:
        return FileResponse(blob.path, media_type=media_type, headers=headers)
    assert blob.chunks is not None
    return StreamingResponse(blob.chunks, media_type=media_type,
                             headers={**headers, "Content-Length": str(blob.size)},
                             background=BackgroundTask(blob.close) if blob.close else None)
