"""A witness's own page (/witness/{token}): no office session, the link itself is the capability.

Before the announcement the witness's browser makes a nonce (sync_server/web/static/witness.js),
the witness keeps it, and only its commitment is posted; without JavaScript the witness types a
commitment computed elsewhere. After the beacon's time the witness posts the nonce, which the
server checks against the commitment. Pages are never cached; a POST from another site is refused.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sync_server.errors import ApiError, FieldErrors
from sync_server.office import console
from sync_server.planning import ceremony
from sync_server.web.http import read_body
from sync_server.web.render import page, refusal
from sync_server.web.scope import db_of

FORM_BYTES = 4096
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def link_url(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/witness/{quote(token)}"


def _token(request: Request) -> str:
    return request.path_params["token"][:100]


async def show(request: Request) -> Response:
    return await _page(request)


async def _page(request: Request, status: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, failure: str = "") -> Response:
    found = await db_of(request).read(ceremony.witness_view, _token(request))
    if found is None:
        response = refusal(404, "见证人链接无效", "该链接无效或已被重新签发。请向组织抽取的监督机构索取新的链接。")
    else:
        response = page("console_ceremony_witness.html", status=status, errors=errors or {}, values=values or {},
                        failure=failure, notice=request.query_params.get("done", "")[:200], path=f"/witness/{quote(_token(request))}", **found)
    response.headers.update(HEADERS)
    return response


async def _attempt(request: Request, service: Any, field: str, notice: str) -> Response:
    if console.foreign(request):
        return console.foreign_refusal(request)
    body = await read_body(request, FORM_BYTES)
    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    try:
        await db_of(request).write(service, _token(request), form.get(field, ""))
    except FieldErrors as exc:
        return await _page(request, exc.status, exc.fields, form)
    except ApiError as exc:
        return await _page(request, exc.status, values=form, failure=exc.message_zh)
    return RedirectResponse(f"/witness/{quote(_token(request))}?done={quote(notice)}", status_code=303)


async def commit(request: Request) -> Response:
    return await _attempt(request, ceremony.commit, "commitment", "承诺值已提交。请妥善保存您的随机数。")


async def open_nonce(request: Request) -> Response:
    return await _attempt(request, ceremony.open_nonce, "nonce", "随机数已提交，与您的承诺值相符。")


ROUTES = [
    Route("/witness/{token}", show),
    Route("/witness/{token}/commit", commit, methods=["POST"]),
    Route("/witness/{token}/nonce", open_nonce, methods=["POST"]),
]
