"""The leader's review: the queue pulled at sync, and decisions signed on this device."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from field_app.state.services import Services
from field_app.state.session import Session
from field_app.store import document_of


@dataclass(frozen=True)
class ReviewItem:
    record_id: str
    envelope_sha256: str
    unit_name: str
    address: str
    category: str
    record: dict[str, Any]
    assignment: dict[str, Any]
    own_team: bool
    decided: str | None = None


class Review:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session

    def items(self) -> list[ReviewItem]:
        decided = self.services.store.decided_records()
        return [self._item(entry, decided.get(entry["record_id"])) for entry in self.services.store.review_queue()]

    def _item(self, entry: dict[str, Any], decision: Any) -> ReviewItem:
        record, assignment, me = document_of(entry["envelope"]), entry["assignment"], self.session.me.get("id")
        own = me in record["inspectors"] or me in [m["id"] for m in assignment["team"]]
        return ReviewItem(entry["record_id"], entry["envelope_sha256"], assignment["unit"]["name"],
                          assignment["unit"]["address"], entry["category"]["label"], record, assignment, own,
                          document_of(decision["envelope"])["decision"] if decision is not None else None)

    def waiting(self) -> int:
        return sum(1 for item in self.items() if not item.decided and not item.own_team)

    def decide(self, item: ReviewItem, decision: str, reason: str = "") -> str | None:
        """Sign a decision on this device and queue it; None when saved, else why not (Chinese)."""
        if item.own_team:
            return "您是该检查组成员，不能审核本组的记录（双人复核）"
        if item.decided:
            return "该记录已处理"
        if decision == "return" and not reason.strip():
            return "退回时必须填写退回原因"
        now = self.services.clock.stamp()
        doc = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": item.record_id,
               "record_envelope_sha256": item.envelope_sha256, "decision": decision, "reason": reason.strip(),
               "leader": self.session.me["id"], "decided_at": now}
        sign_and_queue(self.services.store, self.services.keys, "review", doc, [], now)
        return None
