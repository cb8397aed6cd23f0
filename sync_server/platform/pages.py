"""The console's 下级机构 page: the offices below this one with each one's progress for a year
(read from each office's own database), and, on the platform's own office, the admin's form to
record a new office (its database is created in the same step)."""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas import clock
from sync_server.db import Connection
from sync_server.errors import ApiError
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.platform import databases, progress, service
from sync_server.platform.core.hierarchy import KINDS_ZH, LEVELS, LEVELS_ZH, Office
from sync_server.web.render import refusal
from sync_server.web.scope import office_of

FIELDS = ("code", "name", "level", "parent", "kind")


@console.guarded("offices.view")
async def index(request: Request, actor: Actor) -> Response:
    return await _page(request, actor)


async def _page(request: Request, actor: Actor, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, status: int = 200) -> Response:
    year = _year(request)
    here, offices = await request.app.state.db.read(service.below, office_of(request))
    rows = [(o, await databases.office_database(request.app, o.code).read(progress.of_year, year)) for o in offices]
    return console.render(request, actor, "console_offices.html", status=status, here=here, rows=rows, year=year,
                          levels=LEVELS_ZH, kinds=KINDS_ZH, may_add=_may_add(request, actor, here),
                          level_options=[(level, LEVELS_ZH[level]) for level in LEVELS],
                          kind_options=list(KINDS_ZH.items()), parent_options=_parents(here, offices),
                          errors=errors or {}, values=values or {"kind": "commission"})


@console.guarded("offices.add")
async def add(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    here = await request.app.state.db.read(service.root_office)
    if not _may_add(request, actor, here):
        return console.private(refusal(403, "无权进行此操作", "只有本平台（省级）机构的管理员可以新增下级机构。"))
    values = {name: form.get(name, "").strip()[:100] for name in FIELDS}
    try:
        made = await request.app.state.db.write(_add, request.app.state.settings.database, values, actor.by)
    except ApiError as exc:
        return await _page(request, actor, {"form": exc.message_zh}, values, exc.status)
    return console.done("/office/offices", f"已新增下级机构 {made.name}（{made.code}），网址 /o/{made.code}/；"
                                           f"请用 sync-server office-account --office {made.code} 开设其管理员账号。")


def _add(conn: Connection, target: Any, values: dict[str, str], by: str) -> Office:
    made = service.add_office(conn, values["code"], values["name"], values["level"], values["parent"] or None,
                              values["kind"] or "commission", by)
    databases.provision(target, made, by)
    return made


def _may_add(request: Request, actor: Actor, here: Office | None) -> bool:
    """Offices are recorded on the platform's own office, by its admin."""
    return office_of(request) is None and here is not None and actor.may("offices.add")


def _parents(here: Office | None, offices: list[Office]) -> list[tuple[str, str]]:
    return [(o.code, f"{o.name}（{o.code}）") for o in ([here] if here else []) + offices]


def _year(request: Request) -> int:
    raw = request.query_params.get("year", "")
    this_year = clock.beijing_today().year
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year + 1 else this_year


ROUTES = [
    Route("/office/offices", index),
    Route("/office/offices", add, methods=["POST"]),
]
