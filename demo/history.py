"""The demo county's year so far: inspections signed on tablets, approved by leaders, published,
and followed up, all through the same code paths as live data (the ingest, the review, the
disclosure list, the follow-up ledger), with the times they would have happened at.

Deterministic for a seed. Visits of the demo inspector stay open: they are the demo's work to do.
The story has every category (no problem, rectify, penalty, unreachable), rectifications checked
on time and late, cases decided and one still open, transfers, a few results published late, and
a few approved at the end and not yet published (the office's overdue list), and a few signed in
the last days with photos, waiting for the demo leader's decision (the leader's tablet has work).
"""
from __future__ import annotations

import hashlib
import io
import json
import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import envelope
from sync_server.accounts import service as accounts
from sync_server.disclosure import service as disclosure, followups
from sync_server.records import ingest, photostore, reviews
from schemas.clock import format_time
from sync_server.planning.queries import assignments
from sync_server.db import meta
from sync_server.records.queries import records
from sync_server.accounts.queries import users

CUTOFF = date(2026, 11, 13)          # the story ends here; later visits are still to do
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


@dataclass(order=True)
class Event:
    at: datetime
    order: int
    run: Callable[[str], None] = field(compare=False)


class Devices:
    """One enrolled tablet per person, its key made from the seed (the demo's archive devices)."""

    def __init__(self, conn: sqlite3.Connection, seed_value: int) -> None:
        self.conn, self.seed, self.rows, self.keys = conn, seed_value, {}, {}

    def of(self, user_id: str) -> tuple[sqlite3.Row, Ed25519PrivateKey]:
        if user_id not in self.rows:
            key = Ed25519PrivateKey.from_private_bytes(
                hashlib.sha256(f"suijian-demo-device:{self.seed}:{user_id}".encode()).digest())
            code = accounts.new_enrollment_code(self.conn, user_id, 1)["code"]
            done = accounts.enroll(self.conn, {"code": code, "public_key": envelope.public_raw_of(key).hex(),
                                               "algorithm": "ed25519", "device_name": "演示平板（历史记录）"})
            self.rows[user_id] = users.get_device_by_id(self.conn, done["device_id"])
            self.keys[user_id] = key
        return self.rows[user_id], self.keys[user_id]


def seed_history(conn: sqlite3.Connection, photo_dir: Path, seed_value: int = 2026) -> dict[str, int]:
    rng = random.Random(f"suijian-history:{seed_value}")
    devices = Devices(conn, seed_value)
    demo_inspector = meta.get_meta(conn, "demo_inspector")
    leaders = [u["id"] for u in users.list_users(conn) if u["role"] == "leader"]
    events: list[Event] = []
    counts = {"records": 0}
    visits = assignments.list_due_by_with_risk(conn, CUTOFF.isoformat())
    for visit in visits:
        doc = json.loads(visit["doc"])
        team = [m["id"] for m in doc["team"]]
        if demo_inspector in team:
            continue
        _plan_visit(rng, doc, visit["risk"], team, leaders, events, conn, devices, photo_dir, counts)
    events.sort()
    held = {id(e) for e in sorted((e for e in events if e.order == 2), reverse=True)[:HELD_AT_END]}
    for event in events:
        stamp = format_time(event.at)
        if id(event) in held:
            meta.set_meta(conn, "publish_mode", "daily")
            event.run(stamp)
            meta.set_meta(conn, "publish_mode", "on_approval")
        else:
            event.run(stamp)
    counts["awaiting_review"] = _awaiting_review(rng, conn, devices, photo_dir, counts)
    return counts


def _awaiting_review(rng: random.Random, conn: sqlite3.Connection, devices: Devices, photo_dir: Path,
                     counts: dict[str, int]) -> int:
    """Visits signed in the days after the cutoff, with photos, not yet decided: one with a
    rectification order, one with nothing found, one case, one unreachable, all of teams the
    demo leader may review (four eyes)."""
    skip = {meta.get_meta(conn, "demo_inspector"), meta.get_meta(conn, "demo_leader")}
    later = [json.loads(v["doc"]) for v in assignments.list_due_by_with_risk(conn, "9999-12-31")
             if v["doc"] and json.loads(v["doc"])["due"] > CUTOFF.isoformat()]
    chosen = [d for d in later if not skip & {m["id"] for m in d["team"]}][:AWAITING_REVIEW]
    for n, (doc, kind) in enumerate(zip(chosen, ("rectify", "none", "case", "unreachable"))):
        inspected = CUTOFF + timedelta(days=3 + 2 * n)
        arrived = _day_time(inspected, rng)
        team = [m["id"] for m in doc["team"]]
        device, key = devices.of(team[0])
        shots = [_scene(rng, n * 3 + i) for i in range(2 if kind == "rectify" else 1)]
        for data in shots:
            _store_photo(conn, photo_dir, device["id"], data)
        hashes = [hashlib.sha256(data).hexdigest() for data in shots]
        visit = _visit(rng, arrived, kind == "unreachable", inspected)
        findings: list[dict[str, Any]] = []
        party = None
        if kind == "unreachable":
            visit["attempts"][0]["photos"] = hashes
        else:
            findings = _findings(rng, doc, kind != "none", kind == "case", inspected + timedelta(days=15))
            marked = next((f for f in findings if f["outcome"] == "non_compliant"), findings[0])
            marked["photos"] = hashes
            signature = _signature(rng, doc["unit"]["contact"] or "负责人")
            _store_photo(conn, photo_dir, device["id"], signature)
            party = {"signature_photo": hashlib.sha256(signature).hexdigest(),
                     "name": doc["unit"]["contact"] or "现场负责人"}
        record = {
            "schema": "suijian.inspection-record/1", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "assignment_id": doc["id"], "supersedes": None, "visit": visit, "findings": findings, "party": party,
            "inspectors": team, "device_times": {"started_at": format_time(arrived),
                                                 "signed_at": format_time(arrived + timedelta(minutes=40))}}
        _sign_and_store(conn, device, key, record, format_time(arrived + timedelta(hours=2)), counts)
    return len(chosen)


def _sign_and_store(conn: sqlite3.Connection, device: sqlite3.Row, key: Ed25519PrivateKey, record: dict[str, Any],
                    now: str, counts: dict[str, int]) -> None:
    """A record signed on the inspector's tablet and pushed, through the live ingest."""
    text = envelope.sign(record, envelope.RECORD_TYPE, key).decode("utf-8")
    checked = ingest.check_all([text], ingest.parse_keys(conn, [text]))
    receipt = ingest.store_all(conn, device, checked, now)[0]
    assert receipt["status"] == "accepted", receipt
    counts["records"] += 1


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


def _day_time(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 16) -> datetime:
    moment = datetime.combine(day, time(rng.randint(start_hour, end_hour), rng.randrange(60)), BEIJING)
    return moment.astimezone(timezone.utc)


def _workday_before(day: date, back: int) -> date:
    day -= timedelta(days=back)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _plan_visit(rng: random.Random, doc: dict[str, Any], risk: str, team: list[str], leaders: list[str],
                events: list[Event], conn: sqlite3.Connection, devices: Devices, photo_dir: Path,
                counts: dict[str, int]) -> None:
    inspected = _workday_before(date.fromisoformat(doc["due"]), rng.randint(0, 12))
    arrived = _day_time(inspected, rng)
    record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    unreachable = rng.random() < UNREACHABLE_ODDS
    problem = not unreachable and rng.random() < PROBLEM_ODDS.get(risk, 0.2)
    case = problem and rng.random() < CASE_ODDS.get(risk, 0.1)
    deadline = inspected + timedelta(days=rng.choice((15, 15, 30)))
    findings = _findings(rng, doc, problem, case, deadline) if not unreachable else []
    signature = None if unreachable else _signature(rng, doc["unit"]["contact"] or "负责人")
    record = {
        "schema": "suijian.inspection-record/1", "id": record_id, "assignment_id": doc["id"], "supersedes": None,
        "visit": _visit(rng, arrived, unreachable, inspected), "findings": findings,
        "party": None if unreachable else {"signature_photo": hashlib.sha256(signature).hexdigest(),
                                           "name": doc["unit"]["contact"] or "现场负责人"},
        "inspectors": team, "device_times": {"started_at": format_time(arrived),
                                             "signed_at": format_time(arrived + timedelta(minutes=rng.randint(25, 90)))},
    }
    signer = team[0]
    leader = rng.choice(leaders)
    approve_days = rng.randint(26, 34) if rng.random() < LATE_APPROVAL_ODDS else rng.randint(1, 6)
    approved = _day_time(inspected + timedelta(days=approve_days), rng, 14, 17)

    def submit(now: str) -> None:
        device, key = devices.of(signer)
        if signature is not None:
            _store_photo(conn, photo_dir, device["id"], signature)
        _sign_and_store(conn, device, key, record, now, counts)

    def approve(now: str) -> None:
        device, key = devices.of(leader)
        sha = hashlib.sha256(_envelope_of(conn, record_id)).hexdigest()
        decision = {"schema": "suijian.review-decision/1", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "record_id": record_id, "record_envelope_sha256": sha, "decision": "approve", "reason": "",
                    "leader": leader, "decided_at": now}
        text = envelope.sign(decision, envelope.REVIEW_TYPE, key).decode("utf-8")
        receipt = reviews.decide_batch(conn, device, [text], now)[0]
        assert receipt["status"] == "accepted", receipt

    events.append(Event(arrived + timedelta(hours=2), 1, submit))
    events.append(Event(approved, 2, approve))
    if problem and not case and deadline + timedelta(days=3) < CUTOFF and approve_days < 10:
        _reinspection(rng, record_id, deadline, team, signer, events, conn, devices)
    if case:
        decided = inspected + timedelta(days=max(approve_days + 1, rng.randint(12, 40)))
        if decided < CUTOFF and rng.random() < 0.85:
            _penalty(rng, record_id, decided, risk, events, conn)


def _reinspection(rng: random.Random, record_id: str, deadline: date, team: list[str], signer: str,
                  events: list[Event], conn: sqlite3.Connection, devices: Devices) -> None:
    rectified = rng.random() >= NOT_RECTIFIED_ODDS
    checked = _day_time(deadline + timedelta(days=rng.randint(-4, 2 if rectified else 1)), rng)

    def run(now: str) -> None:
        device, key = devices.of(signer)
        sha = hashlib.sha256(_envelope_of(conn, record_id)).hexdigest()
        doc = {"schema": "suijian.reinspection/1", "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
               "record_id": record_id, "record_envelope_sha256": sha, "checked_at": format_time(checked),
               "outcome": "rectified" if rectified else "not_rectified",
               "note": "复查时已按要求整改完毕" if rectified else "复查时仍未整改，拟立案调查", "photos": [],
               "inspectors": team}
        text = envelope.sign(doc, envelope.REINSPECTION_TYPE, key).decode("utf-8")
        receipt = followups.reinspect_batch(conn, device, [text], now)[0]
        assert receipt["status"] == "accepted", receipt
        if not rectified:
            followups.record_transfer(conn, "admin", record_id, "云溪县市场监督管理局", "copy",
                                      checked.astimezone(BEIJING).date().isoformat(),
                                      "涉及市场监管部门职责，抄告处理", now=now)

    events.append(Event(checked + timedelta(hours=1), 3, run))


def _penalty(rng: random.Random, record_id: str, decided: date, risk: str, events: list[Event],
             conn: sqlite3.Connection) -> None:
    amount = rng.choice((2000, 3000, 5000, 10000, 20000)) * 100
    serial = rng.randint(10, 99)

    def run(now: str) -> None:
        followups.record_penalty(conn, "admin", record_id, f"云卫公罚〔2026〕{serial}号", decided.isoformat(),
                                 amount, now=now)
        if risk == "D" and amount >= 1_000_000:
            followups.record_transfer(conn, "admin", record_id, "云溪县公安局", "judicial", decided.isoformat(),
                                      "涉嫌非法行医，移送公安机关", now=now)

    events.append(Event(_day_time(decided, rng, 15, 17), 4, run))


def _visit(rng: random.Random, arrived: datetime, unreachable: bool, inspected: date) -> dict[str, Any]:
    location = {"lat_e6": 27_950_000 + rng.randint(-90_000, 90_000), "lon_e6": 116_360_000 + rng.randint(-90_000, 90_000),
                "accuracy_m": rng.randint(5, 40)}
    if not unreachable:
        return {"outcome": "inspected", "arrived_at": format_time(arrived), "location": location, "attempts": []}
    phone = _day_time(inspected, rng, 14, 16)
    return {"outcome": "unreachable", "arrived_at": format_time(arrived), "location": location, "attempts": [
        {"method": "visit", "at": format_time(arrived), "note": "按登记地址实地查找，经营场所已关闭，周边商户称已停业", "photos": []},
        {"method": "phone", "at": format_time(phone), "note": "拨打登记联系电话，无人接听", "photos": []}]}


def _findings(rng: random.Random, doc: dict[str, Any], problem: bool, case: bool, deadline: date) -> list[dict[str, Any]]:
    findings = [{"item_code": item["code"], "task_id": item["task_id"],
                 "outcome": "not_applicable" if rng.random() < 0.05 else "compliant", "note": "",
                 "legal_basis": item["legal_basis"], "action": None, "photos": []} for item in doc["items"]]
    if problem:
        bad = rng.choice([f for f in findings])
        bad["outcome"] = "non_compliant"
        bad["note"] = rng.choice(PROBLEM_NOTES)
        bad["action"] = {"kind": "case", "case_no": None} if case else {"kind": "rectify", "deadline": deadline.isoformat()}
    return findings


def _signature(rng: random.Random, name: str) -> bytes:
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


def _store_photo(conn: sqlite3.Connection, photo_dir: Path, device_id: str, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    facts = photostore.inspect(data, 40_000_000)
    photostore.store(photo_dir, sha, data)
    ingest.photo_arrived(conn, device_id, sha, facts, len(data))


def _envelope_of(conn: sqlite3.Connection, record_id: str) -> bytes:
    return records.get_envelope_by_id(conn, record_id) or b""


def summary(conn: sqlite3.Connection) -> dict[str, Any]:
    return disclosure.status(conn)
