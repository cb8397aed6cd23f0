"""Drawn units become visits (assignments) for the tablets' feed.

A unit already holding an open, unvisited assignment from a task whose period overlaps gets
one joint visit: the new task's items are added, and the team keeps its members plus, when
none of them holds the new task's specialty, the first officer drawn for it (进一次门、查多项事).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.planning.queries import assignments, plans as q
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users

NAMESPACE = uuid.UUID("6f1c3a52-3d0e-4b7e-9b8a-2c5d7e9f0a11")


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
