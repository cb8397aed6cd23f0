"""The office's own screen (监督所工作台): what is due, overdue and published, the publication
rate, and the follow-up ledger, for the staff who feed the disclosure list.

Sign-in is the office admin token (the same as the API's), kept in an HttpOnly, SameSite=Strict
cookie scoped to /office; the pages only read. Entering penalty decisions and transfers stays in
the CLI and the admin API, where each call is explicit and logged.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sync_server import accounts, disclosure, followups
from sync_server.core.categories import LABELS
from sync_server.core.disclosure import RECTIFY_STATUS, TRANSFER_KINDS
from sync_server.errors import ApiError
from sync_server.public.render import page

COOKIE = "suijian_office"
NO_STORE = {"Cache-Control": "no-store"}
BASIS = {"inspection": "检查后 20 个工作日", "penalty_decision": "处罚决定后 7 个工作日", "followup": "后续处置后 7 个工作日"}


def _private(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(NO_STORE)
    return response


async def login_form(request: Request) -> HTMLResponse:
    return _private(page("office_login.html", error=None))


async def login(request: Request) -> Response:
    body = await request.body()
    token = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0].strip()[:200]
    admin = await _admin(request, token) if token else None
    if admin is None:
        return _private(page("office_login.html", status=403, error="令牌无效或已停用，请向系统管理员确认。"))
    response = RedirectResponse("/office", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/office",
                        secure=request.url.scheme == "https", max_age=8 * 3600)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


async def _admin(request: Request, token: str) -> sqlite3.Row | None:
    try:
        return await request.app.state.db.read(accounts.admin_for_token, f"Bearer {token}")
    except ApiError:
        return None


async def dashboard(request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    admin = await _admin(request, token) if token else None
    if admin is None:
        return RedirectResponse("/office/login", status_code=303)
    found = await request.app.state.db.read(_dashboard)
    return _private(page("office.html", admin=admin, labels=LABELS, basis=BASIS, rectify_status=RECTIFY_STATUS,
                         transfer_kinds=TRANSFER_KINDS, **found))


def _dashboard(conn: sqlite3.Connection) -> dict[str, Any]:
    status = disclosure.status(conn)
    book = followups.ledger(conn)
    today = date.fromisoformat(status["today"])
    soon = (today + timedelta(days=7)).isoformat()
    return {"summary": status, "ledger": book, "due_soon": disclosure.due_list(conn, soon)}
