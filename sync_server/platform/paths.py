"""An office's own path: `/o/<code>/…` serves office <code> with exactly the root's routes.

A pure ASGI middleware. For a path under `/o/<code>` it looks the office up in the platform's list
(404 in Chinese if there is none), puts the office's database, code and path prefix in the scope
(sync_server/web/scope.py: handlers reach the database only through `db_of(request)`), and adds
the prefix to `root_path`, so Starlette routes the rest of the path as it would at the root.
Pages render their links under the prefix (`render.ROOT`, `{{ root }}` in the templates); the
handlers' redirects and cookies speak the office's own paths (`/office/…`), and this middleware
moves them under the prefix on the way out: a `Location` that starts with `/` and a cookie's
`Path=/…`. Every other path passes through untouched: the root office is served as before.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.platform import databases
from sync_server.web import render
from sync_server.web.http import JSONResponse
from sync_server.web.scope import OFFICE_CODE, OFFICE_DB, OFFICE_ROOT

PREFIX = re.compile(r"^/o/([^/]{1,40})(/.*)?$")
PAGES = ("/office", "/public", "/witness")
COOKIE_PATH = re.compile(rb"(?i)(;\s*path=)(/[^;]*)")


class OfficePaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = PREFIX.match(scope.get("path", "")) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        code, rest = found.group(1), found.group(2)
        db = await databases.find_office_database(scope["app"], code)
        if db is None or rest is None:
            await _unknown_or_bare(scope, receive, send, code, db is not None)
            return
        root = f"/o/{code}"
        inner = {**scope, "root_path": scope.get("root_path", "") + root, OFFICE_DB: db, OFFICE_CODE: code,
                 OFFICE_ROOT: root}
        token = render.ROOT.set(root)
        try:
            await self.app(inner, receive, _prefixing(send, root))
        finally:
            render.ROOT.reset(token)


def _prefixing(send: Send, root: str) -> Send:
    prefix = root.encode("latin-1")

    async def send_prefixed(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [(name, _prefixed(name.lower(), value, prefix))
                                              for name, value in message.get("headers", [])]}
        await send(message)
    return send_prefixed


def _prefixed(name: bytes, value: bytes, prefix: bytes) -> bytes:
    """A redirect's target and a cookie's path, moved under the office's prefix."""
    if name == b"location" and value.startswith(b"/") and not value.startswith(b"//") \
            and not value.startswith(prefix + b"/"):
        return prefix + value
    if name == b"set-cookie":
        return COOKIE_PATH.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).startswith(prefix + b"/")
                                                      else prefix + m.group(2).rstrip(b"/")), value)
    return value


async def _unknown_or_bare(scope: Scope, receive: Receive, send: Send, code: str, known: bool) -> None:
    rest = scope["path"][len(f"/o/{code}"):]
    response: Response
    if known:   # /o/<code> alone: the office's home page
        response = RedirectResponse(f"/o/{quote(code)}/", status_code=308)
    elif rest in ("", "/") or rest.startswith(PAGES):
        response = render.refusal(404, "没有该机构", "本平台没有该机构，请检查网址中的机构代码。")
    else:
        response = JSONResponse({"code": "office.unknown", "message": f"no office {code} on this platform",
                                 "message_zh": "本平台没有该机构，请检查网址中的机构代码"}, status_code=404)
    await response(scope, receive, send)
