"""Drawn units become visits (assignments) for the tablets' feed; a visit's team can change later.

A unit already holding an open, unvisited assignment from a task whose period overlaps gets
one joint visit: the new task's items are added, and the team keeps its members plus, when
none of them holds the new task's specialty, the first officer drawn for it (进一次门、查多项事).

A visit with no record yet can be reassigned (`reassign`: an officer ill, a recusal found after
the draw): one officer of the team is replaced, with a reason, logged with the person who did
it. The feed follows: the visit's document gets a new version and a new feed position (the new
team's tablets pull it after their cursor), and the officer taken off gets a notice carrying
the same document marked `cancelled`, which the tablet's work list leaves out.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from schemas.clock import utc_now
from schemas.specialties import SPECIALTIES
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.errors import Conflict, FieldErrors, NotFound, Stale
from sync_server.planning.queries import assignments, plans as q
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users

NAMESPACE = uuid.UUID("6f1c3a52-3d0e-4b7e-9b8a-2c5d7e9f0a11")
REASSIGN_REASONS = {"illness": "因病或因事不能参加", "recusal": "事后发现须回避", "other": "其他"}


def place_visits(conn: Connection, task: Row, selected: list[dict[str, Any]],
                 now: str) -> dict[str, int]:
    items = [_item(row, task["id"]) for row in q.list_items_by_codes(conn, json.loads(task["item_codes"]))]
    created = joined = 0
    for pick in selected:
        existing = q.find_open_visit(conn, pick["unit"], task["period_start"], task["period_end"])
        if existing is None:
            _create(conn, task, pick, items, now)
            created += 1
        elif _join(conn, existing, task, pick, items):
            joined += 1
    audit.append(conn, "visits.placed", task["id"], now, created=created, joined=joined)
    return {"visits_created": created, "visits_joined": joined}


def _create(conn: Connection, task: Row, pick: dict[str, Any], items: list[dict], now: str) -> None:
    unit = registry.get_unit_by_id(conn, pick["unit"])
    doc = {
        "schema": "suijian.assignment/1", "id": str(uuid.uuid5(NAMESPACE, f"{task['id']}:{pick['unit']}")),
        "status": "open", "version": 1, "due": task["period_end"],
        "unit": {"id": unit["id"], "name": unit["name"], "address": unit["address"], "specialty": unit["specialty"],
                 "category": unit["category"], "tags": json.loads(unit["tags"]), "contact": unit["contact"],
                 "phone": unit["phone"]},
        "tasks": [_task_ref(task)], "items": items, "team": [_member(conn, p) for p in pick["team"]],
    }
    assignments.insert_assignment(conn, doc, [task["id"]], now)


def _join(conn: Connection, row: Row, task: Row, pick: dict[str, Any], items: list[dict]) -> bool:
    doc = json.loads(row["doc"])
    if any(t["id"] == task["id"] for t in doc["tasks"]):
        return False
    members = {m["id"] for m in doc["team"]}
    added = [] if any(task["specialty"] in _specialties(conn, m) for m in members) else [pick["team"][0]]
    doc["tasks"].append(_task_ref(task))
    doc["items"] += [i for i in items if (i["code"], i["task_id"]) not in {(x["code"], x["task_id"]) for x in doc["items"]}]
    doc["team"] += [_member(conn, p) for p in added if p not in members]
    doc["version"] += 1
    doc["due"] = min(doc["due"], task["period_end"])
    q.update_assignment(conn, doc, added, task["id"], assignments.next_seq(conn))
    return True


def _specialties(conn: Connection, user_id: str) -> list[str]:
    user = users.get_user_by_id(conn, user_id)
    return [] if user is None else json.loads(user["specialties"])


def _member(conn: Connection, user_id: str) -> dict[str, str]:
    user = users.get_user_by_id(conn, user_id)
    return {"id": user_id, "name": user["name"] if user else user_id}


def _task_ref(task: Row) -> dict[str, str]:
    return {"id": task["id"], "number": task["number"], "title": task["title"]}


def _item(row: Row, task_id: str) -> dict[str, Any]:
    """A checklist item as the tablet gets it, with the unit categories and tags it applies to
    (the tablet offers only those that fit the unit: schemas/applicability.py)."""
    return {"code": row["code"], "name": row["name"], "specialty": row["specialty"], "legal_basis": row["legal_basis"],
            "content": row["content"], "method": row["method"], "task_id": task_id,
            "applies_to": json.loads(row["applies_to"])}


def reassign(conn: Connection, visit_id: str, replaced: str, replacement: str, reason: str, note: str,
             version: int | None = None, by: str = "cli", now: str | None = None) -> dict[str, Any]:
    """Replace one officer of a visit's team. Refused: a visit with a record (Conflict), a form
    opened before the visit changed (`version`: Stale), a replacement who is no active inspector
    with a valid certificate, lacks the specialties the visit needs, or is recused (FieldErrors)."""
    now = now or utc_now()
    row = assignments.get_assignment_by_id(conn, visit_id)
    if row is None:
        raise NotFound("visit.unknown", f"no visit {visit_id}", "没有该检查任务分配")
    if version is not None and row["version"] != version:
        raise Stale("该检查的分配在您打开页面后已有变化（另一次改派或并入联合检查），请刷新后重新操作", {"version": row["version"]})
    if row["status"] != "open" or assignments.count_records_by_assignment(conn, visit_id):
        raise Conflict("visit.has_record", "the visit has a record; its team can no longer change",
                       "该检查已有检查记录（或已关闭），不能改派；如需更正，请在记录审核中处理")
    doc = json.loads(row["doc"])
    task_rows = [q.get_task_by_key(conn, t) for t in assignments.list_task_ids_by_assignment(conn, visit_id)]
    _check_reassign(conn, doc, [t for t in task_rows if t is not None], replaced, replacement, reason, note, now)
    return _apply_reassign(conn, doc, replaced, replacement, reason, note.strip(), by, now)


def _check_reassign(conn: Connection, doc: dict[str, Any], tasks: list[Row], replaced: str, replacement: str,
                    reason: str, note: str, now: str) -> None:
    team = [m["id"] for m in doc["team"]]
    errors: dict[str, str] = {}
    if replaced not in team:
        errors["replaced"] = "请选择检查组中要替换的执法人员"
    if reason not in REASSIGN_REASONS:
        errors["reason"] = "请选择改派原因"
    elif reason == "other" and not note.strip():
        errors["note"] = "原因为“其他”时请写明具体原因"
    problem = _replacement_problem(conn, doc, tasks, team, replaced, replacement, now)
    if problem:
        errors["replacement"] = problem
    if errors:
        raise FieldErrors(errors)


def _replacement_problem(conn: Connection, doc: dict[str, Any], tasks: list[Row], team: list[str],
                         replaced: str, replacement: str, now: str) -> str:
    person = users.get_user_by_id(conn, replacement) if replacement else None
    if person is None or person["role"] != "inspector":
        return "请从执法人员库中选择接替的执法人员"
    if replacement in team:
        return f"{person['name']} 已在该检查组中"
    if not person["active"] or (person["cert_valid_until"] or "") < max(now[:10], doc["due"]):
        return f"{person['name']} 已停用或执法证在检查期限内失效，不能接替"
    held = set(json.loads(person["specialties"]))
    needed = {t["specialty"] for t in tasks}
    if not held & needed:
        names = "、".join(SPECIALTIES.get(c, c) for c in sorted(needed))
        return f"{person['name']} 不具备本次检查所需的专业（{names}）"
    after = [m for m in team if m != replaced]
    for code in sorted(needed):
        covered_before = any(code in _specialties(conn, m) for m in team)
        if covered_before and code not in held and not any(code in _specialties(conn, m) for m in after):
            return f"替换后检查组中没有人具备“{SPECIALTIES.get(code, code)}”专业，请选择具备该专业的执法人员"
    unit = doc["unit"]["id"]
    if (assignments.count_recusals(conn, [t["id"] for t in tasks], replacement, unit)
            or assignments.count_late_recusals(conn, replacement, unit)):
        return f"{person['name']} 对该单位须回避，不能接替"
    return ""


def _apply_reassign(conn: Connection, doc: dict[str, Any], replaced: str, replacement: str, reason: str,
                    note: str, by: str, now: str) -> dict[str, Any]:
    doc["team"] = [_member(conn, replacement) if m["id"] == replaced else m for m in doc["team"]]
    doc["version"] += 1
    assignments.replace_team_member(conn, doc, replaced, replacement, assignments.next_seq(conn))
    withdrawn = {**doc, "status": "cancelled"}   # what the tablet of the officer taken off keeps: not to do
    assignments.insert_notice(conn, replaced, "assignment",
                              json.dumps(withdrawn, ensure_ascii=False, separators=(",", ":")), now)
    index = audit.append(conn, "visit.reassigned", doc["id"], now, unit=doc["unit"]["id"], replaced=replaced,
                         replacement=replacement, reason=reason, note=note, version=doc["version"], by=by)
    assignments.insert_reassignment(conn, {"assignment_id": doc["id"], "replaced": replaced,
                                           "replacement": replacement, "reason": reason, "note": note, "by": by,
                                           "at": now, "log_index": index})
    return {"visit": doc["id"], "version": doc["version"], "log_index": index}


def task_visits(conn: Connection, task_key: str) -> list[dict[str, Any]]:
    """A task's visits as the console lists them: unit, team, the tasks joined in one visit."""
    task = q.get_task_by_key(conn, task_key)
    if task is None:
        raise NotFound("task.unknown", f"no task {task_key}", f"没有该抽查任务：{task_key}")
    return [_visit_row(row) for row in assignments.list_visits_by_task(conn, task["id"])]


def by_officer(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same visits grouped by each officer of their teams, by officer id."""
    officers: dict[str, dict[str, Any]] = {}
    for visit in visits:
        for member in visit["team"]:
            officers.setdefault(member["id"], {"id": member["id"], "name": member["name"], "visits": []})
            officers[member["id"]]["visits"].append(visit)
    return [officers[k] for k in sorted(officers)]


def officers_of_year(conn: Connection, year: int) -> list[Row]:
    return assignments.count_visits_by_officer(conn, year)


def officer_visits(conn: Connection, user_id: str, year: int) -> dict[str, Any]:
    person = users.get_user_by_id(conn, user_id)
    if person is None:
        raise NotFound("user.unknown", f"no officer {user_id}", f"没有该执法人员：{user_id}")
    return {"id": person["id"], "name": person["name"], "specialties": json.loads(person["specialties"]),
            "visits": [_visit_row(row) for row in assignments.list_visits_by_officer(conn, user_id, year)]}


def visit_view(conn: Connection, visit_id: str, now: str | None = None) -> dict[str, Any]:
    """One visit with its reassignments and the officers who could step in (a hint for the form;
    `reassign` checks again)."""
    row = assignments.get_assignment_by_id(conn, visit_id)
    if row is None:
        raise NotFound("visit.unknown", f"no visit {visit_id}", "没有该检查任务分配")
    view = _visit_row({**dict(row), "has_record": assignments.count_records_by_assignment(conn, visit_id) > 0})
    view["history"] = [dict(r) for r in assignments.list_reassignments_by_assignment(conn, visit_id)]
    needed = {t["specialty"] for t in (q.get_task_by_key(conn, t["id"]) for t in view["tasks"]) if t is not None}
    view["needed"] = "、".join(SPECIALTIES.get(c, c) for c in sorted(needed))
    team = {m["id"] for m in view["team"]}
    valid_on = max((now or utc_now())[:10], view["due"])
    view["candidates"] = [{"id": r["id"], "name": r["name"]} for r in q.list_eligible_inspectors(conn, valid_on)
                          if r["id"] not in team and set(json.loads(r["specialties"])) & needed]
    view["reasons"] = REASSIGN_REASONS
    return view


def _visit_row(row: Any) -> dict[str, Any]:
    doc = json.loads(row["doc"])
    return {"id": doc["id"], "unit": doc["unit"], "team": doc["team"], "tasks": doc["tasks"],
            "joint": len(doc["tasks"]) > 1, "due": doc["due"], "status": doc["status"], "version": doc["version"],
            "has_record": bool(row["has_record"]), "items": len(doc["items"])}
