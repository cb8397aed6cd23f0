"""The demo county's year so far, made through the live paths only: the second-half task drawn in
October (demo.draws), inspection records built by the one record builder (schemas/record.py),
signed on the inspectors' own enrolled tablets and pushed through the API with their photos,
approved by leaders' tablets through the review API, re-inspections pushed the same way, penalty
decisions and transfers entered through the office's API. The server stamps each step when the
story says it happened (demo.api.at), and the disclosure list follows by itself.

Deterministic for a seed. Visits of the demo inspector stay open: they are the demo's work to do.
Each visit is inspected on a working day of its task's period; visits whose day falls after the
story's end (CUTOFF) are still to do. The story has every category (no problem, rectify, penalty,
unreachable), rectifications checked on time and late, cases decided and one still open,
transfers, a few results approved late, a few approved at the end and not yet published (the
office's overdue list), and a few signed in the last days with photos, waiting for the demo
leader's decision (the leader's tablet has work).
"""
from __future__ import annotations

import heapq
import io
import itertools
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable

from demo import draws as demo_draws
from demo.api import Server, Tablets, at
from schemas import envelope
from schemas.applicability import NOT_APPLICABLE_NOTE, item_applies
from schemas.clock import format_time, utc_now
from schemas.record import Attempt, Case, Finding, InspectionRecord, Location, Rectify, Signature
from sync_server.db import Connection, meta
from sync_server.db.connection import transaction
from sync_server.disclosure import service as disclosure
from sync_server.planning import plans
from sync_server.planning.queries import assignments
from sync_server.accounts.queries import users

CUTOFF = date(2026, 11, 13)          # the story ends here; later visits are still to do
LAST_APPROVAL = date(2026, 11, 20)   # no leader decides after this day (the tests' clock is the Monday after)
BEIJING = timezone(timedelta(hours=8))
PROBLEM_ODDS = {"A": 0.12, "B": 0.28, "C": 0.45, "D": 0.6}
CASE_ODDS = {"A": 0.04, "B": 0.08, "C": 0.2, "D": 0.35}
UNREACHABLE_ODDS = 0.06
NOT_RECTIFIED_ODDS = 0.12
LATE_APPROVAL_ODDS = 0.04
HELD_AT_END = 6                      # approved last, left for the daily batch
AWAITING_REVIEW = 4                  # signed after the cutoff, in the demo leader's queue
PROBLEM_NOTES = ("现场检查发现不符合要求，已当场指出并责令改正", "相关记录不全，未按规定建立台账",
                 "公示信息未及时更新", "部分设施设备未按要求维护", "从业人员健康证明部分过期")
APPROVE = 2                          # the order of an approval among events at one instant


@dataclass(order=True)
class Event:
    at: datetime
    order: int
    seq: int
    run: Callable[[], None] = field(compare=False)
    record: str = field(default="", compare=False)


def _happen(event: Event) -> None:
    with at(event.at):
        event.run()


@dataclass
class Story:
    """What the history needs at hand: the database (read, and the office's own steps), the
    server behind its API, the tablets, the random stream and the events still to happen."""
    conn: Connection
    server: Server
    tablets: Tablets
    rng: random.Random
    seed: int
    leaders: list[str]
    skip: set[str]
    events: list[Event] = field(default_factory=list)
    planned: set[str] = field(default_factory=set)
    recorded: set[str] = field(default_factory=set)
    counter: itertools.count = field(default_factory=itertools.count)
    counts: dict[str, int] = field(default_factory=lambda: {"records": 0})
    held: int = 0

    def add(self, moment: datetime, order: int, run: Callable[[], None], record: str = "") -> None:
        heapq.heappush(self.events, Event(moment, order, next(self.counter), run, record))

    def run(self) -> None:
        """Every event in time order. The last HELD_AT_END approvals wait to the end and are made
        while the office publishes in a daily batch (switched through the disclosure service a
        minute before the first, and back a minute after the last), so they stay on its list
        waiting for publication, overdue once their due dates pass; an event about a record whose
        approval waits lets that approval go first."""
        waiting: list[Event] = []
        while self.events:
            event = heapq.heappop(self.events)
            if event.order == APPROVE:
                waiting.append(event)
                if len(waiting) > HELD_AT_END:
                    _happen(waiting.pop(0))
                continue
            for first in [e for e in waiting if e.record and e.record == event.record]:
                waiting.remove(first)
                _happen(first)
            _happen(event)
        if waiting:
            _set_mode(self.conn, "daily", waiting[0].at - timedelta(minutes=1))
        for event in waiting:
            _happen(event)
        if waiting:
            _set_mode(self.conn, "on_approval", waiting[-1].at + timedelta(minutes=1))

    def doc(self, assignment_id: str) -> dict[str, Any]:
        return json.loads(assignments.get_assignment_doc(self.conn, assignment_id) or "{}")


def seed_history(conn: Connection, server: Server, seed_value: int = 2026) -> dict[str, int]:
    """Run the story up to the cutoff, then the records still waiting for review."""
    story = Story(conn, server, Tablets(server, seed_value), random.Random(f"suijian-history:{seed_value}"),
                  seed_value, [u["id"] for u in users.list_users(conn) if u["role"] == "leader"],
                  {meta.get_meta(conn, "demo_inspector") or "", meta.get_meta(conn, "demo_leader") or ""})
    _plan_open_visits(story)
    when = demo_draws.schedule_of(conn, demo_draws.SECOND_HALF)
    story.add(when.drawn, 0, lambda: _second_half(story))
    story.run()
    story.counts["awaiting_review"] = _awaiting_review(story)
    return story.counts


def _set_mode(conn: Connection, mode: str, moment: datetime) -> None:
    """The office switches how it publishes, as `sync-server publish --mode` does."""
    with at(moment), transaction(conn):
        disclosure.set_publish_mode(conn, mode)


def _second_half(story: Story) -> None:
    with transaction(story.conn):
        demo_draws.draw(story.conn, demo_draws.SECOND_HALF, story.seed)
    _plan_open_visits(story)


def _plan_open_visits(story: Story) -> None:
    for row in assignments.list_due_by_with_risk(story.conn, "9999-12-31"):
        doc = json.loads(row["doc"])
        if doc["id"] in story.planned or story.skip & {m["id"] for m in doc["team"]}:
            continue
        story.planned.add(doc["id"])
        inspected = _inspection_day(story.rng, story.conn, doc)
        if inspected is not None and inspected <= CUTOFF:
            _plan_visit(story, doc["id"], row["risk"], inspected)


def _inspection_day(rng: random.Random, conn: Connection, doc: dict[str, Any]) -> date | None:
    """A working day of the visit's tasks' periods (their overlap), or None when there is none."""
    start = max(date.fromisoformat(t["period_start"]) for t in _tasks(conn, doc))
    end = date.fromisoformat(doc["due"])
    if end < start:
        return None
    return _workday_before(start + timedelta(days=rng.randint(0, (end - start).days)), 0, start)


def _tasks(conn: Connection, doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(plans.task_by_key(conn, t["id"])) for t in doc["tasks"]]


@dataclass(frozen=True)
class Plan:
    """How one visit goes, decided when it is planned (the record is built when it is signed)."""
    assignment_id: str
    record_id: str
    arrived: datetime
    minutes: int
    unreachable: bool
    problem: bool
    case: bool
    deadline: date
    note: str
    seed: int


def _plan_visit(story: Story, assignment_id: str, risk: str, inspected: date) -> None:
    rng = story.rng
    story.recorded.add(assignment_id)
    arrived = _day_time(inspected, rng)
    unreachable = rng.random() < UNREACHABLE_ODDS
    problem = not unreachable and rng.random() < PROBLEM_ODDS.get(risk, 0.2)
    case = problem and rng.random() < CASE_ODDS.get(risk, 0.1)
    plan = Plan(assignment_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)), arrived, rng.randint(25, 90),
                unreachable, problem, case, inspected + timedelta(days=rng.choice((15, 15, 30))),
                rng.choice(PROBLEM_NOTES), rng.getrandbits(32))
    leader = rng.choice(story.leaders)
    approve_days = rng.randint(26, 34) if rng.random() < LATE_APPROVAL_ODDS else rng.randint(1, 6)
    approve_days = min(approve_days, (LAST_APPROVAL - inspected).days)
    approved = _day_time(inspected + timedelta(days=approve_days), rng, 14, 17)
    review_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    sha: dict[str, str] = {}

    def submit() -> None:
        sha["record"] = _submit(story, plan)

    def approve() -> None:
        _approve(story, leader, plan.record_id, sha["record"], review_id)

    story.add(arrived + timedelta(hours=2), 1, submit)
    story.add(approved, APPROVE, approve, plan.record_id)
    if problem and not case and plan.deadline + timedelta(days=3) < CUTOFF and approve_days < 10:
        _reinspection(story, plan, sha)
    if case:
        decided = inspected + timedelta(days=max(approve_days + 1, rng.randint(12, 40)))
        if decided < CUTOFF and rng.random() < 0.85:
            _penalty(story, plan.record_id, decided, risk)


def _submit(story: Story, plan: Plan) -> str:
    """The record as the inspector's tablet signs it, from the visit as it stands that day (a
    joint visit carries every task's items), with the party's signature photo uploaded first."""
    doc = story.doc(plan.assignment_id)
    team = [m["id"] for m in doc["team"]]
    tablet = story.tablets.of(team[0])
    rng = random.Random(plan.seed)
    party = None
    if not plan.unreachable:
        signature = _signature(rng)
        party = Signature(tablet.photo(signature), doc["unit"]["contact"] or "现场负责人")
    record = _record(plan, doc, team, rng, party, [])
    return _push_record(story, tablet, record)


def _record(plan: Plan, doc: dict[str, Any], team: list[str], rng: random.Random, party: Signature | None,
            photos: list[str]) -> dict[str, Any]:
    signed = plan.arrived + timedelta(minutes=plan.minutes)
    return InspectionRecord(
        record_id=plan.record_id, assignment_id=doc["id"], inspectors=team, started_at=format_time(plan.arrived),
        signed_at=format_time(signed), arrived_at=format_time(plan.arrived),
        outcome="unreachable" if plan.unreachable else "inspected",
        findings=() if plan.unreachable else _findings(rng, doc, plan, photos),
        party=party, attempts=_attempts(rng, plan, photos) if plan.unreachable else (),
        location=Location(27_950_000 + rng.randint(-90_000, 90_000), 116_360_000 + rng.randint(-90_000, 90_000),
                          rng.randint(5, 40))).as_json()


def _push_record(story: Story, tablet: Any, record: dict[str, Any]) -> str:
    receipt = tablet.push(record, envelope.RECORD_TYPE)
    story.counts["records"] += 1
    return receipt["envelope_sha256"]


def _findings(rng: random.Random, doc: dict[str, Any], plan: Plan, photos: list[str]) -> list[Finding]:
    outcomes = ["not_applicable" if rng.random() < 0.05 else "compliant" for _ in doc["items"]]
    bad = rng.randrange(len(doc["items"])) if plan.problem else -1
    fits = [item_applies(item, doc["unit"]) for item in doc["items"]]
    if bad >= 0 and not fits[bad]:   # the problem is found on an item that applies to the unit
        bad = fits.index(True)
    action = Case() if plan.case else Rectify(plan.deadline.isoformat())
    findings = [Finding.of(item, "non_compliant", plan.note, action, photos) if n == bad
                else Finding.of(item, outcome) if fit else Finding.of(item, "not_applicable", NOT_APPLICABLE_NOTE)
                for n, (item, outcome, fit) in enumerate(zip(doc["items"], outcomes, fits))]
    if bad < 0 and photos:
        first = fits.index(True)
        findings[first] = Finding.of(doc["items"][first], outcomes[first], photos=photos)
    return findings


def _attempts(rng: random.Random, plan: Plan, photos: list[str]) -> list[Attempt]:
    phone = _day_time(plan.arrived.astimezone(BEIJING).date(), rng, 14, 16)
    return [Attempt("visit", format_time(plan.arrived), "按登记地址实地查找，经营场所已关闭，周边商户称已停业", photos),
            Attempt("phone", format_time(max(phone, plan.arrived + timedelta(minutes=30))), "拨打登记联系电话，无人接听")]


def _approve(story: Story, leader: str, record_id: str, record_sha: str, review_id: str) -> None:
    decision = {"schema": "suijian.review-decision/1", "id": review_id, "record_id": record_id,
                "record_envelope_sha256": record_sha, "decision": "approve", "reason": "", "leader": leader,
                "decided_at": utc_now()}
    story.tablets.of(leader).push(decision, envelope.REVIEW_TYPE)


def _reinspection(story: Story, plan: Plan, sha: dict[str, str]) -> None:
    rng = story.rng
    rectified = rng.random() >= NOT_RECTIFIED_ODDS
    checked = _day_time(plan.deadline + timedelta(days=rng.randint(-4, 2 if rectified else 1)), rng)
    doc_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def run() -> None:
        team = [m["id"] for m in story.doc(plan.assignment_id)["team"]]
        doc = {"schema": "suijian.reinspection/1", "id": doc_id, "record_id": plan.record_id,
               "record_envelope_sha256": sha["record"], "checked_at": format_time(checked),
               "outcome": "rectified" if rectified else "not_rectified",
               "note": "复查时已按要求整改完毕" if rectified else "复查时仍未整改，拟立案调查", "photos": [],
               "inspectors": team}
        story.tablets.of(team[0]).push(doc, envelope.REINSPECTION_TYPE)
        if not rectified:
            story.server.office("POST", f"/v1/admin/results/{plan.record_id}/transfers", {
                "to_body": "云溪县市场监督管理局", "kind": "copy", "on": checked.astimezone(BEIJING).date().isoformat(),
                "note": "涉及市场监管部门职责，抄告处理"})

    story.add(checked + timedelta(hours=1), 3, run, plan.record_id)


def _penalty(story: Story, record_id: str, decided: date, risk: str) -> None:
    rng = story.rng
    amount = rng.choice((2000, 3000, 5000, 10000, 20000)) * 100
    serial = rng.randint(10, 99)

    def run() -> None:
        story.server.office("POST", f"/v1/admin/results/{record_id}/penalty", {
            "decision_no": f"云卫公罚〔2026〕{serial}号", "decided_on": decided.isoformat(), "amount_fen": amount})
        if risk == "D" and amount >= 1_000_000:
            story.server.office("POST", f"/v1/admin/results/{record_id}/transfers", {
                "to_body": "云溪县公安局", "kind": "judicial", "on": decided.isoformat(),
                "note": "涉嫌非法行医，移送公安机关"})

    story.add(_day_time(decided, rng, 15, 17), 4, run, record_id)


def _awaiting_review(story: Story) -> int:
    """Visits signed in the days after the cutoff, with photos, not yet decided: one with a
    rectification order, one with nothing found, one case, one unreachable, all of teams the
    demo leader may review (four eyes)."""
    rng = story.rng
    later = [json.loads(v["doc"]) for v in assignments.list_due_by_with_risk(story.conn, "9999-12-31")]
    chosen = [d for d in later if d["due"] > CUTOFF.isoformat() and not story.skip & {m["id"] for m in d["team"]}
              and d["id"] not in story.recorded][:AWAITING_REVIEW]
    for n, (doc, kind) in enumerate(zip(chosen, ("rectify", "none", "case", "unreachable"))):
        inspected = CUTOFF + timedelta(days=3 + 2 * n)
        plan = Plan(doc["id"], str(uuid.UUID(int=rng.getrandbits(128), version=4)), _day_time(inspected, rng), 40,
                    kind == "unreachable", kind in ("rectify", "case"), kind == "case",
                    inspected + timedelta(days=15), rng.choice(PROBLEM_NOTES), rng.getrandbits(32))
        with at(plan.arrived + timedelta(hours=2)):
            _signed_with_photos(story, plan, doc, n)
    return len(chosen)


def _signed_with_photos(story: Story, plan: Plan, doc: dict[str, Any], n: int) -> None:
    team = [m["id"] for m in doc["team"]]
    tablet = story.tablets.of(team[0])
    rng = random.Random(plan.seed)
    photos = [tablet.photo(_scene(rng, n * 3 + i)) for i in range(2 if plan.problem and not plan.case else 1)]
    party = None if plan.unreachable else Signature(tablet.photo(_signature(rng)),
                                                    doc["unit"]["contact"] or "现场负责人")
    _push_record(story, tablet, _record(plan, doc, team, rng, party, photos))


def _scene(rng: random.Random, seed: int) -> bytes:
    """A photo-like JPEG, as the tablet stores it (long side 1600, quality 80)."""
    from PIL import Image, ImageDraw

    size = (1600, 1200)
    image = Image.blend(Image.linear_gradient("L").resize(size).convert("RGB"),
                        Image.effect_noise(size, 20).convert("RGB"), 0.3)
    pen = ImageDraw.Draw(image)
    for i in range(10):
        x, y = rng.randrange(size[0] - 260), rng.randrange(size[1] - 160)
        pen.rectangle((x, y, x + 260, y + 160), fill=((seed * 50 + i * 30) % 256, 140, (i * 70) % 256))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _signature(rng: random.Random) -> bytes:
    """A scribble standing in for the party's signature drawn on the tablet (PNG)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (360, 140), 255)
    pen = ImageDraw.Draw(image)
    x, y = 20, 70
    for _ in range(rng.randint(8, 14)):
        nx, ny = min(340, x + rng.randint(10, 40)), max(20, min(120, y + rng.randint(-40, 40)))
        pen.line((x, y, nx, ny), fill=0, width=3)
        x, y = nx, ny
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _day_time(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 16) -> datetime:
    moment = datetime.combine(day, time(rng.randint(start_hour, end_hour), rng.randrange(60)), BEIJING)
    return moment.astimezone(timezone.utc)


def _workday_before(day: date, back: int, earliest: date | None = None) -> date:
    """The working day `back` days before `day`, or the next one when that falls before `earliest`."""
    day -= timedelta(days=back)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    if earliest is not None and day < earliest:
        day = earliest
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day
