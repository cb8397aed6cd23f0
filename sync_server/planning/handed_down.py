"""Tasks handed down by a higher level (国抽、省抽、市抽: DOMAIN.md, exclusions).

The national level, the province or the city draws units of a county's registry in its own
task and hands them down: the county records the task as such (its origin, the issuing office,
the upper task's number and document) with the units drawn, sends its own officers, and the
visits go through the same chain as its own (feed, records, review, publication). The county does
not draw these units: they are in the state `handed_down` (上级下达), never announced or drawn
here, and its own draws of the same plan year leave those units out of their population
(plans.excluded_units), with the reason, frozen into the task's exclusions at the announcement so
that the public draw record says why each unit is missing (DRAW_SPEC.md §1: `units` are the
population after the plan's exclusions; the announcement's bytes are unchanged).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection
from sync_server.errors import BadRequest, Conflict, FieldErrors
from sync_server.planning import plans
from sync_server.planning.core.handed_down import ORIGINS, ListError, UnitRow, split_team, unit_rows
from sync_server.planning.queries import handed_down as hq, plans as q
from sync_server.planning.visits import place_visits
from sync_server.registry.imports import read_table, read_upload

STATE = "handed_down"


@dataclass(frozen=True)
class HandedDown:
    """What the upper level's document says, and the county's own task fields for it."""
    origin: str               # national, province or city
    office: str               # the issuing office, e.g. 国家卫生健康委 / 山东省卫生健康委员会
    upper_number: str         # the upper task's number
    document: str             # the document that hands it down (文号), may be empty
    year: int
    title: str
    specialties: tuple[str, ...]
    period_start: str
    period_end: str
    team_size: int = 2
    item_codes: tuple[str, ...] = ()
    number: str = ""          # the county's number for it; empty: the upper task's number


def read_units(path: Path) -> list[UnitRow]:
    """The upper level's unit list from a .csv or .xlsx file."""
    return _rows(*read_table(path))


def read_units_upload(filename: str, data: bytes) -> list[UnitRow]:
    """The same from an uploaded file (the office console)."""
    return _rows(*read_upload(filename, data))


def _rows(headers: list[str], rows: list[tuple[int, dict[str, Any]]]) -> list[UnitRow]:
    try:
        return unit_rows(headers, rows)
    except ListError as exc:
        raise BadRequest("handed_down.bad_list", str(exc), "；".join(exc.problems[:20]),
                         {"problems": exc.problems}) from exc


def record(conn: Connection, spec: HandedDown, units: Sequence[UnitRow], team: Sequence[str] = (),
           by: str | None = None, arrange: bool = True, sent_by: str = "") -> dict[str, Any]:
    """Record a handed-down task with its units and place their visits (one transaction: the
    caller's). Refused as a whole, nothing kept: an unknown origin, no issuing office or upper
    number, a unit not in the registry, a team short of the task's size or naming someone who is
    no active inspector with a valid certificate at the period's end. `arrange=False`: handed down
    by a parent office on the platform (`sent_by`: its code), which does not know the county's
    officers; the county names the team later (arrange_teams) and the visits are placed then."""
    _check_origin(spec)
    problems = _check_units(conn, spec, units, tuple(team), arrange)
    if problems:
        raise BadRequest("handed_down.bad_list", "; ".join(problems), "；".join(problems[:20]),
                         {"problems": problems})
    number = spec.number.strip() or spec.upper_number.strip()
    task = plans.add_task(conn, plans.TaskSpec(spec.year, number, spec.title, spec.specialties, spec.period_start,
                                               spec.period_end, None, None, spec.item_codes, spec.team_size),
                          by, with_strata=False)
    hq.set_task_origin(conn, task["id"], spec.origin, spec.office.strip(), spec.upper_number.strip(),
                       spec.document.strip(), STATE)
    hq.insert_units(conn, task["id"], [u.unit for u in units])
    now = utc_now()
    audit.append(conn, "task.handed_down", task["id"], now, number=number, origin=spec.origin,
                 office=spec.office.strip(), upper_number=spec.upper_number.strip(), units=len(units),
                 **({} if by is None else {"by": by}), **({"from_office": sent_by} if sent_by else {}))
    row = q.get_task_by_key(conn, task["id"])
    placed = place_visits(conn, row, [{"unit": u.unit, "team": list(u.team or team)} for u in units], now) \
        if arrange else {"visits_created": 0, "visits_joined": 0}
    return {**task, "state": STATE, "origin": spec.origin, "units": len(units), **placed}


def arrange_teams(conn: Connection, task_key: str, team: Sequence[str], by: str | None = None) -> dict[str, Any]:
    """Name the team for a handed-down task's units that have no visit yet, and place the visits."""
    task = plans.task_by_key(conn, task_key)
    if task["state"] != STATE:
        raise Conflict("handed_down.not_handed_down", "only a handed-down task's units are arranged here",
                       "只有上级下达任务需要在此安排检查组")
    waiting = hq.list_unarranged_units(conn, task["id"])
    if not waiting:
        raise Conflict("handed_down.arranged", "every unit has its visit", "该任务的单位均已安排检查")
    spec = HandedDown(task["origin"], task["origin_office"], task["origin_number"], task["origin_document"], 0,
                      task["title"], (task["specialty"],), task["period_start"], task["period_end"], task["team_size"])
    problems = _check_units(conn, spec, [UnitRow(0, u, ()) for u in waiting][:1], tuple(team), True)
    if problems:
        raise BadRequest("handed_down.bad_team", "; ".join(problems),
                         "；".join(p.split("：", 1)[-1] for p in problems), {"problems": problems})
    now = utc_now()
    placed = place_visits(conn, task, [{"unit": u, "team": list(team)} for u in waiting], now)
    audit.append(conn, "task.handed_down_arranged", task["id"], now, units=len(waiting), team=list(team),
                 **({} if by is None else {"by": by}))
    return {"task": task["id"], "units": len(waiting), **placed}


def _check_origin(spec: HandedDown) -> None:
    if spec.origin not in ORIGINS:
        raise BadRequest("handed_down.origin", f"origin is one of {sorted(ORIGINS)}",
                         "任务来源须为国家（国抽）、省级（省抽）或市级（市抽）")
    if not spec.office.strip():
        raise BadRequest("handed_down.office", "name the office that handed the task down", "请填写下达任务的上级机构名称")
    if not spec.upper_number.strip():
        raise BadRequest("handed_down.upper_number", "give the upper task's number", "请填写上级任务编号")


def _check_units(conn: Connection, spec: HandedDown, units: Sequence[UnitRow], team: tuple[str, ...],
                 with_team: bool = True) -> list[str]:
    if not units:
        return ["名单中没有单位"]
    known = hq.list_known_units(conn, (u.unit for u in units))
    people = {p for u in units for p in (u.team or team)}
    active = hq.list_active_inspectors(conn, people, spec.period_end)
    problems = []
    for u in units:
        where = f"第 {u.row} 行" if u.row else u.unit
        if u.unit not in known:
            problems.append(f"{where}：名录库中没有该单位 {u.unit}（上级抽取的单位须在本级名录库中）")
        if not with_team:
            continue
        members = u.team or team
        if len(members) < spec.team_size:
            problems.append(f"{where}：检查组 {len(members)} 人，少于 {spec.team_size} 人（请在名单中填写检查人员，"
                            "或为整个名单指定检查组）")
        missing = [p for p in members if p not in active]
        if missing:
            problems.append(f"{where}：{'、'.join(missing)} 不是在岗且执法证在任务期限内有效的执法人员")
    return problems


def unarranged(conn: Connection, task_id: str) -> list[str]:
    """A handed-down task's units still waiting for their team."""
    return hq.list_unarranged_units(conn, task_id)


def units_of(conn: Connection, task_id: str) -> list[dict[str, str]]:
    """A handed-down task's units with their names."""
    return [{"id": r["unit_id"], "name": r["name"]} for r in hq.list_units(conn, task_id)]


def refuse_draw(task: Any) -> None:
    """A handed-down task is never announced or drawn here (its draw was the upper level's)."""
    if task["state"] == STATE:
        raise Conflict("handed_down.no_draw", "a handed-down task is drawn by the level above",
                       "该任务由上级抽取后下达，本级不再公告和抽取；请按名单安排检查")


# --- the office console's form ------------------------------------------------------------------

FIELD_OF_CODE = {"task.exists": "number", "plan.specialty": "specialty", "plan.period": "period_end",
                 "plan.team_size": "team_size", "handed_down.origin": "origin", "handed_down.office": "office",
                 "handed_down.upper_number": "upper_number", "handed_down.bad_list": "file",
                 "import.empty": "file", "import.bad_xlsx": "file", "import.encoding": "file"}


def record_form(conn: Connection, fields: dict[str, str], upload: tuple[str, bytes] | None, year: int,
                by: str) -> dict[str, Any]:
    """The console's form (text fields, the uploaded list) checked into a HandedDown and recorded;
    every problem comes back beside its field (FieldErrors), nothing kept."""
    spec, team = form_spec(fields, upload, year)
    return _as_fields(lambda: record(conn, spec, read_units_upload(*upload), team, by))  # type: ignore[misc]


def form_spec(fields: dict[str, str], upload: tuple[str, bytes] | None, year: int, origin: str | None = None,
              office: str | None = None) -> tuple[HandedDown, tuple[str, ...]]:
    """The form's fields as a HandedDown and the default team, or FieldErrors. A parent office
    handing a task down gives `origin` (its level) and `office` (its name) itself."""
    errors: dict[str, str] = {}
    text = {k: " ".join(str(fields.get(k, "")).split()) for k in
            ("origin", "office", "upper_number", "document", "number", "title", "specialty", "period_start",
             "period_end", "team", "team_size")}
    text["origin"], text["office"] = origin or text["origin"], office or text["office"]
    for key, label in (("office", "下达机构"), ("upper_number", "上级任务编号"), ("title", "任务名称")):
        if not text[key]:
            errors[key] = f"请填写{label}"
    if text["origin"] not in ORIGINS:
        errors["origin"] = "请选择任务来源"
    for key in ("period_start", "period_end"):
        if not _iso_day(text[key], year):
            errors[key] = f"请填写 {year} 年内的日期"
    size = int(text["team_size"]) if text["team_size"].isascii() and text["team_size"].isdigit() else 0
    if not 2 <= size <= 10:
        errors["team_size"] = "每组执法人员数须为 2 至 10 的整数（检查组至少两名执法人员）"
    if upload is None:
        errors["file"] = "请选择上级下达的单位名单（.xlsx 或 .csv）"
    if errors:
        raise FieldErrors(errors)
    return (HandedDown(text["origin"], text["office"][:120], text["upper_number"][:60], text["document"][:120], year,
                       text["title"][:120], (text["specialty"],), text["period_start"], text["period_end"], size,
                       number=text["number"][:60]), split_team(text["team"]))


def hand_down_below(conn: Connection, spec: HandedDown, upload: tuple[str, bytes], by: str,
                    sent_by: str) -> dict[str, Any]:
    """A parent office's form, written into a child office's database (the caller's write on the
    child's): the task and its units; the child names the teams (arrange_teams)."""
    return _as_fields(lambda: record(conn, spec, read_units_upload(*upload), (), by, arrange=False, sent_by=sent_by))


def arrange_form(conn: Connection, task_key: str, fields: dict[str, str], by: str) -> dict[str, Any]:
    team = split_team(fields.get("team", ""))
    try:
        return arrange_teams(conn, task_key, team, by)
    except BadRequest as exc:
        raise FieldErrors({"team": exc.message_zh}) from exc


def _as_fields(call: Any) -> dict[str, Any]:
    try:
        return call()
    except (BadRequest, Conflict) as exc:
        field = FIELD_OF_CODE.get(exc.code)
        if field is None:
            raise
        raise FieldErrors({field: exc.message_zh}) from exc


def _iso_day(text: str, year: int) -> bool:
    try:
        return date.fromisoformat(text).year == year and len(text) == 10
    except ValueError:
        return False
