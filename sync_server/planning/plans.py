"""Annual plans and their tasks: strata from the ratio rule, risk weights, exclusions, redraws."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sync_server.audit import service as audit
from schemas.clock import utc_now
from sync_server.db import Connection, Row
from sync_server.planning.core.handed_down import ORIGIN_SHORT, source_text
from sync_server.planning.core.sampling import (SamplingError, StratumPreview, allowed_ratios, in_specialty,
                                                preview_strata, strata_for)
from schemas.specialties import RISK_CLASSES, SPECIALTIES
from sync_server.errors import BadRequest, Conflict, NotFound
from sync_server.planning.queries import handed_down as hq, plans as q
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users

EXCLUSION_REASONS = {"higher_level_sampling": "已列入国家/省/市本年度抽查", "not_covered": "法律法规未覆盖",
                     "other": "其他"}
RECUSAL_REASONS = {"recusal": "回避（利害关系）", "rotation": "轮换"}


@dataclass(frozen=True)
class TaskSpec:
    year: int
    number: str
    title: str
    specialties: tuple[str, ...]
    period_start: str
    period_end: str
    ratio_percent: int | None = None
    risk_weights: dict[str, int] | None = None
    item_codes: tuple[str, ...] = ()
    team_size: int = 2
    redraw_of: str | None = None
    reason: str = ""


def ensure_plan(conn: Connection, year: int, title: str | None = None) -> str:
    plan = q.get_plan_by_year(conn, year)
    if plan is not None:
        return plan["id"]
    plan_id = f"plan-{year}"
    registry.insert_plan(conn, {"id": plan_id, "year": year,
                                "title": title or f"{year}年度“双随机、一公开”抽查工作计划"}, utc_now())
    audit.append(conn, "plan.created", plan_id, utc_now(), year=year)
    return plan_id


def _by(by: str | None) -> dict[str, str]:
    """The person behind a change, for the audit entry (the CLI has none: the shell's user ran it)."""
    return {} if by is None else {"by": by}


def add_task(conn: Connection, spec: TaskSpec, by: str | None = None, with_strata: bool = True) -> dict[str, Any]:
    """A planned task (with_strata=False: a handed-down task, whose population was the upper level's)."""
    _check_spec(spec)
    if q.get_task_by_key(conn, spec.number) is not None:
        raise Conflict("task.exists", f"task {spec.number} exists", f"任务编号 {spec.number} 已存在")
    plan_id = ensure_plan(conn, spec.year)
    task_id = f"T{spec.year}-{len(q.list_tasks(conn)) + 1:02d}"
    items = list(spec.item_codes) or q.list_item_codes_by_specialties(conn, spec.specialties)
    strata = [s.as_json() for s in compute_strata(conn, task_id, spec.specialties, spec.ratio_percent,
                                                  spec.year)] if with_strata else []
    task = {"id": task_id, "plan_id": plan_id, "number": spec.number, "title": spec.title,
            "specialty": spec.specialties[0], "specialties": list(spec.specialties), "item_codes": items,
            "ratio_percent": spec.ratio_percent or 0, "team_size": spec.team_size,
            "period_start": spec.period_start, "period_end": spec.period_end, "strata": strata,
            "risk_weights": spec.risk_weights, "item_version": None, "redraw_of": spec.redraw_of,
            "reason": spec.reason, "created_at": utc_now()}
    q.insert_task_row(conn, task)
    audit.append(conn, "task.created", task_id, task["created_at"], number=spec.number, redraw_of=spec.redraw_of,
                 **_by(by))
    return task


def _check_spec(spec: TaskSpec) -> None:
    unknown = [s for s in spec.specialties if s not in SPECIALTIES]
    if not spec.specialties or unknown:
        raise BadRequest("plan.specialty", f"unknown specialties {unknown}", f"专业代码无效：{'、'.join(unknown)}")
    if spec.risk_weights is not None and (set(spec.risk_weights) != set(RISK_CLASSES)
                                          or min(spec.risk_weights.values()) < 1):
        raise BadRequest("plan.risk_weights", "give a positive weight for each of A, B, C, D",
                         "风险权重须为 A、B、C、D 四类各给一个正整数")
    if spec.team_size < 2:
        raise BadRequest("plan.team_size", "a team has at least two officers", "检查组至少两名执法人员")
    if not spec.period_start <= spec.period_end:
        raise BadRequest("plan.period", "the period ends before it starts", "任务期限的结束日期早于开始日期")


def compute_strata(conn: Connection, task_id: str, specialties: tuple[str, ...] | list[str],
                   ratio_percent: int | None, year: int | None = None) -> list:
    """The strata as the registry stands now (recomputed and frozen at the announcement)."""
    members = population(conn, task_id, specialties)
    sizes = {code: sum(1 for s in members.values() if s == code) for code in specialties}
    excluded = _excluded(conn, task_id, year)
    eligible = {code: sum(1 for uid, s in members.items() if s == code and uid not in excluded)
                for code in specialties}
    try:
        return strata_for(list(specialties), sizes, eligible, ratio_percent)
    except SamplingError as exc:
        raise BadRequest(exc.code, exc.message, exc.message_zh) from exc


def population(conn: Connection, task_id: str, specialties: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Covered units of the task's specialties → the stratum (specialty) each first falls in."""
    members: dict[str, str] = {}
    for row in q.list_units_for_population(conn):
        if not row["covered"]:
            continue
        tags = json.loads(row["tags"])
        code = next((c for c in specialties if in_specialty(row["specialty"], tags, c)), None)
        if code is not None:
            members[row["id"]] = code
    return members


def _excluded(conn: Connection, task_id: str, year: int | None = None) -> set[str]:
    return set(excluded_units(conn, task_id, year))


def excluded_units(conn: Connection, task_id: str, year: int | None = None) -> dict[str, dict[str, Any]]:
    """The units a task leaves out of its population → reason, reason_zh, note, handed_down: its
    own exclusions, and while it is planned every unit of a task handed down by a higher level in
    the same plan year (DOMAIN.md: not drawn again; frozen into its exclusions at the announcement
    by freeze_handed_down). `year` for a task not saved yet (the new task's preview)."""
    out = {row["unit_id"]: {"reason": row["reason"], "reason_zh": EXCLUSION_REASONS.get(row["reason"], row["reason"]),
                            "note": row["note"], "handed_down": False}
           for row in (q.list_task_exclusions(conn, task_id) if task_id else [])}
    task = q.get_task_by_key(conn, task_id) if task_id else None
    if task is not None and task["state"] != "planned":
        return out
    year = hq.plan_year_of_task(conn, task_id) if task is not None else year
    if year is None:
        return out
    for row in hq.list_units_of_year(conn, year, task_id):
        out.setdefault(row["unit_id"], {"reason": "higher_level_sampling",
                                        "reason_zh": EXCLUSION_REASONS["higher_level_sampling"],
                                        "note": handed_down_note(row), "handed_down": True})
    return out


def handed_down_note(row: Row) -> str:
    """Why a unit is left out: the handed-down task that holds it (国抽 任务编号（下达机构）)."""
    short = {"national": "国抽", "province": "省抽", "city": "市抽"}.get(row["origin"], row["origin"])
    upper = f"，上级编号 {row['origin_number']}" if row["origin_number"] and row["origin_number"] != row["number"] else ""
    return f"已列入{short}任务 {row['number']}（{row['origin_office']}{upper}）"


def freeze_handed_down(conn: Connection, task_id: str, specialties: list[str]) -> int:
    """At the announcement: the handed-down units in the task's population become the task's own
    exclusions (reason higher_level_sampling, the handed-down task named in the note), so that what
    the announcement left out stays published with its reason whatever is handed down later."""
    members = population(conn, task_id, specialties)
    frozen = 0
    for unit, why in excluded_units(conn, task_id).items():
        if why["handed_down"] and unit in members:
            q.insert_task_exclusion(conn, task_id, unit, why["reason"], why["note"])
            frozen += 1
    return frozen


def preview(conn: Connection, specialties: tuple[str, ...] | list[str], ratio_percent: int | None,
            task_id: str | None = None, year: int | None = None) -> dict[str, Any]:
    """What a task would draw as the registry stands now, before it is saved: each stratum's
    population, eligible units (less the task's exclusions), band, suggested and chosen sizes,
    and the ratios one task-wide override may take."""
    members = population(conn, task_id or "", specialties)
    sizes = {code: sum(1 for s in members.values() if s == code) for code in specialties}
    excluded = _excluded(conn, task_id or "", year)
    eligible = {code: sum(1 for uid, s in members.items() if s == code and uid not in excluded)
                for code in specialties}
    strata: list[StratumPreview] = preview_strata(list(specialties), sizes, eligible, ratio_percent)
    return {"strata": strata, "allowed": allowed_ratios(sizes.values())}


def exclude_unit(conn: Connection, task_key: str, unit_id: str, reason: str, note: str,
                 by: str | None = None) -> None:
    task = planned_task(conn, task_key)
    if reason not in EXCLUSION_REASONS:
        raise BadRequest("plan.exclusion_reason", f"reason is one of {sorted(EXCLUSION_REASONS)}", "排除原因无效")
    if registry.get_unit_by_id(conn, unit_id) is None:
        raise NotFound("unit.unknown", f"no unit {unit_id}", f"名录库中没有该单位：{unit_id}")
    if unit_id not in population(conn, task["id"], json.loads(task["specialties"])):
        raise BadRequest("plan.unit_not_in_population", f"unit {unit_id} is not in the task's population",
                         f"该单位不在本任务的抽查名录内（专业不符或不在监管范围）：{unit_id}")
    q.insert_task_exclusion(conn, task["id"], unit_id, reason, note)
    audit.append(conn, "task.unit_excluded", task["id"], utc_now(), unit=unit_id, reason=reason, **_by(by))


def recuse(conn: Connection, task_key: str, inspector: str, unit_id: str, reason: str,
           by: str | None = None) -> None:
    task = planned_task(conn, task_key)
    if reason not in RECUSAL_REASONS:
        raise BadRequest("plan.recusal_reason", "reason is recusal or rotation", "回避原因只能是 recusal 或 rotation")
    person = users.get_user_by_id(conn, inspector)
    if person is None or person["role"] != "inspector":
        raise NotFound("inspector.unknown", f"no inspector {inspector}", f"执法人员库中没有该执法人员：{inspector}")
    if registry.get_unit_by_id(conn, unit_id) is None:
        raise NotFound("unit.unknown", f"no unit {unit_id}", f"名录库中没有该单位：{unit_id}")
    q.insert_draw_exclusion(conn, task["id"], inspector, unit_id, reason)
    audit.append(conn, "task.inspector_excluded", task["id"], utc_now(), inspector=inspector, unit=unit_id,
                 reason=reason, **_by(by))


def withdraw_exclusion(conn: Connection, task_key: str, unit_id: str, by: str | None = None) -> None:
    """An exclusion entered by mistake, withdrawn while the task is planned (logged)."""
    task = planned_task(conn, task_key)
    if not q.delete_task_exclusion(conn, task["id"], unit_id):
        raise NotFound("unit.unknown", f"unit {unit_id} is not excluded", f"该单位不在本任务的排除名单中：{unit_id}")
    audit.append(conn, "task.unit_exclusion_withdrawn", task["id"], utc_now(), unit=unit_id, **_by(by))


def withdraw_recusal(conn: Connection, task_key: str, inspector: str, unit_id: str, by: str | None = None) -> None:
    """A recusal entered by mistake, withdrawn while the task is planned (logged)."""
    task = planned_task(conn, task_key)
    if not q.delete_draw_exclusion(conn, task["id"], inspector, unit_id):
        raise NotFound("inspector.unknown", "no such recusal", f"没有该回避登记：{inspector} / {unit_id}")
    audit.append(conn, "task.inspector_exclusion_withdrawn", task["id"], utc_now(), inspector=inspector,
                 unit=unit_id, **_by(by))


def task_by_key(conn: Connection, key: str) -> Row:
    task = q.get_task_by_key(conn, key)
    if task is None:
        raise NotFound("task.unknown", f"no task {key}", f"没有该抽查任务：{key}")
    return task


def planned_task(conn: Connection, key: str) -> Row:
    task = task_by_key(conn, key)
    _not_handed_down(task)
    if task["state"] != "planned":
        raise Conflict("task.frozen", "the task is announced; its plan can no longer change",
                       "该任务已公告，不能再修改；如需变更请以新任务重新抽取并说明理由")
    return task


def redraw(conn: Connection, task_key: str, number: str, reason: str, by: str | None = None) -> dict[str, Any]:
    """A redraw is a new task with a published reason; the old draw stays as it was."""
    old = task_by_key(conn, task_key)
    _not_handed_down(old)
    if not reason.strip():
        raise BadRequest("task.redraw_reason", "a redraw needs a reason", "重新抽取必须说明理由")
    spec = TaskSpec(int(old["period_start"][:4]), number, old["title"], tuple(json.loads(old["specialties"])),
                    old["period_start"], old["period_end"], old["ratio_percent"] or None,
                    json.loads(old["risk_weights"]) if old["risk_weights"] else None,
                    tuple(json.loads(old["item_codes"])), old["team_size"], old["id"], reason)
    return add_task(conn, spec, by)


def _not_handed_down(task: Row) -> None:
    """A handed-down task's population, exclusions and draw were the upper level's: none here."""
    if task["state"] == "handed_down":
        raise Conflict("handed_down.no_draw", "a handed-down task is drawn by the level above",
                       "该任务由上级抽取后下达，本级不能排除单位、登记回避或重新抽取；如有异议请报下达机构")


STATES_ZH = {"planned": "已计划", "announced": "已公告", "revealed": "已揭示", "drawn": "已抽取", "handed_down": "上级下达"}


def years(conn: Connection, around: int) -> list[int]:
    """The years with tasks, and the year around which the office is working and its neighbours."""
    return sorted(set(q.count_tasks_by_year(conn)) | {around - 1, around, around + 1})


def year_tasks(conn: Connection, year: int) -> list[dict[str, Any]]:
    """A year's tasks as the console lists them."""
    views = [_view(row) for row in q.list_tasks_by_year(conn, year)]
    for view in views:
        if view["origin"] != "own":
            view["n"] = len(hq.list_units(conn, view["id"]))
    return views


def task_view(conn: Connection, key: str) -> dict[str, Any]:
    """One task with its exclusions and recusals (names beside ids), and its strata: frozen at the
    announcement, recomputed from the registry as it stands while the task is planned."""
    row = task_by_key(conn, key)
    view = _view(row)
    if row["state"] == "planned":
        view["preview"] = preview(conn, view["specialties"], row["ratio_percent"] or None, row["id"])
        view["choosable"] = _choosable_units(conn, row["id"], view["specialties"])
    members = population(conn, row["id"], view["specialties"]) if row["state"] == "planned" else {}
    view["exclusions"] = [{"unit_id": unit, **why, "unit_name": _unit_name(conn, unit)}
                          for unit, why in sorted(excluded_units(conn, row["id"]).items())
                          if not why["handed_down"] or unit in members]
    view["recusals"] = [{**dict(r), "reason_zh": RECUSAL_REASONS.get(r["reason"], r["reason"]),
                         "unit_name": _unit_name(conn, r["unit_id"]), "inspector_name": _user_name(conn, r["inspector_id"])}
                        for r in q.list_draw_exclusions(conn, row["id"])]
    view["items"] = q.list_items_by_codes(conn, view["item_codes"])
    if row["origin"] != "own":
        view["handed_units"] = [{"id": r["unit_id"], "name": r["name"]} for r in hq.list_units(conn, row["id"])]
        view["n"] = len(view["handed_units"])
        view["unarranged"] = hq.list_unarranged_units(conn, row["id"])
    view["redraws"] = [dict(r) for r in q.list_tasks(conn) if r["redraw_of"] == row["id"]]
    view["inspectors"] = [{"id": r["id"], "name": r["name"]} for r in q.list_eligible_inspectors(conn, row["period_end"])
                          if set(json.loads(r["specialties"])) & set(view["specialties"])]
    return view


CHOOSABLE_UNITS = 2000   # a list to pick from on the page up to this many; beyond, the code is typed


def _choosable_units(conn: Connection, task_id: str, specialties: list[str]) -> list[dict[str, str]]:
    """The population's units not yet excluded, (id, name), when few enough to offer as a list."""
    members = population(conn, task_id, specialties)
    free = set(members) - _excluded(conn, task_id)
    if len(free) > CHOOSABLE_UNITS:
        return []
    return [{"id": r["id"], "name": r["name"]} for r in q.list_unit_names(conn) if r["id"] in free]


def _view(row: Row) -> dict[str, Any]:
    task = dict(row)
    task["year"] = task.get("year") or int(row["period_start"][:4])
    task["specialties"] = json.loads(row["specialties"])
    task["item_codes"] = json.loads(row["item_codes"])
    task["strata"] = json.loads(row["strata"]) if row["strata"] else []
    task["risk_weights"] = json.loads(row["risk_weights"]) if row["risk_weights"] else None
    task["state_zh"] = STATES_ZH.get(row["state"], row["state"])
    task["specialties_zh"] = "、".join(SPECIALTIES.get(c, c) for c in task["specialties"])
    task["n"] = sum(s["n"] for s in task["strata"])
    task["source"] = source_text(row["origin"], row["origin_office"], row["origin_number"], row["origin_document"])
    task["origin_short"] = ORIGIN_SHORT.get(row["origin"], row["origin"])
    return task


def _unit_name(conn: Connection, unit_id: str) -> str:
    unit = registry.get_unit_by_id(conn, unit_id)
    return "" if unit is None else unit["name"]


def _user_name(conn: Connection, user_id: str) -> str:
    user = users.get_user_by_id(conn, user_id)
    return "" if user is None else user["name"]
