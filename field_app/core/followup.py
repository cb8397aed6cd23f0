"""Re-inspections (复查) on the tablet, pure: which rectifications are open, and the signed
document that answers one (schemas/v1/reinspection.schema.json).

An open rectification comes from either side: a record this device signed that ordered
rectification (责令整改), open at once and offline, whatever its deadline; or a reminder from the
office (feed notice kind "reminder", sent near the deadline), which adds the public entry's
number. The re-inspection states whether the unit has rectified, with a note, photos and the
inspectors present. The server holds it with the record and updates the public entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

OUTCOMES = {"rectified": "已整改", "not_rectified": "未整改"}


class FollowupInputError(ValueError):
    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


@dataclass(frozen=True)
class Due:
    """A re-inspection to do, from a reminder."""
    record_id: str
    assignment_id: str
    unit_name: str
    deadline: str
    record_envelope_sha256: str
    disclosure_no: str

    def days_left(self, today: date) -> int:
        return (date.fromisoformat(self.deadline) - today).days

    def label(self, today: date) -> str:
        left = self.days_left(today)
        return f"整改期限 {self.deadline}（剩 {left} 天）" if left >= 0 else f"整改期限 {self.deadline}（已过 {-left} 天）"


def due_from_notice(notice: dict[str, Any]) -> Due:
    return Due(notice["record_id"], notice["assignment_id"], notice["unit_name"], notice["deadline"],
               notice["record_envelope_sha256"], notice.get("no", ""))


def rectify_deadline(record: dict[str, Any]) -> str | None:
    """The latest rectification deadline a record ordered (the server's rule: the re-inspection
    checks them all), or None when it ordered none."""
    days = [f["action"]["deadline"] for f in record.get("findings", ())
            if f.get("action") and f["action"]["kind"] == "rectify"]
    return max(days) if days else None


def due_from_record(record: dict[str, Any], envelope_sha256: str, unit_name: str) -> Due | None:
    """A record signed on this device that ordered rectification, as a re-inspection to do."""
    deadline = rectify_deadline(record)
    if deadline is None:
        return None
    return Due(record["id"], record["assignment_id"], unit_name, deadline, envelope_sha256, "")


def open_dues(notices: Iterable[dict[str, Any]], done: set[str], own: Iterable[Due] = ()) -> list[Due]:
    """Rectifications not yet re-inspected on this device, soonest deadline first (one per
    record): my own records', and the office's reminders (which name the entry's number)."""
    seen: dict[str, Due] = {due.record_id: due for due in own if due.record_id not in done}
    for notice in notices:
        due = due_from_notice(notice)
        if due.record_id not in done:
            seen[due.record_id] = due
    return sorted(seen.values(), key=lambda d: (d.deadline, d.unit_name))


def reinspection(due: Due, doc_id: str, outcome: str, note: str, photos: list[str], inspectors: list[str],
                 checked_at: str) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise FollowupInputError("请选择复查结论：已整改或未整改")
    if outcome == "not_rectified" and not note.strip():
        raise FollowupInputError("复查未整改时请写明情况")
    if not inspectors:
        raise FollowupInputError("复查须有检查人员")
    if len(note) > 2000:
        raise FollowupInputError("说明不能超过 2000 字")
    return {"schema": "suijian.reinspection/1", "id": doc_id, "record_id": due.record_id,
            "record_envelope_sha256": due.record_envelope_sha256, "checked_at": checked_at, "outcome": outcome,
            "note": note.strip(), "photos": list(dict.fromkeys(photos)), "inspectors": list(dict.fromkeys(inspectors))}
