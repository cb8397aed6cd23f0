"""Work that fits the day, over real HTTP against a real server and SQLite file: the item list's
适用范围 column imported and stored, sent through the feed with the unit's category and tags, an
item found 不适用 never listed as inspected on the public entry, and a 复查 opened on the tablet
offline, before any reminder and before the leader's approval, that syncs and is accepted."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from field_app.app_state import AppState, Settings
from field_app.core import checklist
from field_app.ids import uuid7
from field_app.sync import RetryPolicy
from schemas import envelope
from schemas.applicability import NOT_APPLICABLE_NOTE
from sync_server.db.connection import open_db
from sync_server.registry.imports import import_file
from tests.support import engine
from tests.integration.conftest import server_rows
from tests.integration.test_disclosure import approve, reinspect, submit, team  # noqa: F401  (team: a fixture)
from tests.support import dates
from tests.support.records import PIN, finding, officer_key

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates


def test_the_item_list_import_stores_each_items_scope(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("事项编码,事项名称,专业,依据,适用范围\n"
                    "GG-001,卫生许可证持证情况,公共场所,《公共场所卫生管理条例》第四条,\n"
                    "GG-008,游泳场所水质,公共场所,《公共场所卫生管理条例》第三条,游泳场所\n"
                    "GG-007,集中空调通风系统卫生,公共场所,《公共场所集中空调通风系统卫生规范》,集中空调通风系统、宾馆\n",
                    encoding="utf-8-sig")
    conn = open_db(engine.new_target(tmp_path / "server.db"))
    try:
        assert import_file(conn, "items", path).inserted == 3
        stored = {r[0]: json.loads(r[1]) for r in conn.execute("SELECT code, applies_to FROM items")}
    finally:
        conn.close()
    assert stored == {"GG-001": [], "GG-008": ["游泳场所"], "GG-007": ["集中空调通风系统", "宾馆"]}


def fitted_assignment(assignments: list[dict]) -> dict:
    """One of my visits where some item does not apply to the unit (the demo's item list has scopes)."""
    return next(a for a in assignments if len(checklist.applicable(a)) < len(a["items"]))


def test_the_feed_carries_scopes_and_the_entry_lists_only_what_applies(team, county, server) -> None:  # noqa: F811
    inspector, leader = team
    assignments = inspector.store.list_assignments()
    latest = {r["code"]: json.loads(r["applies_to"]) for r in server_rows(
        county.db, "SELECT code, applies_to FROM items WHERE version = (SELECT max(version) FROM items)")}
    assert all(item["applies_to"] == latest[item["code"]] for a in assignments for item in a["items"])
    assignment = fitted_assignment(assignments)
    unit = server_rows(county.db, "SELECT category, tags FROM units WHERE id = ?", assignment["unit"]["id"])[0]
    category, tags = unit["category"], set(json.loads(unit["tags"]))
    assert (assignment["unit"]["category"], set(assignment["unit"]["tags"])) == (category, tags)
    fits = [not item["applies_to"] or category in item["applies_to"] or bool(tags & set(item["applies_to"]))
            for item in assignment["items"]]  # the rule written out again, independently of the code
    assert [i["code"] for i in checklist.applicable(assignment)] == \
        [i["code"] for i, fit in zip(assignment["items"], fits) if fit]
    findings = [finding(item) if fit else finding(item, "not_applicable", note=NOT_APPLICABLE_NOTE)
                for item, fit in zip(assignment["items"], fits)]
    record_id, sha = submit(inspector, county, assignment, findings=findings)
    assert approve(leader, record_id, sha)["status"] == "accepted"
    (entry,) = server_rows(county.db, "SELECT no FROM disclosures WHERE record_id = ?", record_id)
    doc = httpx.get(f"{server.url}/public/results/{entry['no']}.json").json()
    wanted = list(dict.fromkeys(i["name"] for i, fit in zip(assignment["items"], fits) if fit))
    skipped = {i["name"] for i, fit in zip(assignment["items"], fits) if not fit} - set(wanted)
    assert doc["items"] == wanted and skipped
    page = httpx.get(f"{server.url}/public/results/{entry['no']}").text
    assert all(name in page for name in wanted) and not any(name in page for name in skipped)


def decide(leader, record_id: str, sha: str, decision: str, reason: str = "") -> dict:
    doc = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": record_id, "record_envelope_sha256": sha,
           "decision": decision, "reason": reason, "leader": leader.keys.credentials()["user"]["id"],
           "decided_at": dates.now_stamp()}
    text = envelope.sign(doc, envelope.REVIEW_TYPE, leader.keys.private_key()).decode()
    return leader.http.post("/v1/reviews/batch", json={"envelopes": [text]}, headers=leader._auth()).json()["receipts"][0]


def test_a_reinspection_of_a_returned_or_unknown_record_is_refused_with_a_reason(team, county) -> None:  # noqa: F811
    inspector, leader = team
    assignment = inspector.store.list_assignments()[4]
    items = assignment["items"]
    rectify = {"kind": "rectify", "deadline": dates.days_from_today(10).isoformat()}
    record_id, sha = submit(inspector, county, assignment,
                            findings=[finding(items[0], "non_compliant", rectify)] + [finding(i) for i in items[1:]])
    assert decide(leader, record_id, sha, "return", "整改期限填写有误")["status"] == "accepted"
    returned, _ = reinspect(inspector, record_id, sha, "rectified", [county.inspector])
    assert (returned["status"], returned["error"]["code"]) == ("rejected", "followup.record_returned")
    assert "退回" in returned["error"]["message_zh"]
    unknown, _ = reinspect(inspector, uuid7(), sha, "rectified", [county.inspector])
    assert unknown["error"]["code"] == "record.unknown"
    assert server_rows(county.db, "SELECT 1 FROM followups WHERE record_id = ?", record_id) == []


def test_a_reinspection_opened_offline_at_any_time_syncs_and_the_entry_follows(team, county, server, admin,  # noqa: F811
                                                                                tmp_path: Path) -> None:
    _, leader = team
    tablet = AppState(Settings(tmp_path / "tablet", server.url, 0,
                               retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.01)))
    try:
        assert tablet.session.enroll(server.url, admin.code_for(county.inspector), PIN, PIN) is None
        tablet.syncing.now()
        assignment = tablet.store.list_assignments()[6]
        mate = next(m["id"] for m in assignment["team"] if m["id"] != county.inspector)
        signers = {p: officer_key(tablet, p, admin.code_for) for p in (county.inspector, mate)}  # registered online
        server.stop()                                              # offline from here on
        visit = tablet.work.open_visit(assignment["id"])
        (first, _), *rest = visit.items()
        deadline = dates.days_from_today(20).isoformat()
        visit.set_outcome(checklist.item_key(first), "non_compliant")
        visit.set_action(checklist.item_key(first), "rectify", deadline)
        for item, _ in rest:
            visit.set_outcome(checklist.item_key(item), "compliant")
        visit.refuse("当事人拒绝签字")
        record_id = visit.submit(signers).record_id
        (due,) = [d for d in tablet.reinspections.due() if d.record_id == record_id]
        assert (due.deadline, due.disclosure_no, due.unit_name) == (deadline, "", assignment["unit"]["name"])
        assert tablet.reinspections.answer(due, "rectified", "已补建消毒记录") is None
        assert [d for d in tablet.reinspections.due() if d.record_id == record_id] == []
        tablet.syncing.now()
        assert {line.state for line in tablet.outbox_lines()} == {"pending"}, "offline: nothing sent, nothing lost"
        server.start()
        tablet.syncing.now()
        assert sorted((line.kind, line.state) for line in tablet.outbox_lines()) == \
            [("record", "accepted"), ("reinspection", "accepted")]
    finally:
        tablet.close()
    (record,) = server_rows(county.db, "SELECT envelope_sha256, review_state FROM records WHERE id = ?", record_id)
    assert record["review_state"] == "in_review", "accepted before the leader's decision and before any reminder"
    assert server_rows(county.db, "SELECT 1 FROM reminders WHERE record_id = ?", record_id) == []
    assert approve(leader, record_id, record["envelope_sha256"])["status"] == "accepted"
    (entry,) = server_rows(county.db, "SELECT handling FROM disclosures WHERE record_id = ?", record_id)
    assert json.loads(entry["handling"])["rectify"] == {"deadline": deadline, "status": "met",
                                                        "checked_on": dates.today().isoformat()}
