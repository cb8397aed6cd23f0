"""The leader's review: the queue pulled at sync, and decisions signed on this device.

    queue        the records still to decide (a record leaves it once decided here)
    correction   a record that supersedes a returned one: what changed since (core/record_diff.py)
                 and the reason it was returned, both from the server's queue item
    approve      with an optional comment, signed; `done` says what was just decided, for the
                 banner at the top of the queue
    batch        several no-problem records (not corrections) approved together: one decision each
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from field_app.core.record_diff import Change, changes
from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from field_app.photos import facts
from field_app.state.services import Services
from field_app.state.session import Session
from field_app.store import document_of

DECIDED = {"approve": "已通过", "return": "已退回"}


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
    category_code: str = ""
    earlier: dict[str, Any] | None = None     # the returned record this one corrects, as signed
    returned: dict[str, Any] | None = None    # the decision that returned it: reason, comment, leader_name, decided_at

    @property
    def correction(self) -> bool:
        return self.record.get("supersedes") is not None

    @property
    def open(self) -> bool:
        """Still to be decided by this leader."""
        return not self.decided and not self.own_team

    @property
    def batchable(self) -> bool:
        """Approvable with others in one go: no problem found, and not a correction (whose changes
        the leader reads one by one)."""
        return self.open and self.category_code == "no_problem" and not self.correction


class Review:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session
        self.done: tuple[str, list[str]] | None = None   # what was just decided, and the decisions' ids

    def items(self) -> list[ReviewItem]:
        decided = self.services.store.decided_records()
        return [self._item(entry, decided.get(entry["record_id"])) for entry in self.services.store.review_queue()]

    def queue(self) -> list[ReviewItem]:
        """What the leader still has to decide (their own team's records are shown, and refused)."""
        return [item for item in self.items() if not item.decided]

    def _item(self, entry: dict[str, Any], decision: Any) -> ReviewItem:
        record, assignment, me = document_of(entry["envelope"]), entry["assignment"], self.session.me.get("id")
        own = me in record["inspectors"] or me in [m["id"] for m in assignment["team"]]
        earlier = entry.get("earlier") or {}
        return ReviewItem(entry["record_id"], entry["envelope_sha256"], assignment["unit"]["name"],
                          assignment["unit"]["address"], entry["category"]["label"], record, assignment, own,
                          document_of(decision["envelope"])["decision"] if decision is not None else None,
                          entry["category"].get("code", ""),
                          document_of(earlier["envelope"]) if earlier.get("envelope") else None,
                          earlier.get("returned"))

    def waiting(self) -> int:
        return sum(1 for item in self.items() if item.open)

    def changes(self, item: ReviewItem) -> list[Change]:
        """What a correction changed since the returned record (empty for a first record)."""
        if item.earlier is None:
            return []
        items = {i["code"]: i["name"] for i in item.assignment["items"]}
        people = {m["id"]: m["name"] for m in item.assignment["team"]}
        return changes(item.earlier, item.record, items, people)

    def photo_caption(self, sha256: str) -> str | None:
        """When and where a photo on this device was taken; None while it is not downloaded."""
        found = facts(self.services.files.full(sha256))
        return found.caption() if found else None

    def decide(self, item: ReviewItem, decision: str, reason: str = "", comment: str = "") -> str | None:
        """Sign a decision on this device and queue it; None when saved, else why not (Chinese)."""
        error = self._refusal(item, decision, reason)
        if error:
            return error
        self.done = (f"{DECIDED[decision]}：{item.unit_name}。", [self._sign(item, decision, reason, comment)])
        return None

    def approve_many(self, items: list[ReviewItem], comment: str = "") -> str | None:
        """Approve several no-problem records, each with its own signed decision; None when all are
        saved, else why not (nothing is signed unless every one may be approved)."""
        if not items:
            return "请先勾选要通过的记录"
        wrong = [item.unit_name for item in items if not item.batchable]
        if wrong:
            return "以下记录不能批量通过，请逐条审核：" + "、".join(wrong)
        ids = [self._sign(item, "approve", "", comment) for item in items]
        self.done = (f"已通过 {len(items)} 条记录：" + "、".join(i.unit_name for i in items) + "。", ids)
        return None

    def done_text(self) -> str | None:
        """What was just decided, and whether the server has it yet, for the top of the queue."""
        if self.done is None:
            return None
        text, ids = self.done
        states = {row["id"]: row["state"] for row in self.services.store.outbox_rows_of("review")}
        if all(states.get(i) == "accepted" for i in ids):
            return text + "审核意见已签名，服务器已接收。"
        if any(states.get(i) in ("rejected", "conflict") for i in ids):
            return text + "服务器未接收审核意见，原因见“同步”。"
        return text + "审核意见已在本机签名，联网后自动上传。"

    def _refusal(self, item: ReviewItem, decision: str, reason: str) -> str | None:
        if item.own_team:
            return "您是该检查组成员，不能审核本组的记录（双人复核）"
        if item.decided:
            return "该记录已处理"
        if decision == "return" and not reason.strip():
            return "退回时必须填写退回原因"
        return None

    def _sign(self, item: ReviewItem, decision: str, reason: str, comment: str) -> str:
        now = self.services.clock.stamp()
        doc = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": item.record_id,
               "record_envelope_sha256": item.envelope_sha256, "decision": decision, "reason": reason.strip(),
               "leader": self.session.me["id"], "decided_at": now}
        if comment.strip():
            doc["comment"] = comment.strip()
        sign_and_queue(self.services.store, self.services.keys, "review", doc, [], now)
        return doc["id"]
