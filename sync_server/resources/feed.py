"""The pull feed: a device's assignments since a cursor, page by page."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.requests import Request

from sync_server.errors import BadRequest
from sync_server.queries import assignments
from sync_server.resources.http import JSONResponse, device_of


async def feed(request: Request) -> JSONResponse:
    device = await device_of(request)
    after = _int_param(request, "cursor", 0, 0, 2**62)
    limit = _int_param(request, "limit", 100, 1, request.app.state.settings.feed_page_max)
    page = await request.app.state.db.read(_page, device["user_id"], after, limit)
    return JSONResponse(page)


def _page(conn: sqlite3.Connection, user_id: str, after: int, limit: int) -> dict[str, Any]:
    rows = assignments.list_feed_by_user(conn, user_id, after, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    cursor = rows[-1]["seq"] if rows else after
    return {"items": [{"kind": "assignment", "data": json.loads(row["doc"])} for row in rows],
            "cursor": str(cursor), "more": more}


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest("request.bad_parameter", f"{name} must be an integer in [{low}, {high}]",
                         f"参数 {name} 无效", {"parameter": name})
    return int(raw)
