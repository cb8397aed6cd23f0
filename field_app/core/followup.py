"""Re-inspections (复查) on the tablet, pure: what a reminder from the office asks for, and the
signed document that answers it (schemas/v1/reinspection.schema.json).

A reminder (feed notice kind "reminder") names an approved record that ordered rectification,
its deadline and the record's envelope hash; the re-inspection states whether the unit has
rectified, with a note, photos and the inspectors present. The server updates the public entry.
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


def open_dues(notices: Iterable[dict[str, Any]], done: set[str]) -> list[Due]:
    """Reminders not yet answered on this device, soonest deadline first (one per record)."""
    seen: dict[str, Due] = {}
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
