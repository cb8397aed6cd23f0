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
    saved = state.work.open_visit(ASSIGNMENT["id"]).submit("p1")
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
        visit.submit("p1")
    assert state.store.outbox_rows() == []


def test_a_refused_photo_leaves_the_draft_alone(state: AppState) -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    with pytest.raises(PhotoRefused):
        visit.add_photo("T1/GG-001", b"\xff\xd8\xff garbage")
    assert state.work.open_visit(ASSIGNMENT["id"]).draft["findings"]["T1/GG-001"]["photos"] == []


def test_offline_sync_changes_nothing(state: AppState) -> None:
    work_visit(state)
    state.work.open_visit(ASSIGNMENT["id"]).submit("p1")
    result = state.syncing.now()
    assert result.offline and state.work.outbox_waiting() == 1 and state.work.last_sync() is None
    assert [line.state_zh for line in state.outbox_lines()] == ["待同步"]


def test_a_returned_record_is_corrected_by_a_superseding_draft(state: AppState) -> None:
    work_visit(state)
    first = state.work.open_visit(ASSIGNMENT["id"]).submit("p1")
    notice = {"record_id": first.record_id, "assignment_id": ASSIGNMENT["id"], "decision": "return",
              "reason": "照片不清晰", "leader": "p9", "decided_at": "2026-11-21T10:00:00Z", "review_id": "r1"}
    state.store.save_feed_page([{"kind": "review", "data": notice}], "3", "2026-11-21T10:01:00Z")
    assert states(state)["云溪县绿源皮肤管理中心"] == "returned"
    assert state.work.return_notice(ASSIGNMENT["id"])["reason"] == "照片不清晰"
    correction = state.work.start_correction(ASSIGNMENT["id"])
    assert correction.draft["supersedes"] == first.record_id and correction.problems() == []
    second = correction.submit("p1")
    assert states(state)["云溪县绿源皮肤管理中心"] == "submitted"
    doc = json.loads(base64.b64decode(json.loads(state.store.envelope_of(second.record_id))["payload"]))
    assert doc["supersedes"] == first.record_id


def test_the_leader_decides_signed_on_the_device_but_never_for_their_own_team(tmp_path: Path) -> None:
    leader = make_state(tmp_path / "leader", {"id": "p2", "name": "董英", "role": "leader"})
    inspector = make_state(tmp_path / "tablet")
    work_visit(inspector)
    saved = inspector.work.open_visit(ASSIGNMENT["id"]).submit("p1")
    envelope = inspector.store.envelope_of(saved.record_id)
    entry = {"record_id": saved.record_id, "envelope": envelope, "envelope_sha256": "a" * 64,
             "category": {"code": "rectify", "label": "发现问题已责令整改", "rules": "categories/1", "basis": []},
             "received_at": "2026-11-21T10:00:00Z", "assignment": ASSIGNMENT}
    leader.store.save_review_queue([entry], "2026-11-21T10:00:00Z")
    (item,) = leader.review.items()
    assert item.own_team, "p2 is on the assignment's team"
    assert "双人复核" in leader.review.decide(item, "approve")
    other = {**entry, "assignment": {**ASSIGNMENT, "team": [{"id": "p1", "name": "刘颖"}, {"id": "p3", "name": "丁俊文"}]}}
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
    saved = state.work.open_visit(OTHER["id"]).submit("p1")
    assert saved.category.code == "unreachable"
    (row,) = state.store.outbox_rows()
    photos = state.store.conn.execute("SELECT count(*) FROM outbox_photos WHERE record_id = ?", (row["id"],))
    assert photos.fetchone()[0] == 1, "the attempt's photo goes up with the record"


def test_a_refused_record_shows_the_servers_reason_and_what_to_do(state: AppState) -> None:
    work_visit(state)
    saved = state.work.open_visit(ASSIGNMENT["id"]).submit("p1")
    error = {"code": "assignment.not_on_team", "message": "not on the team", "message_zh": "您不在该检查组"}
    state.store.apply_receipts([(saved.record_id, {"id": saved.record_id, "status": "rejected",
                                                   "envelope_sha256": "0" * 64, "error": error})], "2026-11-21T10:00:00Z")
    (line,) = state.outbox_lines()
    assert (line.state_zh, line.error_zh) == ("被服务器拒收", "您不在该检查组")
    assert "联系科室核对分组" in line.help_zh
    assert state.work.outbox_waiting() == 0, "a refused record is not retried blindly"


def test_an_approval_in_the_feed_marks_the_visit_approved(state: AppState) -> None:
    work_visit(state)
    saved = state.work.open_visit(ASSIGNMENT["id"]).submit("p1")
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
