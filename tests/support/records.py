"""Build inspection records the way the field app does (shared by unit and integration tests),
and sign them as the team tablet does: by two officers (or more), each with their own key.

`record(assignment, [me])` names a second member of the assignment's team when it lists one
officer (a record needs two); `queue_record(tablet, doc)` signs by each of the record's
inspectors with their own signing key on that tablet, registering it first with the officer's
own one-time code (`tablet.code_for`, set by the fixtures that make tablets) and PIN."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from schemas import envelope
from tests.support import dates

PIN = "258036"          # every test officer's PIN
_UNLOCKED: dict[tuple[Path, str], Ed25519PrivateKey] = {}   # scrypt once per officer and tablet


def finding(item: dict[str, Any], outcome: str = "compliant", action: dict | None = None,
            photos: list[str] | None = None, note: str = "") -> dict[str, Any]:
    if outcome == "non_compliant" and action is None:
        action = {"kind": "rectify", "deadline": dates.days_from_today(38).isoformat()}
    return {"item_code": item["code"], "task_id": item["task_id"], "outcome": outcome, "note": note,
            "legal_basis": item["legal_basis"], "action": action, "photos": photos or []}


def record(assignment: dict[str, Any], inspectors: list[str], *, findings: list[dict] | None = None,
           outcome: str = "inspected", party: dict | None = None, supersedes: str | None = None,
           attempts: list[dict] | None = None, record_id: str | None = None) -> dict[str, Any]:
    if findings is None:
        findings = [finding(item) for item in assignment["items"]] if outcome == "inspected" else []
    if party is None and outcome == "inspected":
        party = {"refused": True, "note": "当事人拒绝签字"}
    inspectors = two_officers(assignment, inspectors)
    day = dates.inspection_day()   # three days before the suite's today (tests/conftest.py)
    arrived = dates.stamp(day, 17)
    if attempts is None:
        attempts = [] if outcome == "inspected" else [
            {"method": "visit", "at": arrived, "note": "大门紧锁，无人应答", "photos": []}]
    return {
        "schema": "suijian.inspection-record/1", "id": record_id or uuid7(),
        "assignment_id": assignment["id"], "supersedes": supersedes,
        "visit": {"outcome": outcome, "arrived_at": arrived,
                  "location": {"lat_e6": 36185000, "lon_e6": 118170000, "accuracy_m": 15}, "attempts": attempts},
        "findings": findings, "party": party if outcome == "inspected" else None,
        "inspectors": inspectors,
        "device_times": {"started_at": arrived, "signed_at": f"{day.isoformat()}T17:40:00+08:00"},
    }


def two_officers(assignment: dict[str, Any], inspectors: list[str]) -> list[str]:
    """The inspectors, with a teammate added when only one is named and the team is known."""
    team = [m["id"] for m in assignment.get("team", [])]
    if len(inspectors) == 1 and inspectors[0] in team:
        return [*inspectors, next(p for p in team if p != inspectors[0])]
    return list(inspectors)


def officer_key(tablet: Any, officer: str, code_for: Callable[[str], str] | None = None) -> Ed25519PrivateKey:
    """The officer's signing key on this tablet, registered with their own code on first use."""
    officers = tablet.keys.officers
    cached = _UNLOCKED.get((officers.directory, officer))
    if cached is not None and officers.has(officer):
        return cached
    if not officers.has(officer):
        code = (code_for or tablet.code_for)(officer)
        if hasattr(tablet, "session"):     # an AppState: the way the app's screen does it
            assert tablet.session.join_officer(code, PIN, PIN) is None
        else:                              # a SyncClient
            tablet.join_officer(code, PIN, "test tablet")
    _UNLOCKED[(officers.directory, officer)] = key = officers.unlock(officer, PIN)
    return key


def team_signers(tablet: Any, visit: Any) -> dict[str, Ed25519PrivateKey]:
    """Two officers of a visit's team (the tablet's own user first), unlocked as the signing
    step unlocks them, for `Visit.submit`."""
    me = tablet.me["id"]
    mate = next(m["id"] for m in visit.assignment["team"] if m["id"] != me)
    return {person: officer_key(tablet, person) for person in (me, mate)}


def sign_record(tablet: Any, doc: dict[str, Any], signers: list[str] | None = None) -> bytes:
    """The envelope signed by each officer (the record's inspectors unless `signers` says)."""
    keys = [officer_key(tablet, person) for person in (signers or doc["inspectors"])]
    return envelope.sign(doc, envelope.RECORD_TYPE, *keys)


def queue_record(tablet: Any, doc: dict[str, Any], photos: Iterable[str] = (), now: str | None = None,
                 signers: list[str] | None = None) -> bytes:
    """Sign by each officer (the record's inspectors unless `signers` says otherwise) with
    their own key on `tablet`, and put the envelope in its outbox."""
    keys = [officer_key(tablet, person) for person in (signers or doc["inspectors"])]
    return sign_and_queue(tablet.store, tablet.keys, "record", doc, photos, now or dates.now_stamp(), officers=keys)


ITEMS = [
    {"code": "GG-001", "task_id": "t1", "legal_basis": "《公共场所卫生管理条例》第八条"},
    {"code": "GG-002", "task_id": "t1", "legal_basis": "《公共场所卫生管理条例》第七条"},
]
ASSIGNMENT = {"id": "0190f3b4-0000-7000-8000-000000000001", "items": ITEMS}   # no team: inspectors as given
