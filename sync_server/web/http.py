"""What every handler shares: capped bodies, strict JSON in, JSON out, the caller's identity."""
from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from schemas import contract
from schemas.errors import ContractError
from schemas.jcs import loads_strict
from schemas.clock import utc_now
from sync_server.accounts import service as accounts
from sync_server.accounts.core import seen
from sync_server.db import Connection, Row
from sync_server.errors import BadRequest, TooLarge
from sync_server.web.scope import db_of


T = TypeVar("T")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> TooLarge:
    return TooLarge("request.too_large", f"body over {limit} bytes",
                    f"提交的数据过大（上限 {limit // (1024 * 1024)} MB），请分批同步", {"limit": limit})


async def read_json(request: Request, schema: str, *, allow_lone_surrogates: bool = False) -> Any:
    body = await read_body(request, request.app.state.settings.max_body_bytes)
    try:
        document = loads_strict(body, allow_lone_surrogates=allow_lone_surrogates)
        contract.validate(schema, document)
    except ContractError as exc:
        raise BadRequest.from_contract(exc) from exc
    return document


async def read_envelopes(request: Request) -> list[str]:
    """A push batch's envelope texts. Each is checked on its own and gets its own receipt, so
    one that is not even UTF-8 (a lone surrogate escaped in the batch) is refused alone."""
    return (await read_json(request, "push-batch", allow_lone_surrogates=True))["envelopes"]


async def device_of(request: Request) -> Row:
    """The calling device; its last sync is written down, at most once a minute: its first sync
    before the answer, later ones beside it (sync_server/accounts/last_seen.py)."""
    db = db_of(request)
    device = await db.read(accounts.device_for_token, request.headers.get("authorization"))
    await _seen(request, db, device)
    return device


async def device_read(request: Request, fn: Callable[..., T], *args: Any) -> tuple[Row, T]:
    """The calling device and `fn(conn, device, *args)` in one read (one transaction, one
    snapshot): a GET's identity and its answer in one trip to the database, not two."""
    db = db_of(request)
    device, result = await db.read(_device_then, request.headers.get("authorization"), fn, args)
    await _seen(request, db, device)
    return device, result


def _device_then(conn: Connection, authorization: str | None, fn: Callable[..., T], args: tuple) -> tuple[Row, T]:
    device = accounts.device_for_token(conn, authorization)
    return device, fn(conn, device, *args)


async def _seen(request: Request, db: Any, device: Row) -> None:
    now = utc_now()
    if device["last_seen_at"] is None:
        await db.write(accounts.record_seen, device["id"])
    elif seen.due(device["last_seen_at"], now):
        request.app.state.last_seen.note(db, device["id"], now)


async def admin_of(request: Request) -> Row:
    return await db_of(request).read(accounts.admin_for_token, request.headers.get("authorization"))


def require(value: Any, code: str, message: str, message_zh: str) -> None:
    if not value:
        raise BadRequest(code, message, message_zh)
