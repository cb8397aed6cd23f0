"""The outbox as the sync screen shows it: each record and decision with the unit it concerns
(never a record id), its state, the server's receipt, or its refusal in Chinese with what to do."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from field_app.core import followup, labresults, worklist
from field_app.store import LocalStore, document_of

ERROR_HELP = {  # what the inspector can do about a record the server refused
    "assignment.not_on_team": "您不在该任务的检查组中，请联系科室核对分组",
    "record.inspectors": "检查人员须为本组成员，请在签字页核对“检查组确认”后重新提交",
    "record.supersedes_not_returned": "只有被组长退回的记录才能更正，请勿重复提交",
    "key.revoked": "本设备已被停用，请联系科室重新注册设备",
    "key.unknown": "本设备未注册，请重新注册",
    "photo.missing_file": "照片文件丢失，请重新拍摄后修改提交",
    "schema.invalid": "记录内容不完整，请联系技术支持并保留本设备",
    "review.own_team": "您是该检查组成员，不能审核本组记录",
    "review.not_in_review": "该记录已不在待审核状态，无需再处理",
    "followup.record_returned": "原记录已被组长退回，请在更正记录提交后对更正记录复查",
    "followup.before_inspection": "复查时间早于原检查日期，请核对设备时间",
}
UNKNOWN_UNIT = "单位未知（本机没有该记录的任务）"   # never a bare record id: people do not read UUIDs
PARKED_HELP = ("服务器处理这条记录时出错，记录已保存在本机，其他记录照常同步；点“立即同步”或几小时后会自动重试，"
               "如一直不成功请联系技术支持")


@dataclass(frozen=True)
class OutboxLine:
    record_id: str
    kind: str
    unit_name: str
    state: str
    state_zh: str
    created_at: str
    log_index: int | None = None
    category: str | None = None
    error_zh: str | None = None
    help_zh: str | None = None


def outbox_lines(store: LocalStore) -> list[OutboxLine]:
    """Newest first, each with the unit it concerns."""
    names = {a["id"]: a["unit"]["name"] for a in store.list_assignments()}
    queue = store.record_units()   # records reviewed here, also those gone from the queue since
    queue.update({i["record_id"]: i["assignment"]["unit"]["name"] for i in store.review_queue()})
    queue.update({r["record_id"]: r["unit_name"] for r in store.list_reminders()})
    queue.update({r["record_id"]: names.get(r["assignment_id"], "") for r in store.submissions()})  # lab results
    lines = []
    for row in reversed(store.outbox_rows()):
        doc = document_of(row["envelope"])
        unit = names.get(doc.get("assignment_id", ""), "") or queue.get(doc.get("record_id", ""), "")
        lines.append(line_of(row, doc, unit or UNKNOWN_UNIT))
    return lines


def line_of(row: Any, doc: dict[str, Any], unit: str) -> OutboxLine:
    receipt = json.loads(row["receipt"]) if row["receipt"] else {}
    error = json.loads(row["error"]) if row["error"] else None
    code = (error or {}).get("code", "")
    category = (receipt.get("category") or {}).get("label")
    help_zh = PARKED_HELP if row["state"] == "parked" else ERROR_HELP.get(code, "请联系科室或技术支持处理")
    return OutboxLine(row["id"], row["kind"], unit, row["state"], _label(row, doc), row["created_at"],
                      receipt.get("log_index"), category, (error or {}).get("message_zh"), help_zh if error else None)


def _label(row: Any, doc: dict[str, Any]) -> str:
    label = worklist.OUTBOX_STATES.get(row["state"], row["state"])
    if row["kind"] == "review":
        return ("通过" if doc["decision"] == "approve" else "退回") + " · " + label
    if row["kind"] == "reinspection":
        return "复查" + followup.OUTCOMES.get(doc["outcome"], "") + " · " + label
    if row["kind"] == "lab_result":
        return f"样品 {doc['sample_no']} {labresults.OUTCOMES.get(doc['outcome'], '')} · {label}"
    return label
