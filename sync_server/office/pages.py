"""The office's own screen (监督所工作台): what is due, overdue and published, the publication
rate, and the follow-up ledger, for the staff who feed the disclosure list.

Sign-in is the office admin token (the same as the API's). It opens a server-side session
(sync_server/accounts/sessions.py): the cookie holds only the session's random id (HttpOnly,
SameSite=Strict, scoped to /office, Secure when Settings.https); signing out deletes the session.
The two forms that change state, sign-in and sign-out, refuse a foreign Origin (403) and carry a
CSRF token: before sign-in a random one also set as a cookie (double submit), after it one
derived from the session. Failed sign-ins are throttled per client address (sync_server/accounts/throttle.py).
One form writes: a lab's result for a sample still 待检验结果 (POST /office/lab-results, with the same
Origin and CSRF checks, attributed to the signed-in office account); penalty decisions and transfers
stay in the CLI and the admin API.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sync_server.db import Connection
from sync_server.disclosure import service as disclosure, followups
from sync_server.accounts import sessions as office_sessions, throttle
from sync_server.records import documents
from sync_server.records.routes.documents import served as served_document
from schemas.categories import LABELS
from sync_server.disclosure.core.disclosure import RECTIFY_STATUS, TRANSFER_KINDS
from sync_server.accounts.core.throttle import Rule, wait_text
from sync_server.errors import ApiError
from sync_server.records import labresults
from sync_server.web.render import page, refusal
from sync_server.web.http import read_body

logger = logging.getLogger("sync_server.office")
COOKIE, CSRF_COOKIE = "suijian_office", "suijian_office_csrf"
FORM_BYTES = 4096
LAB_FORM_BYTES = 65536   # a lab result's note may be 2,000 characters (URL-encoded, up to 9 bytes each)
NO_STORE = {"Cache-Control": "no-store"}
BASIS = {"inspection": "检查后 20 个工作日", "penalty_decision": "处罚决定后 7 个工作日", "followup": "后续处置后 7 个工作日"}
EXPIRED = "页面已过期，请重新操作。"


def _private(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(NO_STORE)
    return response


def _cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    response.set_cookie(name, value, max_age=seconds, path="/office", httponly=True, samesite="strict",
                        secure=request.app.state.settings.https)


def _login_page(request: Request, error: str | None = None, status: int = 200,
                headers: dict[str, str] | None = None) -> HTMLResponse:
    """The sign-in form with a fresh CSRF token, also set as a cookie (double submit)."""
    csrf = secrets.token_urlsafe(32)
    response = _private(page("office_login.html", status=status, error=error, csrf=csrf))
    response.headers.update(headers or {})
    _cookie(request, response, CSRF_COOKIE, csrf, 3600)
    return response


async def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


async def login(request: Request) -> Response:
    form = await _form(request)
    if _foreign(request):
        return _foreign_refusal(request)
    if not hmac.compare_digest((request.cookies.get(CSRF_COOKIE) or "-").encode(), (form.get("csrf") or "+").encode()):
        return _login_page(request, EXPIRED, status=403)
    settings, db = request.app.state.settings, request.app.state.db
    rule, subjects = throttle.rule_of(settings), [throttle.client_subject(request.client.host if request.client else None)]
    wait = await db.read(throttle.wait_seconds, throttle.OFFICE, subjects, rule)   # refusals stay off the writer
    token = form.get("token", "").strip()[:200]
    outcome = wait or await db.write(_open_counted, token, subjects, rule, settings.office_session_hours)
    if isinstance(outcome, int):
        throttle.log_refusal(throttle.OFFICE, subjects, outcome)
        return _login_page(request, f"登录失败次数过多，请 {wait_text(outcome)}后再试。", status=429,
                           headers={"Retry-After": str(outcome)})
    if outcome is None:
        return _login_page(request, "令牌无效或已停用，请向系统管理员确认。", status=403)
    response = RedirectResponse("/office", status_code=303)
    _cookie(request, response, COOKIE, outcome, settings.office_session_hours * 3600)
    response.delete_cookie(CSRF_COOKIE, path="/office")
    return response


def _open_counted(conn: Connection, token: str, subjects: list[str], rule: Rule, hours: int) -> str | int | None:
    """In the one writer, so the limit holds under concurrent guesses: the wait again (an int), then
    a session (its id) or a counted failure (None)."""
    wait = throttle.wait_seconds(conn, throttle.OFFICE, subjects, rule)
    if wait:
        return wait
    session_id = office_sessions.open_session(conn, token, hours) if token else None
    if session_id is None:
        throttle.record_failure(conn, throttle.OFFICE, subjects, rule, "auth.not_admin")
    return session_id


async def logout(request: Request) -> Response:
    form = await _form(request)
    if _foreign(request):
        return _foreign_refusal(request)
    session_id = request.cookies.get(COOKIE, "")
    if session_id and not office_sessions.csrf_matches(session_id, form.get("csrf", "")):
        return _private(refusal(403, "页面已过期", "请返回监督所工作台，重新点击“退出”。"))
    if session_id:
        await request.app.state.db.write(office_sessions.close_session, session_id)
    response = RedirectResponse("/office/login", status_code=303)
    response.delete_cookie(COOKIE, path="/office")
    return response


async def _form(request: Request, limit: int = FORM_BYTES) -> dict[str, str]:
    body = await read_body(request, limit)
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _foreign(request: Request) -> bool:
    """A form posted from another site: its Origin (or, without one, its Referer) is not this server."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if sent is None:
        return False   # not from a browser page; the CSRF token still has to match
    scheme = "https" if request.app.state.settings.https else request.url.scheme
    try:
        parts = urlsplit(sent)
    except ValueError:   # e.g. "http://[::1" is no URL at all
        return True
    return (parts.scheme.lower(), parts.netloc.lower()) != (scheme, request.headers.get("host", "").lower())


def _foreign_refusal(request: Request) -> HTMLResponse:
    logger.warning("refused %s %s from origin %s", request.method, request.url.path,
                   request.headers.get("origin") or request.headers.get("referer"))
    return _private(refusal(403, "请求来源不符", "该操作只能在本站的监督所工作台页面上进行，已拒绝来自其他网站的请求。"))


async def dashboard(request: Request) -> Response:
    session_id = request.cookies.get(COOKIE, "")
    admin = await request.app.state.db.read(office_sessions.admin_for_session, session_id)
    if admin is None:
        return RedirectResponse("/office/login", status_code=303)
    return await _dashboard_page(request, admin, session_id, done=request.query_params.get("lab", "")[:64])


async def _dashboard_page(request: Request, admin: Any, session_id: str, done: str = "", error: str = "",
                          status: int = 200) -> HTMLResponse:
    found = await request.app.state.db.read(_dashboard)
    return _private(page("office.html", status=status, admin=admin, labels=LABELS, basis=BASIS,
                         rectify_status=RECTIFY_STATUS, transfer_kinds=TRANSFER_KINDS, lab_done=done, lab_error=error,
                         csrf=office_sessions.csrf_token(session_id), **found))


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


async def document(request: Request) -> Response:
    """The PDF handed over on site for an entry's record (现场检查笔录, 卫生监督意见书), for office staff."""
    admin = await request.app.state.db.read(office_sessions.admin_for_session, request.cookies.get(COOKIE, ""))
    if admin is None:
        return RedirectResponse("/office/login", status_code=303)
    no = request.path_params["no"][:20]
    sha = await request.app.state.db.read(_document_of_entry, no)
    if sha is None:
        return _private(refusal(404, "没有现场文书",
                                "该记录没有现场文书（早期版本的应用提交的记录没有），或文书尚未同步到服务器。"))
    return served_document(request, sha, download_as=f"{no}-现场文书.pdf")


def _document_of_entry(conn: Connection, no: str) -> str | None:
    return documents.of_record(conn, disclosure.record_of_entry(conn, no))


async def lab_result(request: Request) -> Response:
    """The office enters a lab's result from the form beside a waiting sample; errors shown in place."""
    form = await _form(request, LAB_FORM_BYTES)
    if _foreign(request):
        return _foreign_refusal(request)
    session_id = request.cookies.get(COOKIE, "")
    admin = await request.app.state.db.read(office_sessions.admin_for_session, session_id)
    if admin is None:
        return RedirectResponse("/office/login", status_code=303)
    if not office_sessions.csrf_matches(session_id, form.get("csrf", "")):
        return _private(refusal(403, "页面已过期", "请返回监督所工作台，重新录入。"))
    try:
        done = await request.app.state.db.write(
            lambda conn: labresults.enter_by_office(conn, admin["id"], form.get("record_id", ""), form))
    except ApiError as exc:
        return await _dashboard_page(request, admin, session_id, error=exc.message_zh, status=exc.status)
    return RedirectResponse(f"/office?lab={quote(done['sample_no'])}#lab", status_code=303)
