"""Load a generated county (core.demo_data) into a server database: the demo and the benchmarks."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from dataclasses import asdict
from typing import Any, Callable, Iterable, Sequence, TypeVar

from sync_server.audit import service as audit
from schemas.clock import utc_now
from demo.county import County, generate_county
from schemas.specialties import DEFAULT_RISK_WEIGHTS
from sync_server.planning.queries import assignments
from sync_server.db import meta
from sync_server.registry import queries as registry
from sync_server.accounts.queries import users
from sync_server.db.connection import transaction

T = TypeVar("T")
ADMIN = {"id": "admin", "name": "监督所管理员", "role": "admin", "department": "综合监督科",
         "specialties": [], "cert_valid_until": None, "phone": ""}


def progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r{label:<8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end,
          file=sys.stderr, flush=True)


def chunks(rows: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def seed(conn: sqlite3.Connection, county: County, report: Callable[[str, int, int], None] = progress) -> dict[str, Any]:
    now = utc_now()
    with transaction(conn):
        users.upsert_users(conn, [ADMIN] + [_user(p) for p in county.inspectors], now)
        admin_token = _admin_token(conn)
        for done, part in _counted(county.units, 2000):
            registry.upsert_units(conn, [asdict(u) for u in part], now)
            report("单位名录", done, len(county.units))
        registry.upsert_items(conn, [asdict(i) for i in county.items], version=1)
        registry.insert_item_list_version(conn, 1, now, "demo", "", len(county.items))
        _plan(conn, county, now)
        index = Index(county)
        for done, part in _counted(county.visits, 500):
            for visit in part:
                assignments.insert_assignment(conn, assignment_doc(index, visit), list(visit.task_ids), now)
            report("检查任务", done, len(county.visits))
        audit.append(conn, "registry.seeded", "demo", now, units=len(county.units),
                     inspectors=len(county.inspectors), visits=len(county.visits))
    return {"admin_token": admin_token, "units": len(county.units), "visits": len(county.visits)}


def _counted(rows: Sequence[T], size: int) -> Iterable[tuple[int, Sequence[T]]]:
    done = 0
    for part in chunks(rows, size):
        done += len(part)
        yield done, part


def _admin_token(conn: sqlite3.Connection) -> str:
    from sync_server.accounts.service import new_admin_token
    return new_admin_token(conn, ADMIN["id"])


def _user(person: Any) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "role": person.role, "department": person.department,
            "specialties": list(person.specialties), "cert_valid_until": person.cert_valid_until,
            "phone": person.phone}


def _plan(conn: sqlite3.Connection, county: County, now: str) -> None:
    plan = county.plan
    plan_id = f"plan-{plan.year}"
    registry.insert_plan(conn, {"id": plan_id, "year": plan.year, "title": plan.title}, now)
    for n, task in enumerate(plan.tasks):
        registry.insert_task(conn, {**asdict(task), "plan_id": plan_id, "state": "drawn"})
        if n % 10 != 9:   # most offices classify risk for all but a few draws (target ≥80%)
            registry.set_task_risk_weights(conn, task.id, json.dumps(DEFAULT_RISK_WEIGHTS))


class Index:
    """The county's rows by key."""

    def __init__(self, county: County) -> None:
        self.units = {u.id: u for u in county.units}
        self.tasks = {t.id: t for t in county.plan.tasks}
        self.items = {i.code: i for i in county.items}
        self.people = {p.id: p for p in county.inspectors}


def assignment_doc(index: Index, visit: Any) -> dict[str, Any]:
    unit = index.units[visit.unit_id]
    tasks = [index.tasks[t] for t in visit.task_ids]
    return {
        "schema": "suijian.assignment/1", "id": visit.id, "status": "open", "version": 1, "due": visit.due,
        "unit": {"id": unit.id, "name": unit.name, "address": unit.address, "specialty": unit.specialty,
                 "category": unit.category, "contact": unit.contact, "phone": unit.phone},
        "tasks": [{"id": t.id, "number": t.number, "title": t.title} for t in tasks],
        "items": [_item(index.items[code], task.id) for task in tasks for code in task.item_codes],
        "team": [{"id": p, "name": index.people[p].name} for p in visit.team],
    }


def _item(item: Any, task_id: str) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "specialty": item.specialty, "legal_basis": item.legal_basis,
            "content": item.content, "method": item.method, "task_id": task_id}


def seed_demo(conn: sqlite3.Connection, units: int = 3000, inspectors: int = 30, seed_value: int = 2026,
              report: Callable[[str, int, int], None] = progress, history: bool = True) -> dict[str, Any]:
    """The demo county; with `history`, its year so far (records, approvals, the disclosure list,
    follow-ups) through the live code paths, signature photos beside the database."""
    county = generate_county(seed=seed_value, units=units, inspectors=inspectors)
    result = seed(conn, county, report)
    with transaction(conn):
        meta.set_meta(conn, "demo_inspector", county.demo_inspector_id)
        meta.set_meta(conn, "demo_leader", county.demo_leader_id)
        drawn = demo_draw(conn, seed_value)
    report("公开抽取", 1, 1)
    story = {}
    if history:
        from demo.history import seed_history
        from sync_server.settings import Settings

        db_file = conn.execute("PRAGMA database_list").fetchone()["file"]
        with transaction(conn):
            story = seed_history(conn, Settings.for_db(db_file).photo_dir, seed_value)
        report("检查结果", 1, 1)
    return {**result, "demo_inspector": county.demo_inspector_id, "demo_leader": county.demo_leader_id,
            "demo_draw": drawn, **story}


DEMO_TASK = "云溪卫〔2026〕随抽14号"


def demo_draw(conn: sqlite3.Connection, seed_value: int) -> dict[str, Any]:
    """A second-half task drawn the verifiable way, with an observer's commitment, as it
    happened in October: announced on the 20th, the lottery drawn on the 25th (beacon_at, named
    in the announcement), revealed and drawn the next morning. Fixed times, so the demo's files
    are the same on every run."""
    from sync_server.planning import draws, plans

    from schemas.specialties import DEFAULT_RISK_WEIGHTS

    spec = plans.TaskSpec(2026, DEMO_TASK, "2026年下半年公共场所卫生“双随机”专项抽查", ("public_places",),
                          "2026-11-01", "2026-12-31", risk_weights=dict(DEFAULT_RISK_WEIGHTS))
    plans.add_task(conn, spec)
    office = hashlib.sha256(f"suijian-demo-office:{seed_value}".encode()).digest()
    observer = hashlib.sha256(f"suijian-demo-observer:{seed_value}".encode()).digest()
    draws.announce(conn, DEMO_TASK, "中国福利彩票双色球第2026124期开奖号码", "2026-10-25T13:15:00.000Z",
                   [hashlib.sha256(observer).hexdigest()], now="2026-10-20T02:00:00.000Z", office_nonce=office)
    draws.reveal(conn, DEMO_TASK, "05 11 16 22 27 30 + 12", [office.hex(), observer.hex()],
                 now="2026-10-26T01:30:00.000Z")
    return draws.run(conn, DEMO_TASK, now="2026-10-26T01:35:00.000Z")
