"""Lab samples on the tablet, pure: the samples my records sent that still wait for a result, and
the signed document that enters one (schemas/v1/lab-result.schema.json, built by schemas/lab.py).

A record's sample is pending until a result for it is in this device's outbox (entered here) or a
`lab_result` feed notice says the server has one (entered by the office or another tablet).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from schemas.lab import LabResult
from schemas.record import Case, Rectify

OUTCOMES = {"compliant": "检验合格", "non_compliant": "检验不合格"}   # schemas.lab.OUTCOMES, in Chinese


class LabInputError(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass(frozen=True)
class PendingSample:
    record_id: str
    assignment_id: str
    record_envelope_sha256: str
    item_code: str
    item_name: str
    sample_no: str
    lab: str
    tests: str

    @property
    def key(self) -> str:
        return f"{self.record_id}/{self.item_code}"


def pending(records: Iterable[tuple[dict[str, Any], str, dict[str, Any] | None]],
            resulted: set[tuple[str, str]]) -> list[PendingSample]:
    """`records`: (signed record, its envelope's SHA-256, its assignment or None), for the latest
    record of each visit; `resulted`: (record id, item code) already resulted."""
    out = []
    for record, sha, assignment in records:
        names = {i["code"]: i["name"] for i in (assignment or {}).get("items", ())}
        for f in record["findings"]:
            if f["outcome"] == "pending_lab" and f.get("sample") and (record["id"], f["item_code"]) not in resulted:
                out.append(PendingSample(record["id"], record["assignment_id"], sha, f["item_code"],
                                         names.get(f["item_code"], f["item_code"]), f["sample"]["sample_no"],
                                         f["sample"]["lab"], f["sample"]["tests"]))
    return out


def lab_result(sample: PendingSample, doc_id: str, form: dict[str, Any], me: str, now: str,
               today: date) -> dict[str, Any]:
    """The document to sign from the form {outcome, lab, report_no, reported_on, note, rectify_by,
    photos}; LabInputError (Chinese) when the form is not complete."""
    outcome = form.get("outcome")
    if outcome not in OUTCOMES:
        raise LabInputError("请选择检验结论：合格或不合格")
    reported = _date(form.get("reported_on", ""), "报告日期")
    if reported > today:
        raise LabInputError("报告日期不能晚于今天")
    action = None
    if outcome == "non_compliant":
        action = Case(None) if form.get("case") else Rectify(_date(form.get("rectify_by", ""), "整改期限").isoformat())
    lab = (form.get("lab") or sample.lab).strip()
    if not lab:
        raise LabInputError("请填写检验机构")
    return LabResult(doc_id, sample.record_id, sample.record_envelope_sha256, sample.item_code, sample.sample_no,
                     lab[:200], reported.isoformat(), outcome, me, now, report_no=(form.get("report_no") or "")[:64],
                     note=(form.get("note") or "")[:2000], action=action, photos=form.get("photos") or ()).as_json()


def _date(text: str, what_zh: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise LabInputError(f"{what_zh}格式应为 2026-12-31")
