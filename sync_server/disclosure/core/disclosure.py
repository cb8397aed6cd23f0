"""The disclosure list's rules (DOMAIN.md "Results", "Publication", "After the inspection").

An approved record becomes one public entry. What the public sees is decided here, from the
signed record and its follow-ups, with no I/O:

    inspection date   the day of arrival (Beijing time); for an unreachable unit the last attempt;
                      else the day the record was signed
    category          the record's category, except that a case still without a penalty decision
                      is published as 发现问题已责令整改 (立案调查中) until the decision turns it into
                      行政处罚
    due date          20 working days after the inspection; 7 working days after the penalty
                      decision once there is one
    handling          rectification deadline and whether it was met on re-inspection (复查), the
                      case and its penalty decision, transfers to other bodies, samples sent to a
                      lab and how many results are back (委托检验检测)

The record read here is the *effective* one (schemas/lab.py): the signed record with its lab
results applied, so a result's rectification order is handled like one made on site.

Nothing personal goes into an entry: no inspector, no photo, no party's name or signature.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from schemas.categories import LABELS
from sync_server.disclosure.core.workdays import Calendar

SCHEMA = "suijian.disclosure/1"
RESULT_DAYS = 20
PENALTY_DAYS = 7
BEIJING = timezone(timedelta(hours=8))
TRANSFER_KINDS = {"transfer": "移送", "copy": "抄告", "judicial": "移送司法机关"}
# What each publication duty rests on (DOMAIN.md "Publication"), as the office reads it.
DUE_BASIS = {"inspection": "检查结束后 20 个工作日内公示", "penalty_decision": "处罚决定作出后 7 个工作日内公示",
             "followup": "后续处置录入后 7 个工作日内更新公示"}
MAX_FINE_FEN = 100_000_000_000   # a billion yuan: anything above is a typing slip


class FollowupError(ValueError):
    """A follow-up that contradicts the record it follows (a penalty before the inspection...)."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code, self.message_zh = code, message_zh


@dataclass(frozen=True)
class Penalty:
    decision_no: str
    decided_on: date
    amount_fen: int | None = None


@dataclass(frozen=True)
class Reinspection:
    checked_on: date
    rectified: bool


@dataclass(frozen=True)
class Transfer:
    to_body: str
    kind: str
    on: date


@dataclass(frozen=True)
class Followups:
    reinspections: tuple[Reinspection, ...] = ()
    penalty: Penalty | None = None
    transfers: tuple[Transfer, ...] = ()


def beijing_date(stamp: str) -> date:
    """The calendar day in Beijing of an RFC 3339 time."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(BEIJING).date()


def inspection_date(record: dict[str, Any]) -> date:
    visit = record["visit"]
    if visit["outcome"] == "unreachable" and visit["attempts"]:
        return max(beijing_date(a["at"]) for a in visit["attempts"])
    if visit["arrived_at"]:
        return beijing_date(visit["arrived_at"])
    return beijing_date(record["device_times"]["signed_at"])


def rectify_deadline(record: dict[str, Any]) -> date | None:
    """The latest rectification deadline ordered on the visit, if any."""
    days = [date.fromisoformat(f["action"]["deadline"]) for f in record["findings"]
            if f["action"] and f["action"]["kind"] == "rectify"]
    return max(days) if days else None


def public_category(record_category: str, followups: Followups) -> str:
    if followups.penalty is not None:
        return "penalty"
    if record_category == "penalty":
        return "rectify"
    return record_category


@dataclass(frozen=True)
class Obligation:
    """A duty to publish: within `days` working days of `start`."""
    start: date
    days: int
    basis: str      # inspection · penalty_decision · followup


def obligation(inspected_on: date, followups: Followups) -> Obligation:
    """What the entry's current content must be public by: 20 working days after the inspection,
    7 after the penalty decision once there is one."""
    if followups.penalty is not None:
        return Obligation(followups.penalty.decided_on, PENALTY_DAYS, "penalty_decision")
    return Obligation(inspected_on, RESULT_DAYS, "inspection")


def followup_obligation(recorded_on: date) -> Obligation:
    """Other follow-ups (a re-inspection's result, a transfer) update a published entry within the
    same 7 working days as a penalty (the regime asks that follow-up results be entered; it sets
    no separate period, so the shorter statutory one is used)."""
    return Obligation(recorded_on, PENALTY_DAYS, "followup")


def next_obligation(current: Obligation, ever_published: bool, waiting: bool, duty: Obligation,
                    today: date) -> Obligation:
    """The duty after a follow-up changed an entry. A penalty decision starts its own 7 days; an
    entry never published keeps its first duty; an update already waiting keeps its duty; other
    changes to a published entry are due as a follow-up from today."""
    if duty.basis == "penalty_decision" and current.basis != "penalty_decision":
        return duty
    if not ever_published or waiting:
        return current
    return followup_obligation(today)


def due_fields(calendar: Calendar, duty: Obligation) -> dict[str, Any]:
    deadline = calendar.add(duty.start, duty.days)
    return {"due_from": duty.start.isoformat(), "due_days": duty.days, "due_on": deadline.day.isoformat(),
            "due_provisional": int(deadline.provisional), "due_basis": duty.basis}


def late_days(calendar: Calendar, due_on: date, published_on: date) -> int:
    """Working days from the due date to the publication (0 when on time)."""
    count, day = 0, due_on
    while day < published_on:
        day += timedelta(days=1)
        count += calendar.is_workday(day)
    return count


def check_penalty(record: dict[str, Any], record_category: str, penalty: Penalty, today: date) -> None:
    inspected = inspection_date(record)
    if record_category == "unreachable":
        raise FollowupError("followup.not_applicable", "an unreachable unit has no penalty case",
                            "无法联系的单位没有可处罚的检查结果")
    if record_category == "no_problem":
        raise FollowupError("followup.not_applicable", "no problem was found on this visit",
                            "该次检查未发现问题，不能录入处罚决定")
    if penalty.decided_on < inspected:
        raise FollowupError("followup.before_inspection",
                            f"the decision date {penalty.decided_on} is before the inspection on {inspected}",
                            f"处罚决定日期（{penalty.decided_on}）早于检查日期（{inspected}）")
    if penalty.decided_on > today:
        raise FollowupError("followup.in_future", f"the decision date {penalty.decided_on} is in the future",
                            f"处罚决定日期（{penalty.decided_on}）晚于今天")
    if penalty.amount_fen is not None and penalty.amount_fen < 0:
        raise FollowupError("followup.bad_amount", "a fine is not negative", "罚款金额不能为负数")


def check_dated(record: dict[str, Any], on: date, today: date, what_zh: str) -> None:
    inspected = inspection_date(record)
    if on < inspected:
        raise FollowupError("followup.before_inspection", f"{on} is before the inspection on {inspected}",
                            f"{what_zh}日期（{on}）早于检查日期（{inspected}）")
    if on > today:
        raise FollowupError("followup.in_future", f"{on} is in the future", f"{what_zh}日期（{on}）晚于今天")


def handling(record: dict[str, Any], record_category: str, followups: Followups) -> dict[str, Any]:
    """How the result was handled, as published (dates as ISO text)."""
    out: dict[str, Any] = {}
    deadline = rectify_deadline(record)
    if deadline is not None:
        checks = sorted(followups.reinspections, key=lambda r: r.checked_on)
        last = checks[-1] if checks else None
        status = "pending" if last is None else ("met" if last.rectified and last.checked_on <= deadline
                                                 else "late" if last.rectified else "not_met")
        out["rectify"] = {"deadline": deadline.isoformat(), "status": status,
                          "checked_on": last.checked_on.isoformat() if last else None}
    if record_category == "penalty" or followups.penalty is not None:
        penalty = followups.penalty
        out["case"] = {"decision_no": penalty.decision_no if penalty else None,
                       "decided_on": penalty.decided_on.isoformat() if penalty else None,
                       "amount_fen": penalty.amount_fen if penalty else None}
    if record_category == "unreachable":
        out["attempts"] = len(record["visit"]["attempts"])
    lab = lab_handling(record)
    if lab:
        out["lab"] = lab
    if followups.transfers:
        out["transfers"] = [{"to_body": t.to_body, "kind": t.kind, "on": t.on.isoformat()}
                            for t in sorted(followups.transfers, key=lambda t: t.on)]
    return out


def lab_handling(record: dict[str, Any]) -> dict[str, int] | None:
    """Samples sent to a lab: how many, how many still pending, how many failed (no sample number,
    no lab's name: counts only)."""
    sampled = [f for f in record["findings"] if f.get("sample")]
    if not sampled:
        return None
    return {"samples": len(sampled), "pending": sum(f["outcome"] == "pending_lab" for f in sampled),
            "non_compliant": sum(f["outcome"] == "non_compliant" for f in sampled)}


RECTIFY_STATUS = {"pending": "整改期限内，待复查", "met": "已按期整改", "late": "已整改（逾期）",
                  "not_met": "复查未整改"}


def rectify_status_text(status: str, deadline: date, today: date | None) -> str:
    """A rectification's state in Chinese: a pending one whose deadline has passed is no longer
    "within the deadline" (without `today`, as in a signed entry, the stored state is shown)."""
    if status == "pending" and today is not None and deadline < today:
        return "整改期限已过，待复查"
    return RECTIFY_STATUS[status]


def handling_text(handling_doc: dict[str, Any], today: date | None = None) -> list[str]:
    """The handling in plain Chinese, one line each, for pages and downloads."""
    lines = []
    rectify = handling_doc.get("rectify")
    if rectify:
        text = rectify_status_text(rectify["status"], date.fromisoformat(rectify["deadline"]), today)
        checked = f"，{rectify['checked_on']} 复查" if rectify.get("checked_on") else ""
        lines.append(f"责令限期整改，期限 {rectify['deadline']}：{text}{checked}")
    case = handling_doc.get("case")
    if case:
        if case["decision_no"]:
            fine = f"，罚款 {yuan(case['amount_fen'])} 元" if case.get("amount_fen") else ""
            lines.append(f"行政处罚决定书 {case['decision_no']}（{case['decided_on']}）{fine}")
        else:
            lines.append("已立案调查，处罚决定作出后 7 个工作日内公示")
    sampled = handling_doc.get("lab")
    if sampled:
        lines.append(lab_text(sampled))
    if "attempts" in handling_doc:
        lines.append(f"经 {handling_doc['attempts']} 次实地或电话联系未果")
    for transfer in handling_doc.get("transfers", ()):
        lines.append(f"{TRANSFER_KINDS.get(transfer['kind'], '移送')}{transfer['to_body']}（{transfer['on']}）")
    return lines or ["—"]


def lab_text(sampled: dict[str, int]) -> str:
    if sampled["pending"]:
        back = sampled["samples"] - sampled["pending"]
        return f"抽样送检 {sampled['samples']} 份，检验结果待出" + (f"（已出 {back} 份）" if back else "")
    if sampled["non_compliant"]:
        return f"抽样送检 {sampled['samples']} 份，检验不合格 {sampled['non_compliant']} 份"
    return f"抽样送检 {sampled['samples']} 份，检验合格"


def yuan(fen: int) -> str:
    return f"{fen // 100:,}" + (f".{fen % 100:02d}" if fen % 100 else "")


def entry_doc(no: str, revision: int, unit: dict[str, str], specialty: str, tasks: Iterable[dict[str, str]],
              items: Iterable[str], inspected_on: date, category: str, handling_doc: dict[str, Any], body: str,
              due_on: date, published_on: date, record_sha256: str, record_log_index: int) -> dict[str, Any]:
    """The public entry exactly as published and hashed (its canonical JSON is what the log covers)."""
    return {
        "schema": SCHEMA, "no": no, "revision": revision,
        "unit": {"name": unit["name"], "uscc": unit["uscc"]}, "specialty": specialty,
        "tasks": [{"number": t["number"], "title": t["title"]} for t in tasks], "items": list(items),
        "inspected_on": inspected_on.isoformat(), "category": {"code": category, "label": LABELS[category]},
        "handling": handling_doc, "body": body, "due_on": due_on.isoformat(), "published_on": published_on.isoformat(),
        "record": {"envelope_sha256": record_sha256, "log_index": record_log_index},
    }


def entry_no(year: int, serial: int) -> str:
    return f"{year}-{serial:06d}"


EXPORT_HEADERS = ("公示编号", "单位名称", "统一社会信用代码", "专业", "抽查任务", "抽查事项", "检查日期", "检查结果",
                  "处理情况", "检查机关", "公示日期", "修订次数", "应公示日期", "记录哈希（SHA-256）")


def export_row(doc: dict[str, Any], specialty_name: str) -> tuple[str | date | int, ...]:
    """One published entry as a row of the CSV and XLSX downloads (the columns of EXPORT_HEADERS):
    dates as dates, the revision as a number, everything else (the USCC too) as text."""
    return (doc["no"], doc["unit"]["name"], doc["unit"]["uscc"], specialty_name,
            "；".join(f"{t['number']} {t['title']}" for t in doc["tasks"]), "；".join(doc["items"]),
            _day(doc["inspected_on"]), doc["category"]["label"], "；".join(handling_text(doc["handling"])), doc["body"],
            _day(doc["published_on"]), int(doc["revision"]), _day(doc["due_on"]), doc["record"]["envelope_sha256"])


def _day(text: str | None) -> date | str:
    """A YYYY-MM-DD field as a date; anything else (never expected in a published entry) as it is."""
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return text or ""


# --- what the office's forms carry ---------------------------------------------------------------

def publication_version(revision: int, state: str, category: str, handling: str, due_on: str) -> str:
    """A short fingerprint of an entry as the office saw it: a form opened on it is refused once
    it was published, or its content or due date changed, since."""
    return _fingerprint([revision, state, category, handling, due_on])


def content_version(category: str, handling: str, followup_ids: Iterable[str]) -> str:
    """A short fingerprint of what a follow-up form is about (the entry's content and its
    follow-ups); publishing the entry leaves it unchanged."""
    return _fingerprint([category, handling, sorted(followup_ids)])


def batch_version(versions: Iterable[tuple[str, str]]) -> str:
    """The fingerprint of a list of entries (number, version) about to be published together."""
    return _fingerprint(sorted(versions))


def _fingerprint(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


YUAN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


def parse_yuan(text: str) -> int | None:
    """A fine typed in yuan ("5000", "5,000.50", "５０００") as fen; None when left blank.
    ValueError (with a Chinese message) for anything else."""
    text = text.strip().replace(",", "").replace("，", "").replace("元", "").strip()
    text = text.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}).replace("．", ".")
    if not text:
        return None
    if not YUAN.fullmatch(text):
        raise ValueError("罚款金额应为不小于 0 的数字（单位：元，最多两位小数），如 5000 或 5000.50")
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation:
        raise ValueError("罚款金额应为数字") from None
    if fen > MAX_FINE_FEN:
        raise ValueError("罚款金额过大，请核对（单位：元）")
    return fen
