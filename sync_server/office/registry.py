"""The console's 一单两库 section: import the item list and the two registries (upload, preview,
confirm), browse and search units and officers, edit one, and the item list's versions.

Handlers are thin: the services are registry/staging.py (the two-step import), registry/edits.py
(one unit or officer) and registry/browse.py (lists, versions, differences); the CLI's imports use
the same reading and checking (registry/imports.py).
"""
from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from schemas.specialties import RISK_CLASSES, SPECIALTIES
from sync_server.errors import BadRequest, Conflict, FieldErrors, Stale
from sync_server.office import console
from sync_server.office.console import Actor
from sync_server.registry import browse, edits, staging
from sync_server.registry.core.changes import labels
from sync_server.registry.core.forms import form_values
from sync_server.web.scope import db_of

UPLOAD_LIMIT = 64 * 1024 * 1024        # the console's multipart limit (console.upload's default)
ERRORS_PAGE = 100
AFTER_IMPORT = {"units": "/office/units", "inspectors": "/office/officers", "items": "/office/items"}
UNIT_FIELDS = labels("units")
OFFICER_FIELDS = labels("inspectors")


def _int(value: str, default: int = 1) -> int:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else default


@console.guarded("registry.view")
async def index(request: Request, actor: Actor) -> Response:
    return await _index(request, actor)


async def _index(request: Request, actor: Actor, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    overview = await db_of(request).read(browse.overview)
    return console.render(request, actor, "console_registry.html", status=status, overview=overview,
                          kinds=staging.KINDS, errors=errors or {}, limit_mb=UPLOAD_LIMIT >> 20)


@console.guarded("registry.import")
async def upload(request: Request, actor: Actor) -> Response:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await _index(request, actor, {"kind": "请在本页选择文件后上传"}, status=422)
    fields, files = await console.upload(request, UPLOAD_LIMIT)
    kind = fields.get("kind", "")
    if kind not in staging.KINDS:
        return await _index(request, actor, {"kind": "请选择要导入的名录或清单"}, status=422)
    if "file" not in files or not files["file"][1]:
        return await _index(request, actor, {f"file-{kind}": "请选择要导入的 .xlsx 或 .csv 文件（文件不能为空）"}, 422)
    filename, data = files["file"]
    try:
        prepared = await db_of(request).read(staging.prepare, kind, filename, data)
    except BadRequest as exc:
        return await _index(request, actor, {f"file-{kind}": exc.message_zh}, status=exc.status)
    staged_id = await db_of(request).write(staging.stage, prepared, actor.id)
    return RedirectResponse(f"/office/registry/imports/{staged_id}", status_code=303)


@console.guarded("registry.import")
async def preview(request: Request, actor: Actor) -> Response:
    return await _preview(request, actor)


async def _preview(request: Request, actor: Actor, refused: str = "", status: int = 200) -> Response:
    db, staged_id = db_of(request), request.path_params["id"][:64]
    staged = await db.read(staging.load, staged_id, actor.id)
    pages = max(1, -(-staged["summary"]["errors"] // ERRORS_PAGE))
    page = min(_int(request.query_params.get("page", "1")), pages)
    errors = await db.read(staging.errors_page, staged_id, page, ERRORS_PAGE)
    return console.render(request, actor, "console_registry_preview.html", status=status, staged=staged,
                          s=staged["summary"], row_errors=errors, page=page, pages=pages, refused=refused)


@console.guarded("registry.import")
async def apply(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    try:
        staged = await db_of(request).read(staging.load, request.path_params["id"][:64], actor.id)
        result = await db_of(request).write(staging.confirm, staged["id"], actor.id, form.get("sha256", ""),
                                                  actor.by)
    except (Stale, Conflict) as exc:
        return await _preview(request, actor, refused=exc.message_zh, status=exc.status)
    if result.version:
        notice = f"已导入{staged['label']}第 {result.version} 版（共 {result.inserted} 项）。"
    else:
        notice = f"已导入{staged['label']}：新增 {result.inserted}、更新 {result.updated}。"
    return console.done(AFTER_IMPORT[staged["kind"]], notice)


@console.guarded("registry.view")
async def units(request: Request, actor: Actor) -> Response:
    p = request.query_params
    filters = {k: p.get(k, "")[:100] for k in ("q", "specialty", "town", "category")}
    db = db_of(request)
    found = await db.read(browse.units, filters["q"], filters["specialty"], filters["town"], filters["category"],
                          _int(p.get("page", "1")))
    return console.render(request, actor, "console_registry_units.html", found=found, filters=filters,
                          options=await db.read(browse.unit_filters), risks=RISK_CLASSES)


@console.guarded("registry.view")
async def unit(request: Request, actor: Actor) -> Response:
    row = await db_of(request).read(edits.unit, request.path_params["id"][:64])
    return console.render(request, actor, "console_registry_unit.html", unit=row, risks=RISK_CLASSES,
                          history=await db_of(request).read(browse.history, row["id"]), field_labels=UNIT_FIELDS)


@console.guarded("registry.edit")
async def unit_form(request: Request, actor: Actor) -> Response:
    row = await db_of(request).read(edits.unit, request.path_params["id"][:64])
    return _unit_form(request, actor, row, form_values("units", row), {})


def _unit_form(request: Request, actor: Actor, row: dict[str, Any] | None, values: dict[str, Any],
               errors: dict[str, str], status: int = 200) -> Response:
    return console.render(request, actor, "console_registry_unit_form.html", status=status, unit=row,
                          values=values, errors=errors, labels=UNIT_FIELDS, specialties=list(SPECIALTIES.items()),
                          risks=[(c, f"{c}（{t}）") for c, t in RISK_CLASSES.items()])


@console.guarded("registry.edit")
async def unit_save(request: Request, actor: Actor) -> Response:
    form, db, unit_id = await console.form(request), db_of(request), request.path_params["id"][:64]
    try:
        changed = await db.write(edits.edit_unit, unit_id, form, form.get("version", ""), actor.by)
    except (FieldErrors, Stale) as exc:
        row = await db.read(edits.unit, unit_id)
        errors = _named(exc, UNIT_FIELDS)
        return _unit_form(request, actor, row, {**form, "id": unit_id}, errors, exc.status)
    notice = "已保存：" + "、".join(UNIT_FIELDS[f] for f in changed) + "。" if changed else "没有改动，未保存。"
    return console.done(f"/office/units/{unit_id}", notice)


@console.guarded("registry.edit")
async def unit_new(request: Request, actor: Actor) -> Response:
    return _unit_form(request, actor, None, {"covered": "是", "risk": "A"}, {})


@console.guarded("registry.edit")
async def unit_add(request: Request, actor: Actor) -> Response:
    form = await console.form(request)
    try:
        unit_id = await db_of(request).write(edits.add_unit, form, actor.by)
    except FieldErrors as exc:
        return _unit_form(request, actor, None, form, _named(exc, UNIT_FIELDS), exc.status)
    return console.done(f"/office/units/{unit_id}", "已新增该单位。")


def _named(exc: FieldErrors | Stale, names: dict[str, str]) -> dict[str, str]:
    """Each reason with its field's name, so the summary above the form reads on its own."""
    if isinstance(exc, Stale):
        return {"version": exc.message_zh}
    return {field: f"{names.get(field, field)}：{reason}" for field, reason in exc.fields.items()}


@console.guarded("registry.view")
async def officers(request: Request, actor: Actor) -> Response:
    p = request.query_params
    filters = {k: p.get(k, "")[:100] for k in ("q", "department", "specialty", "expiring")}
    db = db_of(request)
    found = await db.read(browse.officers, filters["q"], filters["department"], filters["specialty"],
                          filters["expiring"] == "1", _int(p.get("page", "1")))
    return console.render(request, actor, "console_registry_officers.html", found=found, filters=filters,
                          options=await db.read(browse.officer_filters))


@console.guarded("registry.view")
async def officer(request: Request, actor: Actor) -> Response:
    row = await db_of(request).read(edits.officer, request.path_params["id"][:64])
    return console.render(request, actor, "console_registry_officer.html", officer=browse.with_certificate(row),
                          history=await db_of(request).read(browse.history, row["id"]),
                          field_labels=OFFICER_FIELDS)


@console.guarded("registry.edit")
async def officer_form(request: Request, actor: Actor) -> Response:
    row = await db_of(request).read(edits.officer, request.path_params["id"][:64])
    return _officer_form(request, actor, row, form_values("inspectors", row), {})


def _officer_form(request: Request, actor: Actor, row: dict[str, Any], values: dict[str, Any],
                  errors: dict[str, str], status: int = 200) -> Response:
    return console.render(request, actor, "console_registry_officer_form.html", status=status, officer=row,
                          values=values, errors=errors, labels=OFFICER_FIELDS)


@console.guarded("registry.edit")
async def officer_save(request: Request, actor: Actor) -> Response:
    form, db, officer_id = await console.form(request), db_of(request), request.path_params["id"][:64]
    try:
        changed = await db.write(edits.edit_officer, officer_id, form, form.get("version", ""), actor.by)
    except (FieldErrors, Stale) as exc:
        row = await db.read(edits.officer, officer_id)
        errors = _named(exc, OFFICER_FIELDS)
        return _officer_form(request, actor, row, form, errors, exc.status)
    notice = "已保存：" + "、".join(OFFICER_FIELDS[f] for f in changed) + "。" if changed else "没有改动，未保存。"
    return console.done(f"/office/officers/{officer_id}", notice)


@console.guarded("registry.view")
async def items(request: Request, actor: Actor) -> Response:
    db = db_of(request)
    versions = await db.read(browse.item_versions)
    shown = _int(request.query_params.get("version", ""), versions[0]["version"] if versions else 0)
    version, rows = await db.read(browse.items_of, shown) if versions else ({}, [])
    return console.render(request, actor, "console_registry_items.html", versions=versions, version=version,
                          items=rows)


@console.guarded("registry.view")
async def item_diff(request: Request, actor: Actor) -> Response:
    p = request.query_params
    old, new = _int(p.get("from", ""), 0), _int(p.get("to", ""), 0)
    if not old or not new or old == new:
        raise BadRequest("registry.diff", "two different versions", "请选择两个不同的版本进行比较。")
    shown = await db_of(request).read(browse.item_diff, old, new)
    return console.render(request, actor, "console_registry_diff.html", labels=labels("items"), **shown)


ROUTES = [
    Route("/office/registry", index),
    Route("/office/registry/import", upload, methods=["POST"]),
    Route("/office/registry/imports/{id}", preview),
    Route("/office/registry/imports/{id}/apply", apply, methods=["POST"]),
    Route("/office/units", units),
    Route("/office/units/new", unit_new), Route("/office/units/new", unit_add, methods=["POST"]),
    Route("/office/units/{id}", unit),
    Route("/office/units/{id}/edit", unit_form), Route("/office/units/{id}/edit", unit_save, methods=["POST"]),
    Route("/office/officers", officers),
    Route("/office/officers/{id}", officer),
    Route("/office/officers/{id}/edit", officer_form),
    Route("/office/officers/{id}/edit", officer_save, methods=["POST"]),
    Route("/office/items", items),
    Route("/office/items/diff", item_diff),
]
