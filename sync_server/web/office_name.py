"""The office's name on every page: a pure ASGI middleware that reads it once per page request
(sync_server.office.profile, in the database) and hands it to the page renderer
(`render.OFFICE_NAME`). The API (/v1/…) and files skip it. A name set with `sync-server office`
shows on the next page without a restart; until one is set, pages show the neutral placeholder."""
from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from sync_server.office import profile
from sync_server.web import render
from sync_server.web.scope import OFFICE_DB, route_path

PAGES = ("/public/", "/office", "/witness/")


class OfficeName:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if scope["type"] != "http" or not (path == "/" or path.startswith(PAGES)):
            await self.app(scope, receive, send)
            return
        name = await (scope.get(OFFICE_DB) or scope["app"].state.db).read(profile.shown_name)
        token = render.OFFICE_NAME.set(name)
        try:
            await self.app(scope, receive, send)
        finally:
            render.OFFICE_NAME.reset(token)
