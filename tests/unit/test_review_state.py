"""The leader's review without a renderer (field_app/state/review.py): where the app opens, an
approval with a comment that leaves the queue at once, a correction with what changed and why it
was returned, no-problem records approved together (one signed decision each), photo time and
place, and a sync log that names units after the queue has moved on."""
from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest

from field_app.app_state import AppState
from field_app.camera import scene_jpeg
from field_app.photos import process
from field_app.state.outbox_lines import UNKNOWN_UNIT
from schemas import envelope
from tests.unit.test_app_state import ASSIGNMENT, OTHER, make_state, signed as signed_by_two, work_visit

LEADER = {"id": "p9", "name": "董英", "role": "leader"}
TEAM = [{"id": "p1", "name": "刘颖"}, {"id": "p3", "name": "丁俊文"}]   # the leader p9 is not on it
NO_PROBLEM = {"code": "no_problem", "label": "未发现问题", "rules": "categories/1", "basis": []}
RECTIFY = {"code": "rectify", "label": "发现问题已责令整改", "rules": "categories/1", "basis": []}
RETURNED = {"reason": "第2项备注不完整", "comment": "请写明整改期限", "leader": "p8", "leader_name": "王强",
            "decided_at": "2026-11-21T02:00:00Z"}


@pytest.fixture
def inspector(tmp_path: Path):
    made = make_state(tmp_path / "tablet")
    yield made
    made.close()


@pytest.fixture
def leader(tmp_path: Path):
    made = make_state(tmp_path / "leader", LEADER)
    yield made
    made.close()


def signed(state: AppState, record_id: str) -> str:
    return state.store.envelope_of(record_id)


def document(text: str) -> dict:
    return json.loads(base64.b64decode(json.loads(text)["payload"]))


def entry(envelope_text: str, assignment: dict, category: dict = RECTIFY, earlier: dict | None = None) -> dict:
    return {"record_id": document(envelope_text)["id"], "envelope": envelope_text, "envelope_sha256": "a" * 64,
            "category": category, "received_at": "2026-11-21T10:00:00Z", "assignment": {**assignment, "team": TEAM},
            "earlier": earlier}


def submitted(inspector: AppState, assignment: dict = ASSIGNMENT) -> str:
    """A visit signed and queued on the inspector's tablet: its envelope, as the server passes it on."""
    if assignment is ASSIGNMENT:
        work_visit(inspector)
    else:
        visit = inspector.work.open_visit(assignment["id"])
        for key in visit.draft["findings"]:
            visit.set_outcome(key, "compliant")
        visit.sign([[(10, 10), (120, 60)]], (600, 220), "魏婷芳")
    return signed(inspector, signed_by_two(inspector, inspector.work.open_visit(assignment["id"])).record_id)


def decisions(state: AppState) -> list[dict]:
    return [document(row["envelope"]) for row in state.store.outbox_rows_of("review")]


def test_a_leader_opens_on_the_queue_when_there_is_one(leader: AppState, inspector: AppState, tmp_path: Path) -> None:
    assert inspector.start_routes() == ["/work"], "an inspector opens on the work list"
    assert leader.start_routes() == ["/work"], "an empty queue: the work list"
    text = submitted(inspector)
    own = entry(text, {**ASSIGNMENT, "team": []})
    leader.store.save_review_queue([{**own, "assignment": {**ASSIGNMENT, "team": [{"id": "p9", "name": "董英"}]}}],
                                   "2026-11-21T10:00:00Z")
    assert leader.start_routes() == ["/work"], "only the leader's own team's record: nothing to decide"
    leader.store.save_review_queue([entry(text, ASSIGNMENT)], "2026-11-21T10:00:00Z")
    assert leader.start_routes() == ["/work", "/review"], "the queue, with the work list behind it"
    fresh = AppState(leader.settings.__class__(tmp_path / "new"))
    assert fresh.start_routes() == ["/enroll"]
    fresh.close()


def test_an_approval_with_a_comment_leaves_the_queue_and_says_so(leader: AppState, inspector: AppState) -> None:
    leader.store.save_review_queue([entry(submitted(inspector), ASSIGNMENT)], "2026-11-21T10:00:00Z")
    (item,) = leader.review.queue()
    assert leader.review.decide(item, "approve", comment="  现场记录完整  ") is None
    (doc,) = decisions(leader)
    assert (doc["decision"], doc["record_id"], doc["comment"], doc["reason"]) == \
        ("approve", item.record_id, "现场记录完整", "")
    assert leader.review.queue() == [] and leader.review.waiting() == 0, "decided here: gone from the queue"
    assert leader.review.done_text() == "已通过：云溪县绿源皮肤管理中心。审核意见已在本机签名，联网后自动上传。"
    leader.store.apply_receipts([(doc["id"], {"id": doc["id"], "status": "accepted", "envelope_sha256": "0" * 64,
                                              "log_index": 7})], "2026-11-21T10:05:00Z")
    assert leader.review.done_text() == "已通过：云溪县绿源皮肤管理中心。审核意见已签名，服务器已接收。"
    assert leader.start_routes() == ["/work"]


def test_an_approval_without_a_comment_signs_none(leader: AppState, inspector: AppState) -> None:
    leader.store.save_review_queue([entry(submitted(inspector), ASSIGNMENT)], "2026-11-21T10:00:00Z")
    assert leader.review.decide(leader.review.queue()[0], "approve", comment="   ") is None
    assert "comment" not in decisions(leader)[0]


def test_a_correction_shows_what_changed_and_why_it_was_returned(leader: AppState, inspector: AppState) -> None:
    first = submitted(inspector)
    earlier = document(first)
    later = copy.deepcopy(earlier)
    later["id"], later["supersedes"] = "0190f3b4-0000-7000-8000-0000000000c1", earlier["id"]
    later["findings"][1]["note"] = "卫生管理档案缺失，已责令十五日内建立"
    text = envelope.sign(later, envelope.RECORD_TYPE, inspector.keys.private_key()).decode()
    leader.store.save_review_queue([entry(text, ASSIGNMENT, earlier={"record_id": earlier["id"], "envelope": first,
                                                                     "returned": RETURNED})], "2026-11-21T10:00:00Z")
    (item,) = leader.review.queue()
    assert item.correction and item.returned["reason"] == "第2项备注不完整" and not item.batchable
    name = ASSIGNMENT["items"][1]["name"]
    assert [(c.place, c.before, c.after) for c in leader.review.changes(item)] == [
        (f"第2项 {name} · 备注", "卫生管理档案缺失", "卫生管理档案缺失，已责令十五日内建立")]
    first_item = entry(first, ASSIGNMENT)
    leader.store.save_review_queue([first_item], "2026-11-21T10:00:00Z")
    assert leader.review.changes(leader.review.queue()[0]) == [], "a first record changed nothing"


def test_no_problem_records_are_approved_together_each_signed(leader: AppState, inspector: AppState) -> None:
    problem = entry(submitted(inspector), ASSIGNMENT)
    clean = entry(submitted(inspector, OTHER), OTHER, NO_PROBLEM)
    third = {**ASSIGNMENT, "id": "0190f3b4-0000-7000-8000-000000000003",
             "unit": {**ASSIGNMENT["unit"], "name": "云溪县悦容美发店"}}
    inspector.store.save_feed_page([{"kind": "assignment", "data": third}], "3", "2026-11-20T08:00:00Z")
    other_clean = entry(submitted(inspector, third), third, NO_PROBLEM)
    leader.store.save_review_queue([problem, clean, other_clean], "2026-11-21T10:00:00Z")
    queue = {item.unit_name: item for item in leader.review.queue()}
    assert [name for name, item in queue.items() if item.batchable] == ["云溪县天和影院", "云溪县悦容美发店"]
    refused = leader.review.approve_many(list(queue.values()))
    assert refused == "以下记录不能批量通过，请逐条审核：云溪县绿源皮肤管理中心" and decisions(leader) == []
    assert leader.review.approve_many([]) == "请先勾选要通过的记录"
    chosen = [queue["云溪县天和影院"], queue["云溪县悦容美发店"]]
    assert leader.review.approve_many(chosen, "均未发现问题") is None
    docs = decisions(leader)
    assert sorted(d["record_id"] for d in docs) == sorted(i.record_id for i in chosen)
    assert {d["decision"] for d in docs} == {"approve"} and {d["comment"] for d in docs} == {"均未发现问题"}
    assert len({d["id"] for d in docs}) == 2, "one decision of its own for each record"
    for row in leader.store.outbox_rows_of("review"):   # each verifies with the leader's device key
        envelope.verify(envelope.parse(row["envelope"].encode()), bytes.fromhex(leader.keys.public_key_hex()))
    assert [i.unit_name for i in leader.review.queue()] == ["云溪县绿源皮肤管理中心"]
    assert leader.review.done_text().startswith("已通过 2 条记录：云溪县天和影院、云溪县悦容美发店。")


def test_photo_time_and_place_from_the_photo_on_this_device(leader: AppState) -> None:
    photo = process(scene_jpeg((1200, 900), seed=6))
    assert leader.review.photo_caption(photo.sha256) is None, "not downloaded yet"
    leader.files.save(photo)
    caption = leader.review.photo_caption(photo.sha256)
    assert caption.startswith("拍摄于 ") and caption.endswith("北纬 36.185000° 东经 118.170000°"), caption


def test_the_sync_log_names_the_unit_after_the_queue_moved_on(leader: AppState, inspector: AppState) -> None:
    leader.store.save_review_queue([entry(submitted(inspector), ASSIGNMENT)], "2026-11-21T10:00:00Z")
    leader.review.decide(leader.review.queue()[0], "return", "照片不清晰")
    leader.store.save_review_queue([], "2026-11-21T11:00:00Z")   # the server's queue, after the decision
    (line,) = leader.outbox_lines()
    assert (line.unit_name, line.kind) == ("云溪县绿源皮肤管理中心", "review")
    stranger = {**document(leader.store.outbox_rows()[0]["envelope"]), "id": "0190f3b4-0000-7000-8000-0000000000d1",
                "record_id": "0190f3b4-0000-7000-8000-0000000000d2"}
    leader.store.enqueue(stranger["id"], "review", envelope.sign(stranger, envelope.REVIEW_TYPE,
                                                                 leader.keys.private_key()), [], "2026-11-21T12:00:00Z")
    assert sorted(line.unit_name for line in leader.outbox_lines()) == sorted([UNKNOWN_UNIT, "云溪县绿源皮肤管理中心"])
    assert all(stranger["record_id"] not in line.unit_name for line in leader.outbox_lines())
