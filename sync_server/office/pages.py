"""The console's sign-in and its work bench (工作台): what is due, overdue and published, the
publication rate, the follow-up ledger and the lab samples waiting for a result.

Sign-in is an office account's name and password (sync_server/accounts/office.py). It opens a
server-side session (sync_server/accounts/sessions.py): the cookie holds only the session's random
id (HttpOnly, SameSite=Strict, scoped to /office, Secure when Settings.https); signing out deletes
the session. Sign-in and sign-out refuse a foreign Origin (403) and carry a CSRF token: before
sign-in a random one also set as a cookie (double submit), after it one derived from the session.
Failed sign-ins are throttled per client address and per account name
(sync_server/accounts/throttle.py). The other pages here are console handlers
(sync_server/office/console.guarded); the sections live in their own modules beside this one.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sync_server.db import Connection
from sync_server.disclosure import service as disclosure, followups
from sync_server.accounts import office as office_accounts, sessions as office_sessions, throttle
from sync_server.office import console
from sync_server.office.console import COOKIE, Actor, foreign, foreign_refusal, private
from sync_server.records import documents
from sync_server.records.routes.documents import served as served_document
from schemas.categories import LABELS
from sync_server.disclosure.core.disclosure import RECTIFY_STATUS, TRANSFER_KINDS
from sync_server.accounts.core.throttle import Rule, wait_text
from sync_server.errors import ApiError
from sync_server.records import labresults
from sync_server.web.render import page, refusal
from sync_server.web.scope import db_of

logger = logging.getLogger("sync_server.office")
office_accounts.dummy_hash()   # made now, not at the first unknown name: that sign-in costs what the others do
CSRF_COOKIE = "suijian_office_csrf"
FORM_BYTES = 4096
LAB_FORM_BYTES = 65536   # a lab result's note may be 2,000 characters (URL-encoded, up to 9 bytes each)
NO_STORE = {"Cache-Control": "no-store"}
BASIS = {"inspection": "检查后 20 个工作日", "penalty_decision": "处罚决定后 7 个工作日", "followup": "后续处置后 7 个工作日"}
EXPIRED = "页面已过期，请重新操作。"


def _cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    response.set_cookie(name, value, max_age=seconds, path="/office", httponly=True, samesite="strict",
                        secure=request.app.state.settings.https)


def _login_page(request: Request, error: str | None = None, status: int = 200,
                headers: dict[str, str] | None = None, next_path: str = "/office", username: str = "") -> HTMLResponse:
    """The sign-in form with a fresh CSRF token, also set as a cookie (double submit)."""
    csrf = secrets.token_urlsafe(32)
    response = private(page("office_login.html", status=status, error=error, csrf=csrf, next_path=next_path,
                            username=username))
    response.headers.update(headers or {})
    _cookie(request, response, CSRF_COOKIE, csrf, 3600)
    return response


async def login_form(request: Request) -> Response:
    if await console.signed_in(request) is not None:
        return RedirectResponse(_next(request.query_params.get("next", "")), status_code=303)
    return _login_page(request, next_path=_next(request.query_params.get("next", "")))


async def login(request: Request) -> Response:
    form = await console.form(request, FORM_BYTES)
    if foreign(request):
        return foreign_refusal(request)
    next_path = _next(form.get("next", ""))
    if not hmac.compare_digest((request.cookies.get(CSRF_COOKIE) or "-").encode(), (form.get("csrf") or "+").encode()):
        return _login_page(request, EXPIRED, status=403, next_path=next_path)
    settings, db = request.app.state.settings, db_of(request)
    username = form.get("username", "").strip().lower()[:64]
    rule = throttle.rule_of(settings)
    subjects = [throttle.client_subject(request.client.host if request.client else None), f"account:{username}"]
    wait = await db.read(throttle.wait_seconds, throttle.OFFICE, subjects, rule)   # refusals stay off the writer
    account = None if wait else await db.read(office_accounts.authenticate, username, form.get("password", ""))
    outcome = wait or await db.write(_open_counted, account["id"] if account else None, subjects, rule,
                                     settings.office_session_hours)
    if isinstance(outcome, int):
        throttle.log_refusal(throttle.OFFICE, subjects, outcome)
        return _login_page(request, f"登录失败次数过多，该账号或本机已暂时锁定，请 {wait_text(outcome)}后再试。",
                           status=429, headers={"Retry-After": str(outcome)}, next_path=next_path, username=username)
    if outcome is None:
        return _login_page(request, "账号或密码不正确。", status=403, next_path=next_path, username=username)
    target = "/office/account/password" if account and account["must_change_password"] else next_path
    response = RedirectResponse(target, status_code=303)
    _cookie(request, response, COOKIE, outcome, settings.office_session_hours * 3600)
    response.delete_cookie(CSRF_COOKIE, path="/office")
    return response


def _next(path: str) -> str:
    """Where to go after signing in: a console path on this site, never elsewhere."""
    return path if path.startswith("/office") and not path.startswith("/office/log") and "//" not in path \
        and "\\" not in path and len(path) < 300 else "/office"


def _open_counted(conn: Connection, account_id: str | None, subjects: list[str], rule: Rule,
                  hours: int) -> str | int | None:
    """In the one writer, so the limit holds under concurrent guesses: the wait again (an int), then
    a session (its id) or a counted failure (None). The password was checked beside the writer."""
    wait = throttle.wait_seconds(conn, throttle.OFFICE, subjects, rule)
    if wait:
        return wait
    if account_id is None:
        throttle.record_failure(conn, throttle.OFFICE, subjects, rule, "auth.bad_password")
        return None
    return office_sessions.open_session(conn, account_id, hours)


async def logout(request: Request) -> Response:
    form = await console.form(request, FORM_BYTES)
    if foreign(request):
        return foreign_refusal(request)
    session_id = request.cookies.get(COOKIE, "")
    if session_id and not office_sessions.csrf_matches(session_id, form.get("csrf", "")):
        return private(refusal(403, "页面已过期", "请返回监督所工作台，重新点击“退出”。"))
    if session_id:
        await db_of(request).write(office_sessions.close_session, session_id)
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


@console.guarded("dashboard.view")
async def dashboard(request: Request, actor: Actor) -> Response:
    return await _dashboard_page(request, actor, done=request.query_params.get("lab", "")[:64])


async def _dashboard_page(request: Request, actor: Actor, done: str = "", error: str = "",
                          status: int = 200) -> HTMLResponse:
    found = await db_of(request).read(_dashboard)
    return console.render(request, actor, "office.html", status=status, labels=LABELS, basis=BASIS,
                          rectify_status=RECTIFY_STATUS, transfer_kinds=TRANSFER_KINDS, lab_done=done,
                          lab_error=error, **found)


def _dashboard(conn: Connection) -> dict[str, Any]:
    status = disclosure.status(conn)
    book = followups.ledger(conn)
    today = date.fromisoformat(status["today"])
    soon = (today + timedelta(days=7)).isoformat()
    due = disclosure.due_list(conn, soon)
    lines = [*due, *book["rectifications"], *book["open_cases"]]
    return {"summary": status, "ledger": book, "due_soon": due,
            "documents": documents.by_records(conn, [line["record_id"] for line in lines]),
            "samples": labresults.waiting_samples(conn)}


@console.guarded("publication.view")
async def document(request: Request, actor: Actor) -> Response:
    """The PDF handed over on site for an entry's record (现场检查笔录, 卫生监督意见书), for office staff."""
    no = request.path_params["no"][:20]
    sha = await db_of(request).read(_document_of_entry, no)
    if sha is None:
        return private(refusal(404, "没有现场文书",
                               "该记录没有现场文书（早期版本的应用提交的记录没有），或文书尚未同步到服务器。"))
    return await served_document(request, sha, download_as=f"{no}-现场文书.pdf")


def _document_of_entry(conn: Connection, no: str) -> str | None:
    return documents.of_record(conn, disclosure.record_of_entry(conn, no))


@console.guarded("lab.enter")
async def lab_result(request: Request, actor: Actor) -> Response:
    """The office enters a lab's result from the form beside a waiting sample; errors shown in place."""
    form = await console.form(request, LAB_FORM_BYTES)
    try:
        done = await db_of(request).write(
            lambda conn: labresults.enter_by_office(conn, actor.by, form.get("record_id", ""), form))
    except ApiError as exc:
        return await _dashboard_page(request, actor, error=exc.message_zh, status=exc.status)
    return RedirectResponse(f"/office?lab={quote(done['sample_no'])}#lab", status_code=303)
