"""The console's 结果公示 (/office/publication) and 后续处置 (/office/followups) sections.

结果公示: the publication rate, what waits (due, overdue, updates) with each duty's basis and
deadline, every entry with filters, one entry's publications; publish one entry, or the whole
batch after a confirmation page that lists it (disclosure/publication.py over service.publish and
service.publish_due, the same as `sync-server publish`); the publication mode.

后续处置: the follow-up ledger (rectification deadlines and the tablets' re-inspections, cases,
penalty decisions, transfers), the rectification reminders due and a button to send them, and the
forms for a penalty decision or a transfer (disclosure/followup_forms.py over followups.py, the
same as `sync-server penalty` / `transfer`).

Each change runs in one write with its audit entry naming the person (console.audit, actor.by);
a form opened on something that changed since is refused (Stale) and nothing is applied.
"""
from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.categories import LABELS
from schemas.specialties import SPECIALTIES
from sync_server.db import Connection
from sync_server.disclosure import followup_forms, publication as desk, service
from sync_server.disclosure.core.disclosure import DUE_BASIS, TRANSFER_KINDS, yuan
from sync_server.disclosure.pages import BadQuery, parse_filters
from sync_server.errors import FieldErrors, NotFound, Stale
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.web.scope import db_of

ENTRY_NO = re.compile(r"20\d{2}-\d{6}")
MODES = {"on_approval": "审核通过即公示", "daily": "每日批量公示（在本页“全部公示”）"}
SHOWN_WAITING = 200
COMMON = {"labels": LABELS, "specialties": SPECIALTIES, "basis": DUE_BASIS, "transfer_kinds": TRANSFER_KINDS,
          "yuan": yuan, "entry_states": desk.STATES, "modes": MODES}


# --- 结果公示 ---------------------------------------------------------------------------------------

@console.guarded("publication.view")
async def index(request: Request, actor: Actor) -> Response:
    params = request.query_params
    try:
        filters, page = _filters(params), _page(params)
    except BadQuery as exc:
        filters, page, error = {}, 1, exc.message
    else:
        error = ""
    found = await db_of(request).read(_index, filters, page)
    query = {k: params.get(k, "") for k in ("state", "year", "specialty", "category", "q")}
    return console.render(request, actor, "console_publication.html", status=400 if error else 200,
                          filter_error=error, query=query, shown_waiting=SHOWN_WAITING, **found, **COMMON)


def _index(conn: Connection, filters: dict[str, Any], page: int) -> dict[str, Any]:
    summary = service.status(conn)
    return {"summary": summary, "mode": service.publish_mode(conn), "waiting": desk.waiting_entries(conn),
            "listing": desk.entries(conn, filters, page)}


def _filters(params: QueryParams) -> dict[str, Any]:
    filters = parse_filters(params)
    state = params.get("state") or ""
    if state and state not in desk.STATES:
        raise BadQuery("状态无效", "请从列表中选择公示状态。")
    if state:
        filters["state"] = state
    text = (params.get("q") or "").strip()
    if ENTRY_NO.fullmatch(text):
        filters.pop("name", None)
        filters["no"] = text
    return filters


def _page(params: QueryParams) -> int:
    raw = params.get("page") or "1"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise BadQuery("页码超出范围", "页码应为 1 到 100000 之间的整数。")
    return int(raw)


@console.guarded("publication.view")
async def entry(request: Request, actor: Actor) -> Response:
    return await _entry_page(request, actor, request.path_params["no"][:20])


async def _entry_page(request: Request, actor: Actor, no: str, stale: str = "", status: int = 200) -> Response:
    found = await db_of(request).read(desk.entry_detail, no)
    if found is None:
        raise NotFound("disclosure.unknown", f"no entry {no!r}", f"没有编号为 {no} 的公示条目")
    return console.render(request, actor, "console_publication_entry.html", status=status, stale=stale, **found,
                          **COMMON)


@console.guarded("publication.publish")
async def publish_entry(request: Request, actor: Actor) -> Response:
    no = request.path_params["no"][:20]
    form = await console.form(request)
    try:
        done = await db_of(request).write(_publish_one, actor.by, no, form.get("version", ""))
    except Stale as exc:
        return await _entry_page(request, actor, no, stale=exc.message_zh, status=exc.status)
    late = f"，逾期 {done['late_days']} 个工作日" if done["late_days"] else "，按期"
    return console.done(f"/office/publication/entries/{no}", f"已公示 {no}（第 {done['revision']} 版{late}）。")


def _publish_one(conn: Connection, by: str, no: str, version: str) -> dict[str, Any]:
    done = desk.publish_one(conn, no, version)
    console.audit(conn, by, "office.publish", no, revision=done["revision"], doc_sha256=done["doc_sha256"],
                  late_days=done["late_days"])
    return done


@console.guarded("publication.publish")
async def confirm_batch(request: Request, actor: Actor) -> Response:
    return await _confirm_page(request, actor)


async def _confirm_page(request: Request, actor: Actor, stale: str = "", status: int = 200) -> Response:
    found = await db_of(request).read(desk.waiting)
    return console.render(request, actor, "console_publication_confirm.html", status=status, stale=stale, **found,
                          **COMMON)


@console.guarded("publication.publish")
async def publish_batch(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    try:
        done = await db_of(request).write(_publish_batch, actor.by, form.get("version", ""))
    except Stale as exc:
        return await _confirm_page(request, actor, stale=exc.message_zh, status=exc.status)
    return console.done("/office/publication", f"已公示 {done['published']} 条（其中逾期 {done['late']} 条）；"
                                               f"发送整改期限提醒 {done['reminders']} 条。")


def _publish_batch(conn: Connection, by: str, version: str) -> dict[str, Any]:
    done = desk.publish_batch(conn, version)
    console.audit(conn, by, "office.publish_due", "batch", published=done["nos"], late=done["late"],
                  reminders=done["reminders"])
    return done


@console.guarded("publication.publish")
async def set_mode(request: Request, actor: Actor) -> Response:
    mode = (await console.form(request)).get("mode", "")
    if mode not in MODES:
        raise FieldErrors({"mode": "请选择公示方式"})
    await db_of(request).write(_set_mode, actor.by, mode)
    return console.done("/office/publication#mode", f"公示方式已改为：{MODES[mode]}。")


def _set_mode(conn: Connection, by: str, mode: str) -> None:
    service.set_publish_mode(conn, mode)
    console.audit(conn, by, "office.publish_mode", mode)


# --- 后续处置 ---------------------------------------------------------------------------------------

@console.guarded("followups.view")
async def ledger(request: Request, actor: Actor) -> Response:
    return await _ledger_page(request, actor)


async def _ledger_page(request: Request, actor: Actor, stale: str = "", status: int = 200) -> Response:
    book = await db_of(request).read(followup_forms.office_ledger)
    reminders = await db_of(request).read(desk.reminders)
    return console.render(request, actor, "console_followups.html", status=status, stale=stale, book=book,
                          reminders_version=reminders["version"], **COMMON)


@console.guarded("followups.remind")
async def send_reminders(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    try:
        sent = await db_of(request).write(_send_reminders, actor.by, form.get("version", ""))
    except Stale as exc:
        return await _ledger_page(request, actor, stale=exc.message_zh, status=exc.status)
    return console.done("/office/followups#reminders", f"已发送整改期限提醒 {sent} 条（通过平板的任务推送）。")


def _send_reminders(conn: Connection, by: str, version: str) -> int:
    sent = desk.send_reminders(conn, version)
    console.audit(conn, by, "office.reminders", "rectify_deadline", sent=sent)
    return sent


FORMS = {"penalty": ("console_followups_penalty.html", followup_forms.enter_penalty),
         "transfer": ("console_followups_transfer.html", followup_forms.enter_transfer)}


@console.guarded("followups.enter")
async def penalty_form(request: Request, actor: Actor) -> Response:
    return await _blank_form(request, actor, "penalty")


@console.guarded("followups.enter")
async def transfer_form(request: Request, actor: Actor) -> Response:
    return await _blank_form(request, actor, "transfer")


@console.guarded("followups.enter")
async def enter_penalty(request: Request, actor: Actor) -> Response:
    return await _enter_followup(request, actor, "penalty")


@console.guarded("followups.enter")
async def enter_transfer(request: Request, actor: Actor) -> Response:
    return await _enter_followup(request, actor, "transfer")


async def _blank_form(request: Request, actor: Actor, kind: str) -> Response:
    ref = request.query_params.get("no", "")[:40].strip()
    values = {"no": ref, "kind": "transfer"}
    return await _form_page(request, actor, kind, ref, values, {}, None)


async def _form_page(request: Request, actor: Actor, kind: str, ref: str, values: dict[str, str],
                     errors: dict[str, str], version: str | None, status: int = 200) -> Response:
    shown = await db_of(request).read(followup_forms.form_entry, ref)
    if ref and shown is None and "no" not in errors:
        errors = {**errors, "no": f"没有编号为 {ref[:40]} 的公示条目（公示编号形如 2026-000123）"}
    opened_on = shown["no"] if shown else ""
    if version is None:
        version = shown["version"] if shown else ""
    else:
        opened_on = values.get("opened_no", "")
    return console.render(request, actor, FORMS[kind][0], status=status, shown=shown, values=values, errors=errors,
                          version=version, opened_no=opened_on, **COMMON)


async def _enter_followup(request: Request, actor: Actor, kind: str) -> Response:
    form = await console.form(request)
    try:
        done = await db_of(request).write(_enter, kind, actor.by, form)
    except FieldErrors as exc:
        return await _form_page(request, actor, kind, form.get("opened_no", ""), form, exc.fields,
                                form.get("version", ""), status=exc.status)
    except Stale as exc:
        return await _form_page(request, actor, kind, form.get("opened_no", ""), form, {"version": exc.message_zh},
                                None, status=exc.status)
    return console.done(f"/office/followups#{kind}", _done_text(kind, done))


def _enter(conn: Connection, kind: str, by: str, form: dict[str, str]) -> dict[str, Any]:
    done = FORMS[kind][1](conn, by, form)
    entry = done["entry"] or {}
    console.audit(conn, by, f"office.{kind}", entry.get("no") or done["record_id"], followup=done["id"],
                  record=done["record_id"], followup_log_index=done["log_index"])
    return done


def _done_text(kind: str, done: dict[str, Any]) -> str:
    entry = done["entry"]
    what = (f"已录入处罚决定 {done['decision_no']}（{done['decided_on']}）" if kind == "penalty"
            else f"已录入{TRANSFER_KINDS[done['kind']]}：{done['to_body']}（{done['on']}）")
    if not entry:
        return what + "。"
    if entry["state"] == "published":
        return f"{what}；公示条目 {entry['no']} 已更新公示（第 {entry['revision']} 版）。"
    return f"{what}；公示条目 {entry['no']} 的更新应于 {entry['due_on']} 前公示。"


ROUTES = [
    Route("/office/publication", index),
    Route("/office/publication/entries/{no}", entry),
    Route("/office/publication/entries/{no}/publish", publish_entry, methods=["POST"]),
    Route("/office/publication/publish-due", confirm_batch),
    Route("/office/publication/publish-due", publish_batch, methods=["POST"]),
    Route("/office/publication/mode", set_mode, methods=["POST"]),
    Route("/office/followups", ledger),
    Route("/office/followups/reminders", send_reminders, methods=["POST"]),
    Route("/office/followups/penalty", penalty_form),
    Route("/office/followups/penalty", enter_penalty, methods=["POST"]),
    Route("/office/followups/transfer", transfer_form),
    Route("/office/followups/transfer", enter_transfer, methods=["POST"]),
]
