"""My work list: each assignment with its state and how its due date stands, for the list,
search and filter (pure; today's date is passed in).

    todo       待检查   nothing done yet
    draft      草稿     a draft is saved on the device
    submitted  已提交   signed and in the outbox (waiting to sync, or with the server's receipt)
    returned   已退回   the leader sent the latest record back, with a reason
    approved   已通过   the leader approved the latest record (when the server tells the device)
    lab_pending 待检验结果  submitted or approved, and a sample it sent still waits for its lab result

The list holds every open visit drawn for me, whatever its task period, so it is grouped by the
due date (the end of the task period, Beijing date) against today:

    overdue    已逾期           work still to do (待检查, 草稿, 已退回) due before today
    soon       即将到期         work due today or within SOON_DAYS days
    later      其他待检查       the rest of the work to do
    done       已提交           submitted or approved (or waiting for a lab result): nothing to do on site
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Iterable

from schemas.applicability import item_applies
from schemas.specialties import SPECIALTIES

STATES = {"todo": "待检查", "draft": "草稿", "submitted": "已提交", "returned": "已退回", "approved": "已通过",
          "lab_pending": "待检验结果"}
ORDER = ["returned", "draft", "todo", "lab_pending", "submitted", "approved"]  # what needs the inspector first
OPEN = frozenset({"returned", "draft", "todo"})
SOON_DAYS = 7
SECTIONS = {"overdue": "已逾期", "soon": f"即将到期（{SOON_DAYS} 天内）", "later": "其他待检查", "done": "已提交"}
WEEKDAYS = "一二三四五六日"
OUTBOX_STATES = {"pending": "待同步", "accepted": "服务器已接收", "incomplete": "照片未齐，待补传",
                 "conflict": "编号冲突", "rejected": "被服务器拒收", "parked": "服务器暂时无法接收，已暂存本机"}


@dataclass(frozen=True)
class Submission:
    record_id: str
    assignment_id: str
    outbox_state: str
    created_at: str


@dataclass(frozen=True)
class WorkRow:
    assignment_id: str
    unit_name: str
    address: str
    specialty: str
    category: str
    items: int
    tasks: str
    joint: bool
    team: str
    due: str
    state: str
    detail: str = ""
    latest_record: str | None = None

    @property
    def state_zh(self) -> str:
        return STATES[self.state]

    def days_left(self, today: date) -> int:
        return (date.fromisoformat(self.due) - today).days

    def section(self, today: date) -> str:
        if self.state not in OPEN:
            return "done"
        left = self.days_left(today)
        return "overdue" if left < 0 else "soon" if left <= SOON_DAYS else "later"

    def due_text(self, today: date) -> str:
        """截止 2026-06-30（已逾期 154 天）, as the card shows it; only open work says how far off it is."""
        if self.state not in OPEN:
            return f"截止 {self.due}"
        left = self.days_left(today)
        when = f"已逾期 {-left} 天" if left < 0 else "今天到期" if left == 0 else f"还剩 {left} 天"
        return f"截止 {self.due}（{when}）"

    def matches(self, query: str) -> bool:
        text = " ".join((self.unit_name, self.address, self.specialty, self.category, self.team, self.tasks))
        return all(word in text for word in query.split())


def rows(assignments: Iterable[dict[str, Any]], drafts: set[str], submissions: Iterable[Submission],
         decisions: dict[str, str], lab_pending: frozenset[str] | set[str] = frozenset()) -> list[WorkRow]:
    """`decisions`: record id → "return" | "approve"; `lab_pending`: records with a sample whose
    lab result has not come back."""
    latest: dict[str, Submission] = {}
    for sub in submissions:  # oldest first: the last one wins
        latest[sub.assignment_id] = sub
    made = [_lab(_row(a, a["id"] in drafts, latest.get(a["id"]), decisions), lab_pending) for a in assignments
            if a.get("status", "open") == "open"]
    return sorted(made, key=lambda r: (ORDER.index(r.state), r.due, r.unit_name))


def _row(assignment: dict[str, Any], has_draft: bool, sub: Submission | None, decisions: dict[str, str]) -> WorkRow:
    state, detail = "todo", ""
    if sub is not None:
        decided = decisions.get(sub.record_id)
        state = {"return": "returned", "approve": "approved"}.get(decided or "", "submitted")
        detail = OUTBOX_STATES.get(sub.outbox_state, sub.outbox_state) if state == "submitted" else ""
        if state == "returned" and has_draft:
            detail = "修改中"
    elif has_draft:
        state = "draft"
    unit = assignment["unit"]
    return WorkRow(
        assignment["id"], unit["name"], unit["address"], SPECIALTIES.get(unit["specialty"], unit["specialty"]),
        unit.get("category", ""), sum(item_applies(i, unit) for i in assignment["items"]), "、".join(t["number"] for t in assignment["tasks"]),
        len(assignment["tasks"]) > 1, "、".join(m["name"] for m in assignment["team"]), assignment["due"],
        state, detail, sub.record_id if sub else None)


def _lab(row: WorkRow, lab_pending: frozenset[str] | set[str]) -> WorkRow:
    if row.state not in ("submitted", "approved") or row.latest_record not in lab_pending:
        return row
    return replace(row, state="lab_pending", detail=row.detail or STATES[row.state])


def filtered(all_rows: list[WorkRow], query: str = "", state: str | None = None) -> list[WorkRow]:
    return [r for r in all_rows if (state is None or r.state == state) and r.matches(query.strip())]


def tally(all_rows: Iterable[WorkRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for row in all_rows:
        counts[row.state] += 1
    return counts


@dataclass(frozen=True)
class Section:
    code: str
    rows: tuple[WorkRow, ...]

    @property
    def title(self) -> str:
        return f"{SECTIONS[self.code]}（{len(self.rows)}）"


def sections(shown: Iterable[WorkRow], today: date) -> list[Section]:
    """The rows grouped overdue, soon, later, done (empty groups left out), each group in the
    list's order: what needs the inspector first, then by due date."""
    grouped: dict[str, list[WorkRow]] = {code: [] for code in SECTIONS}
    for row in shown:
        grouped[row.section(today)].append(row)
    return [Section(code, tuple(found)) for code, found in grouped.items() if found]


def section_counts(all_rows: Iterable[WorkRow], today: date) -> dict[str, int]:
    counts = dict.fromkeys(SECTIONS, 0)
    for row in all_rows:
        counts[row.section(today)] += 1
    return counts


def day_text(today: date) -> str:
    """12月1日 星期二, as the list's heading names today."""
    return f"{today.month}月{today.day}日 星期{WEEKDAYS[today.weekday()]}"
