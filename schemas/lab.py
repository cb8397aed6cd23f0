"""Lab samples (委托检验检测): a record's pending samples, a lab result checked against them, and
the record as its results make it (pure: no clock, no I/O).

    signed record ─ finding outcome "pending_lab" + sample {sample_no, lab, tests, photos}
    lab result    ─ its own document (schemas/v1/lab-result.schema.json), signed on a tablet or
                    entered by the office, naming record_id, record_envelope_sha256, item_code,
                    sample_no; outcome compliant / non_compliant (with the action it orders)
    effective     ─ `effective_record(record, results)`: the signed record with each resulted
                    finding's outcome, note and action taken from its result; everything that
                    decides a category or a public entry reads this, the signed bytes never change

A finding has at most one result: a second result for the same sample is refused
(`lab.result_exists`), as is a result for an item that sent no sample or another sample number.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from schemas.record import PENDING_LAB, Action

SCHEMA = "suijian.lab-result/1"
OUTCOMES = ("compliant", "non_compliant")


class LabResultError(ValueError):
    """A lab result that does not fit the record it names."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.code, self.message_zh = code, message_zh


@dataclass(frozen=True)
class LabResult:
    """One lab result as it is signed (`as_json()`), built by the tablet and the office alike."""
    result_id: str
    record_id: str
    record_envelope_sha256: str
    item_code: str
    sample_no: str
    lab: str
    reported_on: str
    outcome: str
    entered_by: str
    entered_at: str
    report_no: str = ""
    note: str = ""
    action: Action | None = None
    photos: Sequence[str] = ()

    def as_json(self) -> dict[str, Any]:
        kept = self.action if self.outcome == "non_compliant" else None
        return {"schema": SCHEMA, "id": self.result_id, "record_id": self.record_id,
                "record_envelope_sha256": self.record_envelope_sha256, "item_code": self.item_code,
                "sample_no": self.sample_no.strip(), "lab": self.lab.strip(), "report_no": self.report_no.strip(),
                "reported_on": self.reported_on, "outcome": self.outcome, "note": self.note,
                "action": kept.as_json() if kept else None, "photos": list(dict.fromkeys(self.photos)),
                "entered_by": self.entered_by, "entered_at": self.entered_at}


def pending_samples(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The findings of a record that sent a sample, as {item_code, sample_no, lab, tests}."""
    return [{"item_code": f["item_code"], **{k: f["sample"][k] for k in ("sample_no", "lab", "tests")}}
            for f in record["findings"] if f["outcome"] == PENDING_LAB and f.get("sample")]


def check_result(record: Mapping[str, Any], result: Mapping[str, Any],
                 earlier: Iterable[Mapping[str, Any]] = ()) -> None:
    """Refuse a result that names no pending sample of the record, or one already resulted."""
    finding = _finding(record, result["item_code"])
    if finding is None or finding["outcome"] != PENDING_LAB or not finding.get("sample"):
        raise LabResultError("lab.not_sampled", f"item {result['item_code']} of this record sent no sample",
                             f"该记录的检查项目 {result['item_code'][:40]} 没有送检样品")
    if finding["sample"]["sample_no"] != result["sample_no"]:
        raise LabResultError("lab.sample_mismatch",
                             f"item {result['item_code']} sent sample {finding['sample']['sample_no']}, "
                             f"not {result['sample_no']}",
                             f"样品编号不符：该项目送检样品为 {finding['sample']['sample_no']}")
    if any(e["item_code"] == result["item_code"] and e["id"] != result["id"] for e in earlier):
        raise LabResultError("lab.result_exists", "this sample already has a result",
                             f"样品 {result['sample_no'][:64]} 已录入检验结果；如需更正请联系监督所")


def effective_record(record: Mapping[str, Any], results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The record with each pending finding decided by its result (a copy; the signed one is untouched)."""
    by_item = {r["item_code"]: r for r in results}
    out = copy.deepcopy(dict(record))
    for finding in out["findings"]:
        result = by_item.get(finding["item_code"])
        if result is not None and finding["outcome"] == PENDING_LAB:
            finding.update(outcome=result["outcome"], action=result["action"],
                           note="；".join(t for t in (finding["note"], result["note"]) if t))
    return out


def _finding(record: Mapping[str, Any], item_code: str) -> Mapping[str, Any] | None:
    return next((f for f in record["findings"] if f["item_code"] == item_code), None)
