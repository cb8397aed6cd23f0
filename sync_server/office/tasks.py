"""The console's 抽查任务 section: a year's tasks, a new task with its population preview, a task's
exclusions, recusals and redraw, and after the draw its visits by unit and by officer, with a
visit reassigned. The draw ceremony (/office/tasks/{key}/draw…) is sync_server/office/ceremony.py.

Handlers are thin: read the form, call the planning services (the CLI's: plans, task_form,
visits) inside one write, render or redirect. Seeing is `tasks.view`; changing a task is
`tasks.edit`; reassigning a visit is `assignments.reassign` (office/core/roles.py).
"""
from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.clock import beijing_today
from schemas.specialties import RISK_CLASSES, SPECIALTIES
from sync_server.errors import ApiError, FieldErrors, NotFound, Stale
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.planning import handed_down, plans, task_form, visits
from sync_server.planning.core.handed_down import ORIGINS
from sync_server.web.render import refusal
from sync_server.platform import databases as office_databases, service as platform
from sync_server.web.scope import db_of, office_of

STALE_PLAN = "该任务已公告（或已揭示、已抽取），其抽查名录、排除和回避已冻结，本次提交未生效；如需变更，请以新任务重新抽取并说明理由。"


def _year(request: Request) -> int:
    text = request.query_params.get("year", "")
    year = int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100 else beijing_today().year
    return year


def _task_path(key: str, tail: str = "") -> str:
    return f"/office/tasks/{quote(key, safe='')}{tail}"


def _missing(exc: NotFound) -> Response:
    return console.private(refusal(404, "未找到", exc.message_zh))


# --- the year's tasks ---------------------------------------------------------------------------

@console.guarded("tasks.view")
async def index(request: Request, actor: Actor) -> Response:
    year = _year(request)
    tasks = await db_of(request).read(plans.year_tasks, year)
    years = await db_of(request).read(plans.years, beijing_today().year)
    _, below = await _below(request)
    return console.render(request, actor, "console_tasks.html", year=year, years=sorted(set(years) | {year}),
                          tasks=tasks, may_hand_down_below=bool(below))


# --- a new task -------------------------------------------------------------------------------

@console.guarded("tasks.edit")
async def new_form(request: Request, actor: Actor) -> Response:
    year = _year(request)
    return await _new(request, actor, year, task_form.defaults(year), {}, None)


@console.guarded("tasks.edit")
async def new_submit(request: Request, actor: Actor) -> Response:
    lists = await console.form_lists(request)
    fields: dict[str, Any] = {k: v[-1] for k, v in lists.items()}
    fields["specialties"], fields["items"] = lists.get("specialties", []), lists.get("items", [])
    year = _year(request)
    preview = await db_of(request).read(task_form.preview, fields, year)
    if fields.get("action") != "save":
        return await _new(request, actor, year, fields, preview["errors"], preview)
    try:
        task = await db_of(request).write(task_form.create, fields, year, actor.by)
    except FieldErrors as exc:
        return await _new(request, actor, year, fields, exc.fields, preview, status=exc.status)
    return console.done(_task_path(task["id"]), f"已新建抽查任务 {task['number']}（已计划）；公告前可登记排除和回避。")


async def _new(request: Request, actor: Actor, year: int, values: dict, errors: dict, preview: dict | None,
               status: int = 200) -> Response:
    return console.render(request, actor, "console_tasks_new.html", status=status, year=year, values=values,
                          errors=errors, preview=preview, specialties=SPECIALTIES, risk_classes=RISK_CLASSES)


# --- a task handed down by a higher level (国抽、省抽、市抽) ------------------------------------

@console.guarded("tasks.hand_down")
async def handed_form(request: Request, actor: Actor) -> Response:
    year = _year(request)
    values = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "team_size": "2"}
    return _handed(request, actor, year, values, {})


@console.guarded("tasks.hand_down")
async def handed_submit(request: Request, actor: Actor) -> Response:
    year = _year(request)
    fields, files = await console.upload(request, limit=8 * 1024 * 1024)
    try:
        made = await db_of(request).write(handed_down.record_form, fields, files.get("file"), year, actor.by)
    except FieldErrors as exc:
        return _handed(request, actor, year, fields, exc.fields, status=exc.status)
    return console.done(_task_path(made["id"]), f"已登记上级下达任务 {made['number']}：{made['units']} 户，新建检查 "
                        f"{made['visits_created']} 项、并入联合检查 {made['visits_joined']} 项；本年度本级抽取不再抽取这些单位。")


def _handed(request: Request, actor: Actor, year: int, values: dict, errors: dict, status: int = 200) -> Response:
    return console.render(request, actor, "console_tasks_handed.html", status=status, year=year, values=values,
                          errors=errors, origins=ORIGINS, specialties=SPECIALTIES)


@console.guarded("tasks.hand_down")
async def arrange(request: Request, actor: Actor) -> Response:
    """The county names the team for the units a parent office handed down on the platform."""
    form = await console.form(request)
    key = request.path_params["key"]
    try:
        made = await db_of(request).write(handed_down.arrange_form, key, form, actor.by)
    except NotFound as exc:
        return _missing(exc)
    except FieldErrors as exc:
        return await _detail(request, actor, exc.fields, form, status=exc.status)
    except ApiError as exc:   # arranged meanwhile, or not a handed-down task
        return await _detail(request, actor, {"stale": exc.message_zh}, form, status=exc.status)
    return console.done(_task_path(key), f"已安排检查组：{made['units']} 户，新建检查 {made['visits_created']} 项、"
                        f"并入联合检查 {made['visits_joined']} 项。")


# --- a parent office hands a task down to an office below it (the platform) -------------------------

HAND_DOWN_ORIGIN = {"province": "province", "city": "city"}


async def _below(request: Request) -> tuple[Any, list[Any]]:
    here, offices = await request.app.state.db.read(platform.below, office_of(request))
    return (here, offices) if here is not None and here.level in HAND_DOWN_ORIGIN else (here, [])


@console.guarded("tasks.hand_down")
async def below_form(request: Request, actor: Actor) -> Response:
    here, offices = await _below(request)
    if not offices:
        return _no_below()
    year = _year(request)
    values = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31", "team_size": "2"}
    return _below_page(request, actor, year, here, offices, values, {})


@console.guarded("tasks.hand_down")
async def below_submit(request: Request, actor: Actor) -> Response:
    here, offices = await _below(request)
    if not offices:
        return _no_below()
    year = _year(request)
    fields, files = await console.upload(request, limit=8 * 1024 * 1024)
    child = next((o for o in offices if o.code == fields.get("child")), None)
    try:
        if child is None:
            raise FieldErrors({"child": "请选择下级机构"})
        spec, _ = handed_down.form_spec({**fields, "team_size": fields.get("team_size", "2")}, files.get("file"), year,
                                        HAND_DOWN_ORIGIN[here.level], here.name)
        made = await office_databases.office_database(request.app, child.code).write(
            handed_down.hand_down_below, spec, files["file"], actor.by, here.code)
    except FieldErrors as exc:
        return _below_page(request, actor, year, here, offices, fields, exc.fields, status=exc.status)
    await db_of(request).write(partial(console.audit, number=made["number"], units=made["units"], task=made["id"]),
                               actor.by, "task.handed_down_to", child.code)
    return console.done("/office/tasks", f"已将任务 {made['number']}（{made['units']} 户）下达至 {child.name}；"
                        f"由其在任务页安排检查组后生成检查分配。")


def _no_below() -> Response:
    return console.private(refusal(404, "没有下级机构", "只有省级、市级机构可以向下级机构下达抽查任务。"))


def _below_page(request: Request, actor: Actor, year: int, here: Any, offices: list[Any], values: dict,
                errors: dict, status: int = 200) -> Response:
    return console.render(request, actor, "console_tasks_hand_down.html", status=status, year=year, values=values,
                          errors=errors, here=here, origin_zh=ORIGINS[HAND_DOWN_ORIGIN[here.level]],
                          children=[(o.code, f"{o.name}（{o.code}）") for o in offices], specialties=SPECIALTIES)


# --- one task ---------------------------------------------------------------------------------

@console.guarded("tasks.view")
async def detail(request: Request, actor: Actor) -> Response:
    return await _detail(request, actor)


async def _detail(request: Request, actor: Actor, errors: dict | None = None, values: dict | None = None,
                  status: int = 200) -> Response:
    try:
        task = await db_of(request).read(plans.task_view, request.path_params["key"])
    except NotFound as exc:
        return _missing(exc)
    return console.render(request, actor, "console_tasks_detail.html", status=status, task=task,
                          errors=errors or {}, values=values or {}, exclusion_reasons=plans.EXCLUSION_REASONS,
                          recusal_reasons=plans.RECUSAL_REASONS)


def _planned_version(conn: Any, key: str, version: str) -> None:
    """The page was opened while the task was planned; refuse if it moved on since."""
    task = plans.task_by_key(conn, key)
    if task["state"] != "planned" or version != "planned":
        raise Stale(STALE_PLAN, {"state": task["state"]})


def _exclude(conn: Any, key: str, form: dict[str, str], by: str) -> None:
    _planned_version(conn, key, form.get("version", ""))
    unit = form.get("unit", "").strip().upper()
    errors = {} if unit else {"unit": "请填写要排除单位的统一社会信用代码"}
    if form.get("reason") not in plans.EXCLUSION_REASONS:
        errors["reason"] = "请选择排除原因"
    elif form.get("reason") == "other" and not form.get("note", "").strip():
        errors["note"] = "原因为“其他”时请写明具体原因"
    if errors:
        raise FieldErrors(errors)
    try:
        plans.exclude_unit(conn, key, unit, form["reason"], form.get("note", "").strip()[:500], by)
    except ApiError as exc:
        if exc.code in ("unit.unknown", "plan.unit_not_in_population"):
            raise FieldErrors({"unit": exc.message_zh}) from exc
        raise


def _recuse(conn: Any, key: str, form: dict[str, str], by: str) -> None:
    _planned_version(conn, key, form.get("version", ""))
    inspector, unit = form.get("inspector", "").strip(), form.get("recusal_unit", "").strip().upper()
    errors = {}
    if not inspector:
        errors["inspector"] = "请选择或填写执法人员"
    if not unit:
        errors["recusal_unit"] = "请填写须回避单位的统一社会信用代码"
    if form.get("recusal_reason") not in plans.RECUSAL_REASONS:
        errors["recusal_reason"] = "请选择回避原因"
    if errors:
        raise FieldErrors(errors)
    try:
        plans.recuse(conn, key, inspector, unit, form["recusal_reason"], by)
    except ApiError as exc:
        field = {"inspector.unknown": "inspector", "unit.unknown": "recusal_unit"}.get(exc.code)
        if field is None:
            raise
        raise FieldErrors({field: exc.message_zh}) from exc


def _withdraw_exclusion(conn: Any, key: str, form: dict[str, str], by: str) -> None:
    _planned_version(conn, key, form.get("version", ""))
    try:
        plans.withdraw_exclusion(conn, key, form.get("unit", ""), by)
    except NotFound as exc:
        raise Stale(exc.message_zh) from exc


def _withdraw_recusal(conn: Any, key: str, form: dict[str, str], by: str) -> None:
    _planned_version(conn, key, form.get("version", ""))
    try:
        plans.withdraw_recusal(conn, key, form.get("inspector", ""), form.get("unit", ""), by)
    except NotFound as exc:
        raise Stale(exc.message_zh) from exc


def _redraw(conn: Any, key: str, form: dict[str, str], by: str) -> dict[str, Any]:
    number, reason = " ".join(form.get("number", "").split()), form.get("redraw_reason", "").strip()
    errors = {}
    if not number:
        errors["number"] = "请填写新任务的编号"
    if not reason:
        errors["redraw_reason"] = "重新抽取必须说明理由（将随新任务公开）"
    if errors:
        raise FieldErrors(errors)
    try:
        return plans.redraw(conn, key, number[:60], reason[:500], by)
    except ApiError as exc:
        if exc.code == "task.exists":
            raise FieldErrors({"number": exc.message_zh}) from exc
        raise


async def _change(request: Request, actor: Actor, change: Any, notice: str, anchor: str) -> Response:
    form = await console.form(request)
    key = request.path_params["key"]
    try:
        made = await db_of(request).write(change, key, form, actor.by)
    except NotFound as exc:
        return _missing(exc)
    except FieldErrors as exc:
        return await _detail(request, actor, exc.fields, form, status=exc.status)
    except Stale as exc:
        return await _detail(request, actor, {"stale": exc.message_zh}, form, status=exc.status)
    if isinstance(made, dict):   # a redraw: the new task
        return console.done(_task_path(made["id"]), f"已新建重新抽取任务 {made['number']}（已计划），原任务保持不变。")
    return console.done(_task_path(key, anchor), notice)


@console.guarded("tasks.edit")
async def exclude(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _exclude, "已排除该单位，原因已记录。", "#exclusions")


@console.guarded("tasks.edit")
async def recuse(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _recuse, "已登记回避。", "#recusals")


@console.guarded("tasks.edit")
async def withdraw_exclusion(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _withdraw_exclusion, "已撤销该排除，单位重新计入抽查名录。", "#exclusions")


@console.guarded("tasks.edit")
async def withdraw_recusal(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _withdraw_recusal, "已撤销该回避登记。", "#recusals")


@console.guarded("tasks.edit")
async def redraw(request: Request, actor: Actor) -> Response:
    return await _change(request, actor, _redraw, "", "")


# --- after the draw: visits -------------------------------------------------------------------

@console.guarded("tasks.view")
async def task_visits(request: Request, actor: Actor) -> Response:
    key = request.path_params["key"]
    try:
        task = await db_of(request).read(plans.task_view, key)
        rows = await db_of(request).read(visits.task_visits, key)
    except NotFound as exc:
        return _missing(exc)
    by = "officer" if request.query_params.get("by") == "officer" else "unit"
    return console.render(request, actor, "console_tasks_visits.html", task=task, visits=rows, by=by,
                          officers=visits.by_officer(rows) if by == "officer" else [])


@console.guarded("tasks.view")
async def officers(request: Request, actor: Actor) -> Response:
    year = _year(request)
    rows = await db_of(request).read(visits.officers_of_year, year)
    return console.render(request, actor, "console_tasks_officers.html", year=year, officers=rows)


@console.guarded("tasks.view")
async def officer(request: Request, actor: Actor) -> Response:
    year = _year(request)
    try:
        person = await db_of(request).read(visits.officer_visits, request.path_params["user_id"], year)
    except NotFound as exc:
        return _missing(exc)
    return console.render(request, actor, "console_tasks_officer.html", year=year, person=person)


@console.guarded("tasks.view")
async def visit(request: Request, actor: Actor) -> Response:
    return await _visit(request, actor)


async def _visit(request: Request, actor: Actor, errors: dict | None = None, values: dict | None = None,
                 status: int = 200) -> Response:
    try:
        view = await db_of(request).read(visits.visit_view, request.path_params["visit_id"])
    except NotFound as exc:
        return _missing(exc)
    errors = errors or {}
    return console.render(request, actor, "console_tasks_visit.html", status=status, visit=view, errors=errors,
                          field_errors={k: v for k, v in errors.items() if k != "stale"}, values=values or {},
                          team_options=[(m["id"], f"{m['name']}（{m['id']}）") for m in view["team"]],
                          candidate_options=[(p["id"], f"{p['name']}（{p['id']}）") for p in view["candidates"]])


@console.guarded("assignments.reassign")
async def reassign(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    visit_id = request.path_params["visit_id"]
    version = form.get("version", "")
    try:
        await db_of(request).write(
            visits.reassign, visit_id, form.get("replaced", ""), form.get("replacement", ""), form.get("reason", ""),
            form.get("note", "")[:500], int(version) if version.isascii() and version.isdigit() else -1, actor.by)
    except NotFound as exc:
        return _missing(exc)
    except FieldErrors as exc:
        return await _visit(request, actor, exc.fields, form, status=exc.status)
    except (Stale, ApiError) as exc:   # the form is out of date, or the visit has a record by now
        return await _visit(request, actor, {"stale": exc.message_zh}, form, status=exc.status)
    return console.done(f"/office/tasks/visits/{quote(visit_id)}",
                        "已改派：新检查组成员的平板同步后收到该检查，被替换人员的平板同步后不再显示。")


ROUTES = [
    Route("/office/tasks", index),
    Route("/office/tasks/new", new_form), Route("/office/tasks/new", new_submit, methods=["POST"]),
    Route("/office/tasks/handed-down", handed_form),
    Route("/office/tasks/handed-down", handed_submit, methods=["POST"]),
    Route("/office/tasks/hand-down", below_form),
    Route("/office/tasks/hand-down", below_submit, methods=["POST"]),
    Route("/office/tasks/officers", officers),
    Route("/office/tasks/officers/{user_id}", officer),
    Route("/office/tasks/visits/{visit_id}", visit),
    Route("/office/tasks/visits/{visit_id}/reassign", reassign, methods=["POST"]),
    Route("/office/tasks/{key}", detail),
    Route("/office/tasks/{key}/exclusions", exclude, methods=["POST"]),
    Route("/office/tasks/{key}/exclusions/withdraw", withdraw_exclusion, methods=["POST"]),
    Route("/office/tasks/{key}/recusals", recuse, methods=["POST"]),
    Route("/office/tasks/{key}/recusals/withdraw", withdraw_recusal, methods=["POST"]),
    Route("/office/tasks/{key}/redraw", redraw, methods=["POST"]),
    Route("/office/tasks/{key}/arrange", arrange, methods=["POST"]),
    Route("/office/tasks/{key}/visits", task_visits),
]
