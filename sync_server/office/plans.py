"""The console's 年度计划 section: the annual plan as a document (sync_server/planning/plan_documents.py).

    GET  /office/plans                      plans.view     every year's plan and its state; the form to draft one
    POST /office/plans                      plans.edit     draft a year's plan (version 1)
    GET  /office/plans/{year}               plans.view     the plan: the draft's form, the published versions, the tasks
    POST /office/plans/{year}               plans.edit     save the draft
    POST /office/plans/{year}/publish       plans.publish  save what the form shows and publish it (a new version)
    POST /office/plans/{year}/revise        plans.publish  open a draft of the next version (a revision)
    POST /office/plans/{year}/discard       plans.publish  throw the draft away (never public)

Clerks (录入员) write and save drafts, a revision's included; only the admin (科室管理员) decides to
publish, to revise and to discard; the auditor reads. The draft's forms carry its edit token, so a
form opened before a save or a publication is refused (Stale) and changes nothing. The text is
posted as multipart/form-data (UTF-8 as it is: a 20,000-character plan fits), URL-encoded forms are
read too.
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sync_server.db import Connection
from sync_server.errors import FieldErrors, NotFound, Stale
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.planning import plan_documents as docs
from sync_server.planning.core import plan_document as rules
from sync_server.web.render import refusal
from sync_server.web.scope import db_of

FORM_LIMIT = 512 * 1024
FIELDS = ("title", "body", "reason")


async def _fields(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        fields, _ = await console.upload(request, FORM_LIMIT)
        return fields
    return await console.form(request, FORM_LIMIT)


@console.guarded("plans.view")
async def index(request: Request, actor: Actor) -> Response:
    return await _index(request, actor)


async def _index(request: Request, actor: Actor, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> Response:
    plans = await db_of(request).read(docs.overview)
    return console.render(request, actor, "console_plans.html", status=status, plans=plans,
                          state_names=rules.STATE_NAMES, values=values or {}, errors=errors or {},
                          limits=_limits())


@console.guarded("plans.edit")
async def create(request: Request, actor: Actor) -> Response:
    form = await _fields(request)
    try:
        made = await db_of(request).write(_create, form, actor.by, actor.name)
    except FieldErrors as exc:
        return await _index(request, actor, form, exc.fields, status=exc.status)
    return console.done(f"/office/plans/{made['year']}", f"已起草 {made['year']} 年度抽查工作计划（第 1 版草稿）。")


def _create(conn: Connection, form: dict[str, str], by: str, name: str) -> dict[str, Any]:
    year = docs.check_year(form.get("year", ""))
    return docs.create(conn, year, form.get("title", ""), form.get("body", ""), by, name)


@console.guarded("plans.view")
async def detail(request: Request, actor: Actor) -> Response:
    return await _detail(request, actor)


async def _detail(request: Request, actor: Actor, values: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, stale: str = "", status: int = 200) -> Response:
    year = _year(request)
    try:
        doc = await db_of(request).read(docs.document, year) if year is not None else None
    except NotFound:
        doc = None
    if doc is None:
        return console.private(refusal(404, "没有该年度计划", "没有该年度的抽查计划，请从年度计划列表进入。"))
    draft = doc["draft"]
    current = {name: draft[name] for name in FIELDS} if draft is not None else {}
    return console.render(request, actor, "console_plan.html", status=status, doc=doc, year=year,
                          values=current if values is None or stale else values, errors=errors or {},
                          stale=stale, submitted=values if stale else None, state_names=rules.STATE_NAMES,
                          limits=_limits())


@console.guarded("plans.edit")
async def save(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, docs.save, "草稿已保存。", with_fields=True)


@console.guarded("plans.publish")
async def publish(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _save_and_publish, "已公布。公开页面已更新，所有已公布版本均保留公开。",
                         with_fields=True)


@console.guarded("plans.publish")
async def revise(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, docs.start_revision, "已开始修订：请修改草稿并填写调整理由，然后公布。")


@console.guarded("plans.publish")
async def discard(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _discard, "已放弃草稿；已公布的版本不受影响。")


async def _change(request: Request, actor: Actor, change: Any, notice: str, with_fields: bool = False) -> Response:
    """One change to a year's plan from its page: done → back to the page with the notice;
    field errors or a stale form → the page again, with what was entered and the reason."""
    form = await _fields(request)
    year = _year(request)
    if year is None:
        return console.private(refusal(404, "没有该年度计划", "没有该年度的抽查计划。"))
    entered = [form.get(name, "") for name in FIELDS] if with_fields else []
    try:
        await db_of(request).write(change, year, form.get("version", ""), *entered, actor.by, actor.name)
    except FieldErrors as exc:
        return await _detail(request, actor, form, exc.fields, status=exc.status)
    except Stale as exc:
        return await _detail(request, actor, form if with_fields else None, stale=exc.message_zh, status=exc.status)
    except NotFound:
        return console.private(refusal(404, "没有该年度计划", "没有该年度的抽查计划。"))
    return console.done(f"/office/plans/{year}", notice)


def _save_and_publish(conn: Connection, year: int, token: str, title: str, body: str, reason: str, by: str,
                      name: str) -> dict[str, Any]:
    return docs.publish_entered(conn, year, token, title, body, reason, by, name)


def _discard(conn: Connection, year: int, token: str, by: str, name: str) -> dict[str, Any]:
    return docs.discard(conn, year, token, by)


def _year(request: Request) -> int | None:
    raw = request.path_params["year"]
    return int(raw) if len(raw) == 4 and raw.isascii() and raw.isdigit() else None


def _limits() -> dict[str, int]:
    return {"title": rules.TITLE_MAX, "body": rules.BODY_MAX, "reason": rules.REASON_MAX}


ROUTES = [
    Route("/office/plans", index),
    Route("/office/plans", create, methods=["POST"]),
    Route("/office/plans/{year}", detail),
    Route("/office/plans/{year}", save, methods=["POST"]),
    Route("/office/plans/{year}/publish", publish, methods=["POST"]),
    Route("/office/plans/{year}/revise", revise, methods=["POST"]),
    Route("/office/plans/{year}/discard", discard, methods=["POST"]),
]
