"""The app's state without a renderer: drafts that survive a restart, submit = sign + outbox
commit, the work list's states, corrections of returned records, the leader's decisions, offline."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from field_app.app_state import AppState, Settings
from field_app.camera import scene_jpeg
from field_app.photos import PhotoRefused
from field_app.sync import RetryPolicy
from tests.support.records import PIN
from tests.support.server import free_port
from tests.unit.test_app_checklist import JOINT

ASSIGNMENT = {**JOINT, "schema": "suijian.assignment/1", "due": "2026-12-31", "status": "open", "version": 1,
              "unit": {"id": "92369921MA2F1MHD4Q", "name": "云溪县绿源皮肤管理中心", "address": "云溪县马坪乡集镇大道8号",
                       "specialty": "public_places", "category": "美容店", "contact": "魏婷芳", "phone": "185-0000-3629"}}
OTHER = {**ASSIGNMENT, "id": "0190f3b4-0000-7000-8000-000000000002",
         "unit": {**ASSIGNMENT["unit"], "name": "云溪县天和影院", "address": "云溪县东城街道南环路35号"}}


def make_state(home: Path, user: dict | None = None) -> AppState:
    state = AppState(Settings(home, f"http://127.0.0.1:{free_port()}", sync_interval=0,
                              retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.01)))
    if not state.enrolled:
        state.keys.save_credentials("dev-1", "dev_token", user or {"id": "p1", "name": "刘颖", "role": "inspector"})
    state.store.save_feed_page([{"kind": "assignment", "data": ASSIGNMENT}, {"kind": "assignment", "data": OTHER}],
                               "2", "2026-11-20T08:00:00Z")
    return state


@pytest.fixture
def state(tmp_path: Path):
    made = make_state(tmp_path / "tablet")
    yield made
    made.close()


def work_visit(state: AppState) -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    visit.set_outcome("T1/GG-001", "compliant")
    visit.set_outcome("T1/GG-002", "non_compliant")
    visit.set_note("T1/GG-002", "卫生管理档案缺失")
    visit.add_photo("T1/GG-002", scene_jpeg((1200, 900), seed=4))
    visit.set_outcome("T2/XD-001", "not_applicable")
    visit.sign([[(10, 10), (120, 60), (200, 20)]], (600, 220), "魏婷芳")


def officers_on(state: AppState, *people: str) -> None:
    """Team members' signing keys on the tablet, as registering them leaves them (no server here)."""
    for person in people:
        if not state.keys.officers.has(person):
            state.keys.officers.keep({"id": person, "name": person}, state.keys.officers.new_key(), PIN)


def signed(state: AppState, visit):
    """The confirm step: p1 and p2 each sign with their own PIN, then submit."""
    officers_on(state, "p1", "p2")
    signing = state.work.signing(visit)
    assert signing.sign("p1", PIN) is None and signing.sign("p2", PIN) is None
    return signing.submit()


def states(state: AppState) -> dict[str, str]:
    return {row.unit_name: row.state for row in state.work.rows()}


def test_every_change_survives_a_restart(tmp_path: Path) -> None:
    first = make_state(tmp_path / "tablet")
    work_visit(first)
    first.store.conn.close()  # no orderly shutdown: the process is gone
    again = make_state(tmp_path / "tablet")
    visit = again.work.open_visit(ASSIGNMENT["id"])
    finding = visit.draft["findings"]["T1/GG-002"]
    assert (finding["outcome"], finding["note"], len(finding["photos"])) == ("non_compliant", "卫生管理档案缺失", 1)
    assert visit.draft["party"]["name"] == "魏婷芳" and visit.problems() == []
    assert states(again)["云溪县绿源皮肤管理中心"] == "draft"
    again.close()


def test_submit_commits_the_signed_record_and_retires_the_draft(state: AppState) -> None:
    work_visit(state)
    saved = signed(state, state.work.open_visit(ASSIGNMENT["id"]))
    (row,) = state.store.outbox_rows()
    assert (row["id"], row["kind"], row["state"]) == (saved.record_id, "record", "pending")
    assert state.store.get_draft(ASSIGNMENT["id"]) is None
    assert saved.category.code == "rectify"
    assert states(state) == {"云溪县绿源皮肤管理中心": "submitted", "云溪县天和影院": "todo"}
    assert state.work.outbox_waiting() == 1
    with pytest.raises(ValueError, match="已提交"):
        state.work.open_visit(ASSIGNMENT["id"])


def test_an_incomplete_visit_cannot_be_submitted(state: AppState) -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    visit.set_outcome("T1/GG-001", "compliant")
    with pytest.raises(ValueError, match="未选择检查结果"):
        signed(state, visit)
    assert state.store.outbox_rows() == []


def test_a_refused_photo_leaves_the_draft_alone(state: AppState) -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    with pytest.raises(PhotoRefused):
        visit.add_photo("T1/GG-001", b"\xff\xd8\xff garbage")
    assert state.work.open_visit(ASSIGNMENT["id"]).draft["findings"]["T1/GG-001"]["photos"] == []


def test_offline_sync_changes_nothing(state: AppState) -> None:
    work_visit(state)
    signed(state, state.work.open_visit(ASSIGNMENT["id"]))
    result = state.syncing.now()
    assert result.offline and state.work.outbox_waiting() == 1 and state.work.last_sync() is None
    assert [line.state_zh for line in state.outbox_lines()] == ["待同步"]


def test_a_returned_record_is_corrected_by_a_superseding_draft(state: AppState) -> None:
    work_visit(state)
    first = signed(state, state.work.open_visit(ASSIGNMENT["id"]))
    notice = {"record_id": first.record_id, "assignment_id": ASSIGNMENT["id"], "decision": "return",
              "reason": "照片不清晰", "leader": "p9", "decided_at": "2026-11-21T10:00:00Z", "review_id": "r1"}
    state.store.save_feed_page([{"kind": "review", "data": notice}], "3", "2026-11-21T10:01:00Z")
    assert states(state)["云溪县绿源皮肤管理中心"] == "returned"
    assert state.work.return_notice(ASSIGNMENT["id"])["reason"] == "照片不清晰"
    correction = state.work.start_correction(ASSIGNMENT["id"])
    assert correction.draft["supersedes"] == first.record_id and correction.problems() == []
    second = signed(state, correction)
    assert states(state)["云溪县绿源皮肤管理中心"] == "submitted"
    doc = json.loads(base64.b64decode(json.loads(state.store.envelope_of(second.record_id))["payload"]))
    assert doc["supersedes"] == first.record_id


def test_the_leader_decides_signed_on_the_device_but_never_for_their_own_team(tmp_path: Path) -> None:
    leader = make_state(tmp_path / "leader", {"id": "p3", "name": "丁俊文", "role": "leader"})
    inspector = make_state(tmp_path / "tablet")
    work_visit(inspector)
    saved = signed(inspector, inspector.work.open_visit(ASSIGNMENT["id"]))
    envelope = inspector.store.envelope_of(saved.record_id)
    entry = {"record_id": saved.record_id, "envelope": envelope, "envelope_sha256": "a" * 64,
             "category": {"code": "rectify", "label": "发现问题已责令整改", "rules": "categories/1", "basis": []},
             "received_at": "2026-11-21T10:00:00Z",
             "assignment": {**ASSIGNMENT, "team": [{"id": "p1", "name": "刘颖"}, {"id": "p3", "name": "丁俊文"}]}}
    leader.store.save_review_queue([entry], "2026-11-21T10:00:00Z")
    (item,) = leader.review.items()
    assert item.own_team, "p3 is on the assignment's team"
    assert "双人复核" in leader.review.decide(item, "approve")
    other = {**entry, "assignment": ASSIGNMENT}   # signed by p1 and p2, p3 not on the team
    leader.store.save_review_queue([other], "2026-11-21T10:00:00Z")
    (item,) = leader.review.items()
    assert leader.review.decide(item, "return", "  ") == "退回时必须填写退回原因"
    assert leader.review.decide(item, "return", "照片不清晰") is None
    (row,) = leader.store.outbox_rows()
    assert row["kind"] == "review" and leader.review.items()[0].decided == "return"
    assert leader.review.decide(leader.review.items()[0], "approve") == "该记录已处理"
    leader.close()
    inspector.close()


def test_an_unreachable_unit_is_recorded_with_what_was_tried(state: AppState) -> None:
    visit = state.work.open_visit(OTHER["id"])
    visit.set_unreachable(True)
    assert visit.problems() == ["请至少记录一次联系尝试（上门或电话）"]
    visit.add_attempt("visit", "大门紧锁，无人应答", [scene_jpeg((800, 600), seed=9)])
    visit.add_attempt("phone", "电话 185-0000-3629 无人接听")
    saved = signed(state, state.work.open_visit(OTHER["id"]))
    assert saved.category.code == "unreachable"
    (row,) = state.store.outbox_rows()
    photos = state.store.conn.execute("SELECT count(*) FROM outbox_photos WHERE record_id = ?", (row["id"],))
    assert photos.fetchone()[0] == 1, "the attempt's photo goes up with the record"


def test_a_refused_record_shows_the_servers_reason_and_what_to_do(state: AppState) -> None:
    work_visit(state)
    saved = signed(state, state.work.open_visit(ASSIGNMENT["id"]))
    error = {"code": "assignment.not_on_team", "message": "not on the team", "message_zh": "您不在该检查组"}
    state.store.apply_receipts([(saved.record_id, {"id": saved.record_id, "status": "rejected",
                                                   "envelope_sha256": "0" * 64, "error": error})], "2026-11-21T10:00:00Z")
    (line,) = state.outbox_lines()
    assert (line.state_zh, line.error_zh) == ("被服务器拒收", "您不在该检查组")
    assert "联系科室核对分组" in line.help_zh
    assert state.work.outbox_waiting() == 0, "a refused record is not retried blindly"


def test_an_approval_in_the_feed_marks_the_visit_approved(state: AppState) -> None:
    work_visit(state)
    saved = signed(state, state.work.open_visit(ASSIGNMENT["id"]))
    notice = {"record_id": saved.record_id, "assignment_id": ASSIGNMENT["id"], "decision": "approve", "reason": "",
              "leader": "p9", "decided_at": "2026-11-21T10:00:00Z", "review_id": "r2"}
    state.store.save_feed_page([{"kind": "review", "data": notice}], "4", "2026-11-21T10:01:00Z")
    assert states(state)["云溪县绿源皮肤管理中心"] == "approved"
    assert state.store.list_returns() == [], "an approval is not a return"


def test_an_attempt_being_written_survives_a_restart(tmp_path: Path) -> None:
    first = make_state(tmp_path / "tablet")
    visit = first.work.open_visit(OTHER["id"])
    visit.set_unreachable(True)
    visit.edit_pending_attempt(method="phone", note="拨打两次")
    visit.add_pending_photo(scene_jpeg((800, 600), seed=5))
    first.store.conn.close()
    again = make_state(tmp_path / "tablet")
    visit = again.work.open_visit(OTHER["id"])
    assert visit.pending_attempt["method"] == "phone" and visit.pending_attempt["note"] == "拨打两次"
    visit.record_pending_attempt()
    (attempt,) = visit.draft["attempts"]
    assert (attempt["method"], attempt["note"], len(attempt["photos"])) == ("phone", "拨打两次", 1)
    assert visit.pending_attempt["note"] == "" and visit.problems() == []
    again.close()


# --- two officers sign, each with their own PIN --------------------------------------------------
def test_the_record_is_signed_by_each_officer_who_entered_their_pin(state: AppState) -> None:
    from schemas import envelope

    work_visit(state)
    officers_on(state, "p1", "p2")
    signing = state.work.signing(state.work.open_visit(ASSIGNMENT["id"]))
    assert [(m.id, m.state_zh) for m in signing.members()] == [("p1", "待签名"), ("p2", "待签名")]
    assert signing.sign("p1", PIN) is None
    assert signing.problems() == ["须由至少 2 名本组执法人员各自输入 PIN 签名（已签 1 人）"]
    with pytest.raises(ValueError, match="至少 2 名"):
        signing.submit()
    assert state.store.outbox_rows() == [], "one officer alone saves nothing"
    assert signing.sign("p2", "111111") == "PIN 不正确，还可尝试 4 次"
    assert signing.sign("p9", PIN) == "只有本检查组的执法人员可以签名"
    assert signing.sign("p2", PIN) is None
    saved = signing.submit()
    env = envelope.parse(state.store.envelope_of(saved.record_id).encode())
    assert env.document()["inspectors"] == ["p1", "p2"], "the inspectors are the officers who signed"
    keys = {p: state.keys.officers.unlock(p, PIN) for p in ("p1", "p2")}
    assert env.keyids == tuple(envelope.keyid_of(envelope.public_raw_of(keys[p])) for p in ("p1", "p2"))
    for key in keys.values():
        envelope.verify(env, envelope.public_raw_of(key))


def test_a_change_after_an_officer_signed_asks_them_again(state: AppState) -> None:
    work_visit(state)
    officers_on(state, "p1", "p2")
    visit = state.work.open_visit(ASSIGNMENT["id"])
    signing = state.work.signing(visit)
    assert signing.sign("p1", PIN) is None and signing.sign("p2", PIN) is None
    visit.set_note("T1/GG-001", "补充：记录已核对")
    assert signing.signed == [], "they signed what the draft was, not what it is now"
    assert [m.state_zh for m in signing.members()] == ["待签名", "待签名"]


def test_a_member_without_a_key_on_this_tablet_is_shown_so(state: AppState) -> None:
    officers_on(state, "p1")
    signing = state.work.signing(state.work.open_visit(ASSIGNMENT["id"]))
    assert [m.state_zh for m in signing.members()] == ["待签名", "未在本机登记签名密钥"]
    assert signing.sign("p2", PIN) == "该执法人员未在本机登记签名密钥，请先用本人的一次性注册码登记"
