"""The office console's plumbing: who is signed in, what they may do, forms, rendering, the log.

Every console page is an `async def handler(request, actor)` wrapped by `guarded(action)`:

- no session (or an expired one, or a deactivated account) → to the sign-in page, back here after;
- a role that may not take the action (sync_server/office/core/roles.py) → a 403 page in Chinese;
- a POST from another site (Origin, or Referer) or without the session's CSRF token → a 403 page
  in Chinese, before the handler reads anything.

Handlers stay thin: read the form (`form`, `form_lists`, `upload`), call a service inside one
write (`db_of(request).write`), render (`render`) or redirect (`done`). A service refuses a
form with `FieldErrors` (shown beside each field) or `Stale` (the thing changed since the page was
opened), and writes its change into the audit log with `actor.by` (`audit`).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs, quote, urlsplit

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from schemas.clock import utc_now
from sync_server.accounts import sessions
from sync_server.accounts.office import ROLES
from sync_server.audit import service as audit_log
from sync_server.db import Connection, Row
from sync_server.errors import BadRequest, TooLarge
from sync_server.office.core.roles import ACTIONS, may
from sync_server.platform import service as platform
from sync_server.web.http import read_body
from sync_server.web.render import page, refusal
from sync_server.web.scope import db_of, office_of, route_path

logger = logging.getLogger("sync_server.office")
COOKIE = "suijian_office"
FORM_BYTES = 65536
NO_STORE = {"Cache-Control": "no-store"}
Handler = Callable[[Request, "Actor"], Awaitable[Response]]

NAV = [  # (path, label, the action that shows it)
    ("/office", "工作台", "dashboard.view"),
    ("/office/registry", "一单两库", "registry.view"),
    ("/office/plans", "年度计划", "plans.view"),
    ("/office/tasks", "抽查任务", "tasks.view"),
    ("/office/publication", "结果公示", "publication.view"),
    ("/office/followups", "后续处置", "followups.view"),
    ("/office/devices", "设备", "devices.view"),
    ("/office/calendar", "工作日历", "calendar.view"),
    ("/office/reports", "统计报告", "reports.view"),
    ("/office/accounts", "账号", "accounts.view"),
    ("/office/audit", "审计日志", "audit.view"),
]


SECTION_OF = {  # pages that belong to a nav entry with another prefix
    "/office/units": "/office/registry", "/office/officers": "/office/registry", "/office/items": "/office/registry",
    "/office/settings": "/office/accounts", "/office/account": "/office/accounts",
}


@dataclass(frozen=True)
class Actor:
    """The signed-in person."""
    id: str
    username: str
    name: str
    role: str
    session_id: str
    must_change_password: bool = False

    @property
    def by(self) -> str:
        """How the audit log and stored work name this person: the account's id, "office:<username>"
        (also a row of `users`, so it fits every `by_user` column)."""
        return self.id

    @property
    def csrf(self) -> str:
        return sessions.csrf_token(self.session_id)

    @property
    def role_zh(self) -> str:
        return ROLES.get(self.role, self.role)

    def may(self, action: str) -> bool:
        return may(self.role, action)


def actor_of(row: Row, session_id: str) -> Actor:
    return Actor(row["id"], row["username"], row["name"], row["role"], session_id,
                 bool(row["must_change_password"]))


async def signed_in(request: Request) -> Actor | None:
    session_id = request.cookies.get(COOKIE, "")
    if not session_id:
        return None
    row = await db_of(request).read(sessions.account_for_session, session_id)
    return actor_of(row, session_id) if row is not None else None


def guarded(action: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a console handler: a session, a role that may take `action`, and for a POST the same
    site and the session's CSRF token."""
    if action not in ACTIONS:
        raise ValueError(f"unknown console action {action!r} (sync_server/office/core/roles.py)")

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            if request.method == "POST" and foreign(request):
                return foreign_refusal(request)
            actor = await signed_in(request)
            if actor is None:
                target = route_path(request.scope) + (f"?{request.url.query}" if request.url.query else "")
                if request.method != "GET":
                    target = route_path(request.scope)
                return RedirectResponse(f"/office/login?next={quote(target)}", status_code=303)
            if actor.must_change_password and action != "account.own_password":
                return RedirectResponse("/office/account/password", status_code=303)
            request.state.offices_below = await request.app.state.db.read(platform.has_offices_below, office_of(request))
            if not actor.may(action):
                logger.warning("refused %s %s to %s (%s): %s", request.method, request.url.path, actor.username,
                               actor.role, action)
                return private(refusal(403, "无权进行此操作",
                                       f"您的角色（{actor.role_zh}）不能进行此操作。如需办理，请联系科室管理员。"))
            if request.method == "POST" and not sessions.csrf_matches(actor.session_id, await _csrf_sent(request)):
                return private(refusal(403, "页面已过期", "页面已过期或不是从本站打开的，请返回上一页刷新后重新操作。"))
            return await handler(request, actor)

        endpoint.console_action = action   # type: ignore[attr-defined]  # read by the role × action test
        return endpoint
    return wrap


async def _csrf_sent(request: Request) -> str:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields, _ = await upload(request)
        return fields.get("csrf", "")
    return (await form(request)).get("csrf", "")


async def form_lists(request: Request, limit: int = FORM_BYTES) -> dict[str, list[str]]:
    """The posted form (URL-encoded), each name with all its values; read once per request."""
    cached = getattr(request.state, "console_form", None)
    if cached is None:
        body = await read_body(request, limit)
        cached = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        request.state.console_form = cached
    return cached


async def form(request: Request, limit: int = FORM_BYTES) -> dict[str, str]:
    """The posted form, the last value of each name."""
    return {k: v[-1] for k, v in (await form_lists(request, limit)).items()}


async def upload(request: Request, limit: int = 64 * 1024 * 1024) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart form: its text fields and its files ({name: (filename, bytes)}), at most `limit`
    bytes in all (TooLarge beyond; a file picked but empty is left out)."""
    cached = getattr(request.state, "console_upload", None)
    if cached is not None:
        return cached
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge("request.too_large", f"body over {limit} bytes",
                       f"上传的文件过大（上限 {limit // (1024 * 1024)} MB）", {"limit": limit})
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    try:
        async with request.form(max_files=4, max_fields=200, max_part_size=limit) as parsed:
            for name, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    data = await value.read(limit + 1)
                    if len(data) > limit:
                        raise TooLarge("request.too_large", f"file over {limit} bytes",
                                       f"上传的文件过大（上限 {limit // (1024 * 1024)} MB）", {"limit": limit})
                    if data or value.filename:
                        files[name] = (value.filename or "", data)
                else:
                    fields[name] = value
    except (MultiPartException, HTTPException, AssertionError) as exc:
        raise BadRequest("request.invalid_form", f"malformed multipart form: {exc}",
                         "上传的表单无法读取，请重新选择文件后再提交") from exc
    request.state.console_upload = (fields, files)
    return fields, files


def render(request: Request, actor: Actor, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A console page: the template extends console_base.html; never cached."""
    nav = [(path, label) for path, label, action in NAV if actor.may(action)]
    if getattr(request.state, "offices_below", False) and actor.may("offices.view"):   # a platform's office
        nav.append(("/office/offices", "下级机构"))
    here = route_path(request.scope)
    for prefix, section in SECTION_OF.items():
        if here == prefix or here.startswith(prefix + "/"):
            here = section
            break
    current = max((path for path, _ in nav if here == path or here.startswith(path + "/")), key=len, default="")
    notice = request.query_params.get("done", "")[:200]
    return private(page(template, status=status, actor=actor, nav=nav, current=current, notice=notice,
                        csrf=actor.csrf, **context))


def done(path: str, notice: str) -> RedirectResponse:
    """After a change: to the page that shows it, with a notice (shown in a status line)."""
    joiner = "&" if "?" in path else "?"
    fragment = ""
    if "#" in path:
        path, fragment = path.split("#", 1)
        fragment = "#" + fragment
    return RedirectResponse(f"{path}{joiner}done={quote(notice)}{fragment}", status_code=303)


def audit(conn: Connection, by: str, kind: str, subject: str, **facts: Any) -> int:
    """A console change into the audit log, with the person (`actor.by`), in the caller's transaction."""
    return audit_log.append(conn, kind, subject, utc_now(), by=by, **facts)


def private(response: HTMLResponse) -> HTMLResponse:
    response.headers.update(NO_STORE)
    return response


def foreign(request: Request) -> bool:
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


def foreign_refusal(request: Request) -> HTMLResponse:
    logger.warning("refused %s %s from origin %s", request.method, request.url.path,
                   request.headers.get("origin") or request.headers.get("referer"))
    return private(refusal(403, "请求来源不符", "该操作只能在本站的监督所工作台页面上进行，已拒绝来自其他网站的请求。"))
