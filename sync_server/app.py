"""The ASGI application: routes, error mapping, and the database's lifetime."""
from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Route

from schemas import clock, contract
from schemas.errors import ContractError
from sync_server import blobs
from sync_server.platform import databases as office_databases
from sync_server.platform.paths import OfficePaths
from sync_server.web import openapi, security_headers
from sync_server.web.office_name import OfficeName
from sync_server.audit import server_key
from sync_server.records import workers
from sync_server.errors import ApiError, BadRequest, NotFound
from sync_server.db.connection import open_database
from sync_server.accounts import routes as accounts
from sync_server.accounts.last_seen import LastSeen
from sync_server.audit import routes as audit
from sync_server.disclosure import routes as disclosure
from sync_server.office import routes as office
from sync_server.planning import routes as planning
from sync_server.platform import pages as platform
from sync_server.public import routes as public
from sync_server.records import routes as records
from sync_server.reports import routes as reports
from sync_server.web.http import JSONResponse
from sync_server.web.scope import route_path
from sync_server.web.render import refusal
from sync_server.settings import Settings

logger = logging.getLogger("sync_server")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi.document())


async def schema_file(request: Request) -> Response:
    name = request.path_params["name"].removesuffix(".schema.json")
    if name not in contract.NAMES and name != "common":
        raise NotFound("schema.unknown", "no such schema", "没有该数据规范")
    return FileResponse(contract.schema_path(name), media_type="application/schema+json")


PAGES = ("/office", "/witness")   # people's pages: their errors are pages in Chinese, not JSON


def _page_error(request: Request, status: int, message_zh: str, headers: dict[str, str] | None) -> Response | None:
    if not route_path(request.scope).startswith(PAGES):
        return None
    titles = {400: "请求无效", 403: "无权进行此操作", 404: "没有该页面", 405: "不支持该请求方法", 409: "页面已过期",
              413: "提交的内容过大", 422: "填写有误", 429: "请稍后再试"}
    response = refusal(status, titles.get(status, "无法完成操作"), message_zh)
    response.headers.update({"Cache-Control": "no-store", **(headers or {})})
    return response


async def api_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ContractError):
        exc = BadRequest.from_contract(exc)
    assert isinstance(exc, ApiError)
    shown = _page_error(request, exc.status, exc.message_zh, exc.headers)
    return shown or JSONResponse(exc.as_json(), status_code=exc.status, headers=exc.headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "request.not_found", 405: "request.method_not_allowed"}.get(exc.status_code, "request.invalid")
    zh = {404: "没有该地址", 405: "不支持该请求方法"}.get(exc.status_code, "请求无效")
    headers = {"Allow": _allowed(request)} if exc.status_code == 405 else exc.headers
    shown = _page_error(request, exc.status_code, {404: "没有该页面，请从导航栏进入。"}.get(exc.status_code, zh), headers)
    if shown is not None:
        return shown
    return JSONResponse({"code": code, "message": str(exc.detail), "message_zh": zh}, status_code=exc.status_code,
                        headers=headers)


def _allowed(request: Request) -> str:
    """Every method some route takes at this path (two routes may share one, e.g. photos' GET and PUT)."""
    matching = (route for route in request.app.routes
                if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE)
    return ", ".join(sorted({method for route in matching for method in route.methods or ()}))


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"code": "internal.error", "message": "internal error; see the server log",
                         "message_zh": "服务器内部错误，请稍后重试"}, status_code=500,
                        headers=security_headers.for_response("application/json", request.app.state.settings.https))


ROUTES = [
    Route("/healthz", healthz), Route("/openapi.json", openapi_json),
    Route("/schemas/v1/{name}", schema_file),
]


def routes() -> list[Route]:
    """Every route: the app's own, then each domain's table (sync_server/<domain>/routes)."""
    return [*ROUTES, *accounts.ROUTES, *planning.ROUTES, *records.ROUTES, *disclosure.ROUTES, *audit.ROUTES,
            *reports.ROUTES, *office.ROUTES, *platform.ROUTES, *public.ROUTES]


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        clock.install(settings.clock)
        app.state.db = open_database(settings.database)
        app.state.server_key = server_key.load_or_create(settings.key_path)
        app.state.check_pool = workers.check_pool(settings.check_workers)
        app.state.last_seen = LastSeen()
        app.state.blobs = blobs.open_store(settings)   # one store for every office: content-addressed
        try:
            yield
        finally:
            await app.state.last_seen.flush()
            app.state.check_pool.shutdown(wait=True, cancel_futures=True)
            office_databases.close_all(app)
            app.state.db.close()

    app = Starlette(routes=routes(), lifespan=lifespan, exception_handlers={
        ApiError: api_error, ContractError: api_error, HTTPException: http_error, Exception: internal_error},
        middleware=[Middleware(security_headers.SecurityHeaders, https=settings.https), Middleware(OfficePaths),
                    Middleware(OfficeName)])
    app.state.settings = settings
    app.state.office_dbs = {}   # the other offices' databases, opened on first use (sync_server/platform)
    return app


def app_from_env() -> Starlette:
    """The app of one worker process of `serve --workers N` (uvicorn's factory): its settings from
    the environment the serve command set (SUIJIAN_DATABASE_URL, the photo dir and key path)."""
    return create_app(Settings.for_worker())
