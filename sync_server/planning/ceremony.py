"""The draw as a ceremony people can watch: named witnesses, their commitments and nonces, the
announcement with a named beacon, the reveal after the beacon's time, the draw, and a person's
published resolution of each unit no team could take.

Over the same services as the CLI (planning/draws.py: announce, reveal, run), never beside them:

    add_witness ─▶ (each witness, on their own page) commit ─▶ announce ─▶ (after beacon_at)
    open_nonce (each witness) ─▶ reveal (the beacon value) ─▶ run ─▶ resolve (each unmatched unit)

A witness is reached by a capability link: a random token of which only the SHA-256 is stored.
The witness's browser makes the nonce and sends only its commitment (sync_server/web/static/
witness.js); the nonce comes to the server only after the beacon's time, on the same page.
The announcement's bytes stay exactly DRAW_SPEC §1: the witnesses' names are the ceremony's
published metadata beside it (their commitments, in the announcement's order).
Every change is in the audit log with the person (`by`: "office:<username>" or "witness:<id>").
Forms carry a version (core/ceremony.version); one made before the task moved on is Stale.
"""
from __future__ import annotations

import json
import secrets
from typing import Any

from schemas.clock import utc_now
from sync_server.audit import service as audit
from sync_server.db import Connection, Row
from sync_server.errors import ApiError, Conflict, FieldErrors, NotFound, Stale
from sync_server.planning import draws, plans
from sync_server.planning.core import ceremony as rules
from sync_server.planning.core.draw import beijing_time
from sync_server.planning.queries import ceremony as q, plans as plan_q
from sync_server.planning.visits import place_visits

STAGES_ZH = {"witnesses": "登记见证人、收集承诺值", "waiting": "已公告，等待公共随机源公布",
             "reveal": "公共随机源已公布，揭示随机数", "draw": "已揭示，待抽取", "drawn": "已抽取"}


# --- reading ----------------------------------------------------------------------------------

def view(conn: Connection, task_key: str, now: str | None = None) -> dict[str, Any]:
    """Everything the office's ceremony page shows."""
    now = now or utc_now()
    task = plans.task_by_key(conn, task_key)
    if task["state"] == "handed_down":
        raise Conflict("handed_down.no_draw", "a handed-down task is drawn by the level above",
                       "该任务由上级抽取后下达，本级没有公告和抽取过程；请在任务页查看上级名单和检查分配")
    draw = plan_q.get_draw_by_task(conn, task["id"])
    witnesses = [dict(w) for w in q.list_witnesses_by_task(conn, task["id"])]
    result = json.loads(bytes(draw["result"])) if draw is not None and draw["result"] is not None else None
    stage = rules.stage(task["state"], draw["beacon_at"] if draw is not None else None, now)
    resolutions = {r["unit_id"]: {**dict(r), "team": json.loads(r["team"])}
                   for r in q.list_resolutions_by_task(conn, task["id"])}
    return {"task": dict(task), "draw": None if draw is None else _draw_facts(draw), "witnesses": witnesses,
            "stage": stage, "stage_zh": STAGES_ZH[stage], "result": result, "resolutions": resolutions,
            "version": rules.version(task["state"], witnesses), "roster": _roster(task, witnesses),
            "officers": [dict(o) for o in plan_q.list_eligible_inspectors(conn, task["period_end"])]
            if result and result["unmatched"] else [],
            "exclusions": _exclusions(conn, task["id"])}


def _draw_facts(draw: Row) -> dict[str, Any]:
    keys = ("announcement_hash", "announced_at", "beacon", "beacon_at", "revealed_at", "result_hash", "drawn_at")
    facts = {key: draw[key] for key in keys}
    facts["reveal"] = json.loads(bytes(draw["reveal"])) if draw["reveal"] is not None else None
    return facts


def _roster(task: Row, witnesses: list[dict[str, Any]]) -> str:
    """The version of the witness list alone (adding or removing one), not of their commitments."""
    return rules.version(task["state"], [{"id": w["id"], "commitment": None, "nonce": None} for w in witnesses])


def _exclusions(conn: Connection, task_id: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for row in plan_q.list_draw_exclusions(conn, task_id):
        table.setdefault(row["unit_id"], []).append(row["inspector_id"])
    return table


def witness_view(conn: Connection, token: str, now: str | None = None) -> dict[str, Any] | None:
    """What a witness's own page shows, or None for a link that is not (or no longer) valid."""
    now = now or utc_now()
    witness = q.get_witness_by_token_hash(conn, rules.token_hash(token)) if token else None
    if witness is None:
        return None
    task = plan_q.get_task_by_key(conn, witness["task_id"])
    draw = plan_q.get_draw_by_task(conn, task["id"])
    stage = rules.stage(task["state"], draw["beacon_at"] if draw is not None else None, now)
    return {"witness": dict(witness), "task": dict(task), "draw": None if draw is None else _draw_facts(draw),
            "stage": stage, "stage_zh": STAGES_ZH[stage],
            "beacon_at_zh": beijing_time(draw["beacon_at"]) if draw is not None else ""}


# --- the witnesses ----------------------------------------------------------------------------

def add_witness(conn: Connection, task_key: str, name: str, role: str, roster: str, by: str) -> dict[str, Any]:
    """A named witness and their capability link's token (returned once; only its hash is kept)."""
    task, witnesses = _planned(conn, task_key, "见证人名单在公告时已冻结，不能再增加见证人")
    _check(roster == _roster(task, witnesses), "见证人名单在您打开页面后有变化（可能已有人登记），请核对后重新填写")
    name, role = name.strip(), role.strip()
    errors = rules.witness_fields(name, role)
    if not errors and any(w["name"] == name and w["role"] == role for w in witnesses):
        errors["name"] = f"已登记过见证人 {name}（{role}）"
    if errors:
        raise FieldErrors(errors)
    token, now = secrets.token_urlsafe(32), utc_now()
    witness_id = "W" + secrets.token_hex(6)
    position = q.next_witness_position(conn, task["id"])
    q.insert_witness(conn, {"id": witness_id, "task_id": task["id"], "position": position, "name": name,
                            "role": role, "token_hash": rules.token_hash(token), "created_at": now, "created_by": by})
    audit.append(conn, "draw.witness_added", task["id"], now, by=by, witness=witness_id, name=name, role=role)
    return {"id": witness_id, "name": name, "role": role, "token": token}


def reissue_link(conn: Connection, task_key: str, witness_id: str, by: str) -> dict[str, Any]:
    """A new link for a witness who lost theirs (the old one stops working), until their nonce is in."""
    task = plans.task_by_key(conn, task_key)
    witness = _witness(conn, task["id"], witness_id)
    _check(task["state"] in ("planned", "announced") and not witness["nonce"],
           "该见证人已提交随机数（或已揭示），不再需要链接")
    token, now = secrets.token_urlsafe(32), utc_now()
    q.set_witness_token_hash(conn, witness_id, rules.token_hash(token))
    audit.append(conn, "draw.witness_link_reissued", task["id"], now, by=by, witness=witness_id)
    return {"id": witness_id, "name": witness["name"], "role": witness["role"], "token": token}


def remove_witness(conn: Connection, task_key: str, witness_id: str, roster: str, by: str) -> str:
    task, witnesses = _planned(conn, task_key, "见证人名单在公告时已冻结，不能再移除见证人")
    _check(roster == _roster(task, witnesses), "见证人名单在您打开页面后有变化，请核对后重新操作")
    witness = _witness(conn, task["id"], witness_id)
    q.delete_witness(conn, witness_id)
    audit.append(conn, "draw.witness_removed", task["id"], utc_now(), by=by, witness=witness_id, name=witness["name"])
    return witness["name"]


def commit(conn: Connection, token: str, commitment: str) -> dict[str, Any]:
    """A witness's commitment (hex SHA-256 of their nonce), replaceable until the announcement."""
    witness, task = _by_token(conn, token)
    _check(task["state"] == "planned", "抽取公告已发布，承诺值已冻结，不能再修改")
    commitment = commitment.strip()
    error = rules.commitment_error(commitment)
    if error:
        raise FieldErrors({"commitment": error})
    now = utc_now()
    q.set_witness_commitment(conn, witness["id"], commitment, now)
    audit.append(conn, "draw.witness_committed", task["id"], now, by=f"witness:{witness['id']}",
                 name=witness["name"], commitment=commitment)
    return {"name": witness["name"], "commitment": commitment}


def open_nonce(conn: Connection, token: str, nonce: str) -> dict[str, Any]:
    """A witness's nonce after the beacon's time, checked against their commitment."""
    witness, task = _by_token(conn, token)
    if task["state"] == "planned":
        raise Conflict("draw.not_announced", "the task is not announced", "抽取公告尚未发布，现在还不能提交随机数")
    _check(task["state"] == "announced", "随机数已揭示，本次抽取已不再接受随机数")
    now = utc_now()
    _after_beacon(plan_q.get_draw_by_task(conn, task["id"]), now, "提交随机数")
    nonce = nonce.strip()
    error = rules.nonce_error(nonce, witness["commitment"])
    if error:
        raise FieldErrors({"nonce": error})
    q.set_witness_nonce(conn, witness["id"], nonce, now)
    audit.append(conn, "draw.witness_opened", task["id"], now, by=f"witness:{witness['id']}", name=witness["name"])
    return {"name": witness["name"]}


# --- announce, reveal, draw -------------------------------------------------------------------

def announce(conn: Connection, task_key: str, beacon: str, beacon_at_local: str, version: str,
             by: str) -> dict[str, Any]:
    """Freeze and publish the announcement with every witness's commitment, in their order."""
    task, witnesses = _planned(conn, task_key, "该任务已公告，不能重复公告")
    _check(version == rules.version(task["state"], witnesses),
           "见证人或承诺值在您打开页面后有变化，请核对后重新公告")
    errors = _announce_errors(witnesses, beacon.strip(), beacon_at_local.strip())
    if errors:
        raise FieldErrors(errors)
    beacon_at = rules.beacon_at_of(beacon_at_local.strip()) or ""
    try:
        made = draws.announce(conn, task["id"], beacon.strip(), beacon_at, [w["commitment"] for w in witnesses],
                              with_office_nonce=False)
    except ApiError as exc:
        if exc.code in ("draw.beacon_in_past", "draw.bad_time"):
            raise FieldErrors({"beacon_at": exc.message_zh}) from exc
        raise
    audit.append(conn, "draw.ceremony_announced", task["id"], utc_now(), by=by,
                 announcement_hash=made["announcement_hash"],
                 witnesses=[{"name": w["name"], "role": w["role"], "commitment": w["commitment"]} for w in witnesses])
    return made


def _announce_errors(witnesses: list[dict[str, Any]], beacon: str, beacon_at_local: str) -> dict[str, str]:
    errors = {}
    waiting = [w["name"] for w in witnesses if not w["commitment"]]
    if not witnesses:
        errors["witnesses"] = "请先登记至少一名见证人，并由其提交承诺值"
    elif waiting:
        errors["witnesses"] = f"以下见证人尚未提交承诺值：{'、'.join(waiting)}"
    if not beacon:
        errors["beacon"] = "请写明公共随机源，例如“中国福利彩票双色球第2026150期开奖号码”"
    elif len(beacon) > rules.BEACON_MAX:
        errors["beacon"] = f"公共随机源的说明不超过 {rules.BEACON_MAX} 个字"
    if rules.beacon_at_of(beacon_at_local) is None:
        errors["beacon_at"] = "请填写随机源公布的日期和时间（北京时间），例如 2026-12-20 21:15"
    return errors


def reveal(conn: Connection, task_key: str, beacon_value: str, version: str, by: str) -> dict[str, Any]:
    """The beacon value as published, with every witness's nonce (opened on their own pages)."""
    task = plans.task_by_key(conn, task_key)
    if task["state"] == "planned":
        raise Conflict("draw.not_announced", "announce before revealing", "任务尚未公告，不能揭示随机数")
    _check(task["state"] == "announced", "随机数已揭示，不能重复揭示")
    witnesses = [dict(w) for w in q.list_witnesses_by_task(conn, task["id"])]
    _check(version == rules.version(task["state"], witnesses), "见证人提交随机数的情况在您打开页面后有变化，请刷新后重新操作")
    _after_beacon(plan_q.get_draw_by_task(conn, task["id"]), utc_now(), "揭示随机数")
    beacon_value = beacon_value.strip()
    errors = {}
    if not beacon_value:
        errors["beacon_value"] = "请录入公共随机源公布的值（与公布的完全一致）"
    elif len(beacon_value) > rules.BEACON_MAX:
        errors["beacon_value"] = f"不超过 {rules.BEACON_MAX} 个字"
    waiting = [w["name"] for w in witnesses if not w["nonce"]]
    if waiting:
        errors["nonces"] = f"以下见证人尚未在其页面提交随机数：{'、'.join(waiting)}"
    if errors:
        raise FieldErrors(errors)
    made = draws.reveal(conn, task["id"], beacon_value, [w["nonce"] for w in witnesses])
    audit.append(conn, "draw.ceremony_revealed", task["id"], utc_now(), by=by, beacon_value=beacon_value)
    return made


def run(conn: Connection, task_key: str, version: str, by: str) -> dict[str, Any]:
    """Draw the revealed task and publish the result (draws.run places the visits)."""
    task = plans.task_by_key(conn, task_key)
    _check(task["state"] != "drawn", "该任务已抽取，不能重复抽取；如需重新抽取，请新建任务并公开说明理由")
    _check(task["state"] == "revealed", "尚未揭示随机数，不能抽取")
    witnesses = q.list_witnesses_by_task(conn, task["id"])
    _check(version == rules.version(task["state"], witnesses), "页面已过期，请刷新后重新操作")
    made = draws.run(conn, task["id"])
    audit.append(conn, "draw.ceremony_drawn", task["id"], utc_now(), by=by, result_hash=made["result_hash"])
    return made


def resolve(conn: Connection, task_key: str, unit_id: str, team: list[str], reason: str, by: str) -> dict[str, Any]:
    """A person's team for a drawn unit no team could take, with the reason the public page shows."""
    task = plans.task_by_key(conn, task_key)
    draw = plan_q.get_draw_by_task(conn, task["id"])
    _check(task["state"] == "drawn" and draw is not None, "该任务尚未抽取")
    unmatched = {u["unit"] for u in json.loads(bytes(draw["result"]))["unmatched"]}
    if unit_id not in unmatched:
        raise NotFound("draw.not_unmatched", "the unit is not unmatched in this draw", "该单位不在本次抽取的待人工处理名单中")
    resolved = {r["unit_id"]: r for r in q.list_resolutions_by_task(conn, task["id"])}
    _check(unit_id not in resolved, f"该单位已由 {resolved.get(unit_id, {'resolved_by': ''})['resolved_by']} 安排，不能重复安排")
    team, reason = list(dict.fromkeys(t for t in team if t)), reason.strip()
    errors = _resolution_errors(conn, task, unit_id, team, reason)
    if errors:
        raise FieldErrors(errors)
    now = utc_now()
    placed = place_visits(conn, task, [{"unit": unit_id, "team": team}], now)
    index = audit.append(conn, "draw.unmatched_resolved", task["id"], now, by=by, unit=unit_id, team=team,
                         reason=reason)
    q.insert_resolution(conn, task["id"], unit_id, team, reason, by, now, index)
    return {"unit": unit_id, "team": team, **placed}


def _resolution_errors(conn: Connection, task: Row, unit_id: str, team: list[str], reason: str) -> dict[str, str]:
    errors = {}
    officers = {o["id"]: o["name"] for o in plan_q.list_eligible_inspectors(conn, task["period_end"])}
    excluded = set(_exclusions(conn, task["id"]).get(unit_id, []))
    unknown = [t for t in team if t not in officers]
    barred = [officers[t] for t in team if t in excluded]
    if len(team) < 2:
        errors["team"] = "检查组至少需要两名执法人员"
    elif unknown:
        errors["team"] = "只能选择在职且执法证有效的执法人员"
    elif barred:
        errors["team"] = f"{'、'.join(barred)} 对该单位须回避或轮换，不能安排"
    if not reason:
        errors["reason"] = "请说明理由：该理由将与安排一并公开"
    elif len(reason) > rules.REASON_MAX:
        errors["reason"] = f"理由不超过 {rules.REASON_MAX} 个字"
    return errors


# --- small helpers ----------------------------------------------------------------------------

def _check(ok: bool, message_zh: str) -> None:
    if not ok:
        raise Stale(message_zh)


def _planned(conn: Connection, task_key: str, frozen_zh: str) -> tuple[Row, list[dict[str, Any]]]:
    task = plans.task_by_key(conn, task_key)
    _check(task["state"] == "planned", frozen_zh)
    return task, [dict(w) for w in q.list_witnesses_by_task(conn, task["id"])]


def _witness(conn: Connection, task_id: str, witness_id: str) -> Row:
    witness = q.get_witness_by_id(conn, task_id, witness_id)
    if witness is None:
        raise NotFound("draw.no_witness", "no such witness", "没有该见证人（可能已被移除）")
    return witness


def _by_token(conn: Connection, token: str) -> tuple[Row, Row]:
    witness = q.get_witness_by_token_hash(conn, rules.token_hash(token)) if token else None
    if witness is None:
        raise NotFound("draw.bad_link", "the witness link is not valid", "该见证人链接无效或已被重新签发")
    return witness, plan_q.get_task_by_key(conn, witness["task_id"])


def _after_beacon(draw: Row | None, now: str, doing_zh: str) -> None:
    """No nonce and no reveal before beacon_at (DRAW_SPEC §1), by the product's clock."""
    if draw is not None and not rules.beacon_reached(draw["beacon_at"], now):
        raise Conflict("draw.beacon_not_yet", f"the beacon is public from {draw['beacon_at']}",
                       f"公共随机源（{draw['beacon']}）在北京时间 {beijing_time(draw['beacon_at'])} 才公布，"
                       f"此前谁也不可能知道它的值，不能{doing_zh}；请在公布后再操作", {"beacon_at": draw["beacon_at"]})
