"""The pull feed: a device's assignments since a cursor, page by page."""
from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from sync_server.db import Connection, Row
from sync_server.planning.queries import assignments
from sync_server.errors import BadRequest
from sync_server.web.http import device_of, device_read
from sync_server.web.params import query_number
from starlette.routing import Route


async def feed(request: Request) -> Response:
    try:
        after = query_number(request, "cursor", 0)
        limit = query_number(request, "limit", 100, 1, request.app.state.settings.feed_page_max)
    except BadRequest:
        await device_of(request)   # the caller first, as on every device route: 401 before 400
        raise
    _, page = await device_read(request, _page, after, limit)
    return Response(page, media_type="application/json")


def _page(conn: Connection, device: Row, after: int, limit: int) -> bytes:
    """`{"items": [{"kind", "data"}…], "cursor", "more"}`, the stored documents spliced in
    as they are (they were serialized once, when the assignment was made)."""
    rows = assignments.list_feed_by_user(conn, device["user_id"], after, limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    cursor = rows[-1]["seq"] if rows else after
    items = ",".join('{"kind":"' + row["kind"] + '","data":' + row["doc"] + "}" for row in rows)
    tail = json.dumps({"cursor": str(cursor), "more": more})[1:]
    return ('{"items":[' + items + "]," + tail).encode("utf-8")


ROUTES = [Route("/v1/feed", feed)]
