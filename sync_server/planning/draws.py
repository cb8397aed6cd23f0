"""The double-random draw of a task, per DRAW_SPEC.md: announce, reveal, draw, publish.

    planned ──announce──▶ announced ──reveal──▶ revealed ──draw──▶ drawn

Every step is logged. The announcement freezes the population, the strata and the eligible
inspectors before any randomness exists; the seed comes from a public beacon published later
(at `beacon_at`, named in the announcement; no reveal before then) and nonces committed in the
announcement. A task is drawn once; a redraw is a new task.
Drawn units become assignments; a unit already drawn by another task in an overlapping period
becomes one joint visit carrying both tasks' items (进一次门、查多项事).
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from schemas.errors import ContractError
from schemas.jcs import canonicalize, loads_strict
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.planning import plans
from schemas.clock import format_time, utc_now
from sync_server.planning.core import draw as core
from schemas.specialties import RISK_CLASSES
from sync_server.errors import BadRequest, Conflict
from sync_server.planning.queries import plans as q
from sync_server.planning.visits import place_visits

EQUAL_WEIGHTS = {code: 1 for code in RISK_CLASSES}
_WITH_OFFSET = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,3})?"
                          r"[+-][0-9]{2}:[0-9]{2}")  # RFC 3339 with an offset, to the millisecond


def _state(task: Row, wanted: str, code: str, message_zh: str) -> None:
    if task["state"] == "handed_down":
        raise Conflict("handed_down.no_draw", "a handed-down task is drawn by the level above",
                       "该任务由上级抽取后下达，本级不再公告和抽取；请按名单安排检查", {"state": task["state"]})
    if task["state"] != wanted:
        raise Conflict(code, f"task is {task['state']}, not {wanted}", message_zh, {"state": task["state"]})


def announce(conn: Connection, task_key: str, beacon: str, beacon_at: str,
             commitments: list[str], now: str | None = None, office_nonce: bytes | None = None,
             with_office_nonce: bool = True) -> dict[str, Any]:
    """Freeze and publish the announcement. The office's own nonce is made here and returned
    (keep it secret until the reveal); observers' commitments come in `commitments`. The console's
    ceremony (planning/ceremony.py) passes `with_office_nonce=False`: its named witnesses' nonces
    and the beacon make the seed, and the office keeps no secret."""
    now = now or utc_now()
    task = plans.task_by_key(conn, task_key)
    _state(task, "planned", "draw.already_announced", "该任务已公告，不能重复公告")
    beacon_at = published_time(beacon_at)
    with _refusal():
        core.check_beacon_after(now, beacon_at)
    nonce = (office_nonce if office_nonce is not None else secrets.token_bytes(32)) if with_office_nonce else b""
    all_commitments = [hashlib.sha256(nonce).hexdigest()] * with_office_nonce + [*commitments]
    frozen = plans.freeze_handed_down(conn, task["id"], json.loads(task["specialties"]))
    strata = plans.compute_strata(conn, task["id"], json.loads(task["specialties"]), task["ratio_percent"] or None)
    announcement = build_announcement(conn, task, strata, now, beacon, beacon_at, all_commitments)
    with _refusal():
        core.parse_announcement(announcement)  # publish nothing the spec (and so the verifier) refuses
    body = canonicalize(announcement)
    ahash = hashlib.sha256(body).hexdigest()
    index = audit.append(conn, "draw.announced", task["id"], now, announcement_hash=ahash, beacon_at=beacon_at,
                         **({"handed_down_excluded": frozen} if frozen else {}))
    q.insert_draw(conn, {"task_id": task["id"], "announcement": body, "announcement_hash": ahash,
                         "announced_at": now, "beacon": beacon, "beacon_at": beacon_at, "announce_log_index": index})
    q.set_task_state(conn, task["id"], "announced", [s.as_json() for s in strata])
    return {"task": task["id"], "announcement_hash": ahash, "office_nonce": nonce.hex() or None, "log_index": index,
            "beacon_at": beacon_at}


def published_time(text: str) -> str:
    """beacon_at as the announcement publishes it (DRAW_SPEC §7: RFC 3339 in UTC with a Z): as
    given when it is so already, else a time with an offset (Beijing time: +08:00) in UTC."""
    try:
        core.instant(text, "beacon_at")
        return text
    except core.DrawError:
        pass
    try:
        if _WITH_OFFSET.fullmatch(text):
            return format_time(datetime.fromisoformat(text))
    except ValueError:
        pass
    raise BadRequest("draw.bad_time", f"beacon_at {text!r} is not an RFC 3339 time, e.g. 2026-12-20T13:15:00Z",
                     f"随机源公布时间（--beacon-at）“{text}”不是 RFC 3339 时间；请写作 2026-12-20T13:15:00Z"
                     "（UTC），或北京时间 2026-12-20T21:15:00+08:00", {"beacon_at": text})


@contextmanager
def _refusal() -> Iterator[None]:
    """A refused draw (core.DrawError) or refused JSON (ContractError) as the API's error."""
    try:
        yield
    except core.DrawError as exc:
        error = Conflict if exc.code == "draw.beacon_not_yet" else BadRequest
        raise error(exc.code, exc.message, exc.message_zh, exc.detail) from exc
    except ContractError as exc:
        raise BadRequest.from_contract(exc) from exc


def build_announcement(conn: Connection, task: Row, strata: list, now: str, beacon: str, beacon_at: str,
                       commitments: list[str]) -> dict[str, Any]:
    """The announcement of a task, with the strata as the registry stands now (computed once by
    the caller, in the same transaction, and frozen on the task)."""
    specialties = json.loads(task["specialties"])
    members = plans.population(conn, task["id"], specialties)
    excluded = set(plans.excluded_units(conn, task["id"]))
    risks = {row["id"]: row["risk"] for row in q.list_units_for_population(conn)}
    names = {s.specialty: s.name for s in strata}
    weights = json.loads(task["risk_weights"]) if task["risk_weights"] else EQUAL_WEIGHTS
    return {
        "algo": core.ALGO, "task": task["number"], "announced_at": now,
        "strata": [{"name": s.name, "n": s.n} for s in strata],
        "risk_weights": weights, "team_size": task["team_size"], "specialty": task["specialty"],
        "units": [{"id": uid, "stratum": names[code], "risk": risks[uid]}
                  for uid, code in sorted(members.items()) if uid not in excluded],
        "inspectors": _inspectors(conn, task),
        "exclusions": [{"inspector": r["inspector_id"], "unit": r["unit_id"], "reason": r["reason"]}
                       for r in q.list_draw_exclusions(conn, task["id"])],
        "commitments": commitments, "beacon": beacon, "beacon_at": beacon_at,
    }


def _inspectors(conn: Connection, task: Row) -> list[dict[str, Any]]:
    loads = q.count_load_by_inspector(conn, int(task["period_start"][:4]))
    return [{"id": row["id"], "specialties": sorted(json.loads(row["specialties"])), "load": loads.get(row["id"], 0)}
            for row in q.list_eligible_inspectors(conn, task["period_end"])]


def reveal(conn: Connection, task_key: str, beacon_value: str, nonces: list[str],
           now: str | None = None) -> dict[str, Any]:
    now = now or utc_now()
    task = plans.task_by_key(conn, task_key)
    if task["state"] == "planned":
        raise Conflict("draw.not_announced", "announce before revealing", "任务尚未公告，不能揭示随机数")
    _state(task, "announced", "draw.already_revealed", "该任务已揭示随机数")
    row = q.get_draw_by_task(conn, task["id"])
    announcement = loads_strict(bytes(row["announcement"]))
    document = {"announcement_hash": row["announcement_hash"], "beacon_value": beacon_value, "nonces": nonces}
    with _refusal():
        core.check_reveal_time(announcement, now)
        core.check_reveal(announcement, document)
    q.set_draw_reveal(conn, task["id"], canonicalize(document), now)
    q.set_task_state(conn, task["id"], "revealed")
    audit.append(conn, "draw.revealed", task["id"], now, beacon_value=beacon_value)
    return {"task": task["id"], "beacon_value": beacon_value}


def run(conn: Connection, task_key: str, now: str | None = None) -> dict[str, Any]:
    """Draw, publish the result, and place the visits."""
    now = now or utc_now()
    task = plans.task_by_key(conn, task_key)
    if task["state"] == "drawn":
        raise Conflict("draw.already_drawn", "a task is drawn once; a redraw is a new task with a reason",
                       "该任务已抽取，不能重复抽取；如需重新抽取，请新建任务并公开说明理由")
    _state(task, "revealed", "draw.not_revealed", "尚未揭示随机数，不能抽取")
    row = q.get_draw_by_task(conn, task["id"])
    result = compute(bytes(row["announcement"]), bytes(row["reveal"]))
    body = canonicalize(result)
    rhash = hashlib.sha256(body).hexdigest()
    index = audit.append(conn, "draw.drawn", task["id"], now, result_hash=rhash,
                         selected=len(result["selected"]), unmatched=len(result["unmatched"]))
    q.set_draw_result(conn, task["id"], body, rhash, now, index)
    q.set_task_state(conn, task["id"], "drawn")
    placed = place_visits(conn, task, result["selected"], now)
    return {"task": task["id"], "result_hash": rhash, "selected": len(result["selected"]),
            "unmatched": len(result["unmatched"]), **placed}


def compute(announcement: bytes, reveal_doc: bytes) -> dict[str, Any]:
    """The result of §6 from the two published files: the code the verifier re-implements."""
    with _refusal():
        result = core.run_draw(loads_strict(announcement), loads_strict(reveal_doc))
    return result


def published_files(conn: Connection, task_key: str) -> dict[str, bytes]:
    """announcement.json, reveal.json, result.json as stored (JCS bytes): what is published."""
    task = plans.task_by_key(conn, task_key)
    row = q.get_draw_by_task(conn, task["id"])
    if row is None or row["result"] is None:
        raise Conflict("draw.not_drawn", "the task has not been drawn", "该任务尚未抽取")
    return {"announcement.json": bytes(row["announcement"]), "reveal.json": bytes(row["reveal"]),
            "result.json": bytes(row["result"])}
