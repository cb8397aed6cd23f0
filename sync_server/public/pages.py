"""The public pages: home, item list, plans, tasks with their draws, how to verify.

Handlers are thin: read, shape, render. Nothing personal is shown beyond what a draw publishes
(a drawn team's names and certificate numbers, a draw's witnesses' names and roles); no photos, no phone numbers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from schemas.jcs import canonicalize
from schemas.specialties import SPECIALTIES
from sync_server.db import Connection
from sync_server.errors import NotFound
from sync_server.planning import plan_documents
from sync_server.planning.core.handed_down import source_text
from sync_server.planning.core.plan_document import paragraphs
from sync_server.planning.plans import EXCLUSION_REASONS
from sync_server.web.render import CACHE, page, refusal
from sync_server.public import queries as q
from sync_server.web.scope import db_of

VERIFIER = Path(__file__).resolve().parents[2] / "verifier" / "ssj_verify.py"
ENTRY_CHECKER = VERIFIER.with_name("ssj_check_entry.py")
MONITOR = VERIFIER.with_name("ssj_monitor.py")    # imports ssj_check_entry.py: download both
STATIC = Path(__file__).parents[1] / "web" / "static"
STATIC_TYPES = {"site.css": "text/css; charset=utf-8", "console.css": "text/css; charset=utf-8",
                "NotoSansSC-Subset.otf": "font/otf", "verify.js": "text/javascript; charset=utf-8",
                "print.js": "text/javascript; charset=utf-8", "witness.js": "text/javascript; charset=utf-8",
                "drawcheck.js": "text/javascript; charset=utf-8", "console_tasks.css": "text/css; charset=utf-8"}
FILES = ("announcement", "reveal", "result")


def _ascii_number(raw: str | None, digits: str) -> int | None:
    """A query or path number in ASCII digits only ('²' and '２' are digits to str.isdigit)."""
    return int(raw) if raw is not None and re.fullmatch(f"[0-9]{{{digits}}}", raw) else None


async def home(request: Request) -> HTMLResponse:
    return page("home.html")


async def items(request: Request) -> HTMLResponse:
    specialty = request.query_params.get("specialty") or None
    raw_version = request.query_params.get("version") or None
    if specialty is not None and specialty not in SPECIALTIES:
        return refusal(400, "专业不存在", "筛选的专业代码不存在，请从列表中选择。")
    version = _ascii_number(raw_version, "1,9")
    if raw_version is not None and version is None:
        return refusal(400, "版本号无效", "版本号应为正整数。")
    found = await db_of(request).read(_items, specialty, version)
    if found is None:
        return refusal(404, "没有该版本", "抽查事项清单没有这一版本。")
    return page("items.html", specialty=specialty, specialty_name=SPECIALTIES.get(specialty or "", ""),
                specialties=list(SPECIALTIES.items()), **found)


def _items(conn: Connection, specialty: str | None, version: int | None) -> dict[str, Any] | None:
    latest = q.latest_item_version(conn)
    wanted = version if version is not None else latest
    versions = q.list_item_versions(conn)
    if version is not None and version not in {v["version"] for v in versions}:
        return None
    dates = {v["version"]: v["imported_at"] for v in versions}
    return {"version": wanted, "current": wanted == latest, "versions": versions, "date": dates.get(wanted),
            "items": [_scoped(row) for row in q.list_items(conn, wanted, specialty)] if wanted else []}


def _scoped(row: Any) -> dict[str, Any]:
    """An item with its 适用范围 as a list (stored as JSON; empty: every unit of the specialty)."""
    return {**{key: row[key] for key in row.keys()}, "applies_to": json.loads(row["applies_to"])}


async def plans(request: Request) -> HTMLResponse:
    return page("plans.html", plans=await db_of(request).read(q.list_plans))


async def plan(request: Request) -> HTMLResponse:
    raw = request.path_params["year"]
    year = _ascii_number(raw, "4")
    found = None if year is None else await db_of(request).read(_plan, year)
    if found is None:
        return refusal(404, "没有该年度计划", f"没有 {raw[:8]} 年度的抽查计划。")
    return page("plan.html", **found)


def _plan(conn: Connection, year: int) -> dict[str, Any] | None:
    row = q.get_plan_by_year(conn, year)
    if row is None:
        return None
    tasks = [{**dict(t), "specialty_names": _specialty_names(t["specialties"], t["specialty"])}
             for t in q.list_tasks_by_plan(conn, row["id"])]
    versions = plan_documents.public_versions(conn, row["id"])
    current = versions[0] if versions else None
    return {"plan": row, "tasks": tasks, "versions": versions, "current": current,
            "paragraphs": paragraphs(current["body"]) if current else []}


async def plan_version(request: Request) -> HTMLResponse:
    """One published version of a year's plan, as it was published (every version stays public)."""
    found = await _version_found(request)
    if found is None:
        return refusal(404, "没有该版本", "该年度计划没有这一已公布的版本。")
    plan, version, latest = found
    tasks = [{**t, "specialty_names": "、".join(SPECIALTIES.get(c, c) for c in t["specialties"])}
             for t in plan_documents.version_tasks(version)]
    return page("plan_version.html", plan=plan, version=version, latest=latest, tasks=tasks,
                paragraphs=paragraphs(version["body"]))


async def plan_version_file(request: Request) -> Response:
    """A published version's canonical JSON: the bytes its SHA-256 covers."""
    found = await _version_found(request)
    if found is None:
        raise NotFound("plan.no_version", "no such published version", "该年度计划没有这一已公布的版本")
    plan, version, _ = found
    return Response(bytes(version["content"]), media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="plan-{plan["year"]}-v{version["version"]}.json"', **CACHE})


async def _version_found(request: Request) -> tuple[Any, Any, int] | None:
    year = _ascii_number(request.path_params["year"], "4")
    number = _ascii_number(request.path_params["version"], "1,6")
    if year is None or number is None:
        return None
    return await db_of(request).read(_version, year, number)


def _version(conn: Connection, year: int, number: int) -> tuple[Any, Any, int] | None:
    plan = q.get_plan_by_year(conn, year)
    version = None if plan is None else plan_documents.published_version(conn, plan["id"], number)
    if plan is None or version is None:
        return None
    return plan, version, plan_documents.public_versions(conn, plan["id"])[0]["version"]


def _specialty_names(specialties: str, first: str) -> str:
    codes = json.loads(specialties) or [first]
    return "、".join(SPECIALTIES.get(c, c) for c in codes)


async def task(request: Request) -> HTMLResponse:
    found = await db_of(request).read(_task, request.path_params["task_id"][:64])
    if found is None:
        return refusal(404, "没有该任务", "没有该抽查任务。")
    return page("task.html", **found)


def _task(conn: Connection, task_id: str) -> dict[str, Any] | None:
    row = q.get_task_with_draw(conn, task_id)
    if row is None:
        return None
    announcement = json.loads(bytes(row["announcement"])) if row["announcement"] else {}
    result = json.loads(bytes(row["result"])) if row["result"] else None
    picks = (result["selected"] + result["unmatched"]) if result else []
    resolutions = {r["unit_id"]: {"team": json.loads(r["team"]), "reason": r["reason"], "at": r["resolved_at"]}
                   for r in q.list_resolutions_by_task(conn, row["id"])}
    people = sorted({p for s in picks for p in s.get("team", [])} | {p for r in resolutions.values() for p in r["team"]})
    return {"task": row, "source": source_text(row["origin"], row["origin_office"], row["origin_number"],
                                               row["origin_document"]),
            "exclusions": [{**dict(e), "reason_zh": EXCLUSION_REASONS.get(e["reason"], e["reason"])}
                           for e in q.list_exclusions_by_task(conn, row["id"])] if row["announcement"] else [],
            "handed_units": q.list_handed_down_units(conn, row["id"]) if row["origin"] != "own" else [], "strata": json.loads(row["strata"]), "commitments": announcement.get("commitments", []),
            "witnesses": [dict(w) for w in q.list_witnesses_by_task(conn, row["id"])] if row["announcement"] else [],
            "resolutions": resolutions,
            "weights": json.loads(row["risk_weights"]) if row["risk_weights"] else None,
            "specialty_names": _specialty_names(row["specialties"], row["specialty"]),
            "reveal": json.loads(bytes(row["reveal"])) if row["reveal"] else None, "result": result,
            "units": q.names_by_ids(conn, "units", [p["unit"] for p in picks]),
            "people": q.names_by_ids(conn, "users", people)}


async def download(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FILES:
        raise NotFound("draw.no_file", "no such file", "没有该文件")
    row = await db_of(request).read(q.get_task_with_draw, request.path_params["task_id"][:64])
    body = None if row is None else row[name]
    if body is None:
        raise NotFound("draw.no_file", f"{name}.json is not published yet", "该文件尚未公布")
    return Response(bytes(body), media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{row["id"]}-{name}.json"', **CACHE})


async def ceremony_file(request: Request) -> Response:
    """The ceremony's published metadata beside the announcement (whose bytes DRAW_SPEC fixes): the
    witnesses by name and role with their commitments, in the announcement's order, and how a
    person resolved each unmatched unit, with the reason."""
    found = await db_of(request).read(_ceremony, request.path_params["task_id"][:64])
    if found is None:
        raise NotFound("draw.no_file", "the task is not announced yet", "该任务尚未发布抽取公告")
    return Response(canonicalize(found), media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{found["task"]}-ceremony.json"', **CACHE})


def _ceremony(conn: Connection, task_id: str) -> dict[str, Any] | None:
    row = q.get_task_with_draw(conn, task_id)
    if row is None or row["announcement"] is None:
        return None
    return {"task": row["id"], "number": row["number"], "announcement_hash": row["announcement_hash"],
            "beacon": row["beacon"], "beacon_at": row["beacon_at"],
            "witnesses": [{"name": w["name"], "role": w["role"], "commitment": w["commitment"],
                           "committed_at": w["committed_at"]} for w in q.list_witnesses_by_task(conn, row["id"])],
            "resolutions": [{"unit": r["unit_id"], "team": json.loads(r["team"]), "reason": r["reason"],
                             "resolved_at": r["resolved_at"]} for r in q.list_resolutions_by_task(conn, row["id"])]}


async def verify(request: Request) -> HTMLResponse:
    return page("verify.html")


async def verifier(request: Request) -> Response:
    if not VERIFIER.exists():
        raise NotFound("draw.no_file", "the verifier is not installed here", "核验程序未随本服务安装")
    return FileResponse(VERIFIER, media_type="text/x-python; charset=utf-8", filename="ssj_verify.py")


async def entry_checker(request: Request) -> Response:
    return _script(ENTRY_CHECKER)


async def log_monitor(request: Request) -> Response:
    return _script(MONITOR)


def _script(path: Path) -> Response:
    """A standalone verifier script, as a download (the public checks what this server says)."""
    if not path.exists():
        raise NotFound("draw.no_file", f"{path.name} is not installed here", "核验程序未随本服务安装")
    return FileResponse(path, media_type="text/x-python; charset=utf-8", filename=path.name)


async def static_file(request: Request) -> Response:
    """The stylesheet and the pages' scripts (files: the Content-Security-Policy allows no inline script)."""
    name = request.path_params["name"]
    if name not in STATIC_TYPES:
        raise NotFound("request.not_found", "no such file", "没有该地址")
    # The console's font (3.4 MB, the tablet's own subset) changes only with a release: kept a day.
    headers = {"Cache-Control": "public, max-age=86400"} if name.endswith(".otf") else CACHE
    return FileResponse(STATIC / name, media_type=STATIC_TYPES[name], headers=headers)
