"""The console's draw ceremony (/office/tasks/{key}/draw): witnesses and their links, announce,
reveal, draw, and the resolution of unmatched units. Thin: authorize (console.guarded), read the
form, call sync_server/planning/ceremony.py in one write, render or redirect.

The admin conducts the ceremony (`draws.conduct`); clerks and auditors see it (`draws.view`).
A witness's link is shown once, when made (only its hash is kept): with a QR code to hand over.
"""
from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable
from urllib.parse import quote

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sync_server.errors import ApiError, FieldErrors, Stale
from sync_server.office import console, witness
from sync_server.office.console import Actor
from sync_server.planning import ceremony
from sync_server.web.scope import db_of

PAGE = "/office/tasks/{key}/draw"


def _key(request: Request) -> str:
    return request.path_params["key"][:64]


def _path(request: Request) -> str:
    return "/office/tasks/" + quote(_key(request)) + "/draw"


def qr_svg(url: str, title: str) -> str:
    return segno.make(url, error="m").svg_inline(border=2, omitsize=True, title=title)


def public_url(request: Request, task_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/public/tasks/{quote(task_id)}"


@console.guarded("draws.view")
async def show(request: Request, actor: Actor) -> Response:
    return await _page(request, actor)


async def _page(request: Request, actor: Actor, status: int = 200, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, failure: str = "", link: dict[str, Any] | None = None) -> Response:
    found = await db_of(request).read(ceremony.view, _key(request))
    task = found["task"]
    public = public_url(request, task["id"])
    extra: dict[str, Any] = {"public_url": public, "public_qr": qr_svg(public, f"{task['number']} 公示页")
                             if found["draw"] else ""}
    if link is not None:
        url = witness.link_url(request, link["token"])
        extra["link"] = {**link, "url": url, "qr": qr_svg(url, f"见证人 {link['name']} 的链接")}
    return console.render(request, actor, "console_ceremony.html", status=status, errors=errors or {},
                          values=values or {}, failure=failure, **found, **extra)


async def _attempt(request: Request, actor: Actor, call: Callable[..., Awaitable[Any]],
                   done: Callable[[Any], Response | Awaitable[Response]]) -> Response:
    """Run a write; on a refusal show the page again with what was entered and why, nothing applied."""
    form = await console.form(request)
    try:
        made = await call(form)
    except FieldErrors as exc:
        return await _page(request, actor, exc.status, exc.fields, form)
    except Stale as exc:
        return await _page(request, actor, exc.status, values=form, failure="页面已过期，未作任何更改：" + exc.message_zh)
    except ApiError as exc:
        return await _page(request, actor, exc.status, values=form, failure=exc.message_zh)
    shown = done(made)
    return await shown if inspect.isawaitable(shown) else shown


@console.guarded("draws.conduct")
async def add_witness(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.add_witness, _key(request), form.get("name", ""),
                                                form.get("role", ""), form.get("roster", ""), actor.by)
    return await _attempt(request, actor, call, lambda made: _link_page(request, actor, made))


async def _link_page(request: Request, actor: Actor, made: dict[str, Any]) -> Response:
    """The ceremony page with the new link shown once (not a redirect: the token is nowhere else)."""
    return await _page(request, actor, link=made)


@console.guarded("draws.conduct")
async def reissue_link(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.reissue_link, _key(request),
                                                request.path_params["witness"][:32], actor.by)
    return await _attempt(request, actor, call, lambda made: _link_page(request, actor, made))


@console.guarded("draws.conduct")
async def remove_witness(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.remove_witness, _key(request),
                                                request.path_params["witness"][:32], form.get("roster", ""), actor.by)
    return await _attempt(request, actor, call, lambda name: console.done(_path(request), f"已移除见证人 {name}。"))


@console.guarded("draws.conduct")
async def announce(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.announce, _key(request), form.get("beacon", ""),
                                                form.get("beacon_at", ""), form.get("version", ""), actor.by)
    return await _attempt(request, actor, call, lambda made: console.done(
        _path(request), f"抽取公告已发布，公告哈希 {made['announcement_hash']}。"))


@console.guarded("draws.conduct")
async def reveal(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.reveal, _key(request), form.get("beacon_value", ""),
                                                form.get("version", ""), actor.by)
    return await _attempt(request, actor, call, lambda made: console.done(_path(request), "随机数已揭示，可以执行抽取。"))


@console.guarded("draws.conduct")
async def run(request: Request, actor: Actor) -> Response:
    async def call(form: dict[str, str]) -> Any:
        return await db_of(request).write(ceremony.run, _key(request), form.get("version", ""), actor.by)
    return await _attempt(request, actor, call, lambda made: console.done(
        _path(request), f"抽取完成并已公布：抽中并配齐检查组 {made['selected']} 户，待人工处理 {made['unmatched']} 户。"))


@console.guarded("draws.conduct")
async def resolve(request: Request, actor: Actor) -> Response:
    unit = request.path_params["unit"][:64]

    async def call(form: dict[str, str]) -> Any:
        lists = await console.form_lists(request)
        return await db_of(request).write(ceremony.resolve, _key(request), unit, lists.get("team", []),
                                                form.get("reason", ""), actor.by)
    return await _attempt(request, actor, call, lambda made: console.done(
        _path(request) + "#unmatched", f"已安排 {unit} 的检查组，理由已公开。"))


ROUTES = [
    Route(PAGE, show),
    Route(PAGE + "/witnesses", add_witness, methods=["POST"]),
    Route(PAGE + "/witnesses/{witness}/link", reissue_link, methods=["POST"]),
    Route(PAGE + "/witnesses/{witness}/remove", remove_witness, methods=["POST"]),
    Route(PAGE + "/announce", announce, methods=["POST"]),
    Route(PAGE + "/reveal", reveal, methods=["POST"]),
    Route(PAGE + "/run", run, methods=["POST"]),
    Route(PAGE + "/unmatched/{unit}", resolve, methods=["POST"]),
    *witness.ROUTES,
]
