"""Lab samples on the tablet without a renderer: the checklist's sample fields (saved offline,
checked before signing), the record list's 待检验结果, a lab result entered and signed on the
device, and a result the office entered arriving through the feed."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

from field_app.camera import scene_jpeg
from field_app.store import document_of
from schemas import contract, envelope
from tests.unit.test_app_state import ASSIGNMENT, make_state, signed as signed_by_two, states

UNIT = ASSIGNMENT["unit"]["name"]


def sampled_visit(state) -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    visit.set_outcome("T1/GG-001", "compliant")
    visit.set_outcome("T1/GG-002", "pending_lab")
    visit.set_outcome("T2/XD-001", "not_applicable")
    visit.sign([[(10, 10), (120, 60), (200, 20)]], (600, 220), "魏婷芳")


def fill_sample(state, sample_no: str = "YP-2026-0042") -> None:
    visit = state.work.open_visit(ASSIGNMENT["id"])
    visit.set_sample("T1/GG-002", "sample_no", sample_no)
    visit.set_sample("T1/GG-002", "lab", "市疾控中心")
    visit.set_sample("T1/GG-002", "tests", "菌落总数、大肠菌群")
    visit.add_sample_photo("T1/GG-002", scene_jpeg((1200, 900), seed=7))


def test_the_sample_is_saved_offline_and_checked_before_signing(tmp_path: Path) -> None:
    state = make_state(tmp_path / "tablet")
    sampled_visit(state)
    assert state.work.open_visit(ASSIGNMENT["id"]).problems() == ["第2项「卫生管理档案」送检需填写样品编号、检验机构、检验项目"]
    fill_sample(state)
    state.store.conn.close()   # killed: the sample's fields were saved as they were typed
    again = make_state(tmp_path / "tablet")
    visit = again.work.open_visit(ASSIGNMENT["id"])
    sample = visit.draft["findings"]["T1/GG-002"]["sample"]
    assert (sample["sample_no"], sample["lab"], sample["tests"], len(sample["photos"])) == \
        ("YP-2026-0042", "市疾控中心", "菌落总数、大肠菌群", 1)
    assert visit.problems() == [] and visit.preview().label == "待检验结果"
    saved = signed_by_two(state, visit)
    assert saved.category.code == "pending_lab"
    record = document_of(again.store.envelope_of(saved.record_id))
    contract.validate("inspection-record", record)
    assert record["findings"][1]["sample"]["photos"] == sample["photos"]
    outbox_photos = {r[0] for r in again.store.conn.execute("SELECT sha256 FROM outbox_photos WHERE record_id = ?",
                                                           (saved.record_id,))}
    assert set(sample["photos"]) <= outbox_photos, "the sample's photo is uploaded with the record"
    assert states(again)[UNIT] == "lab_pending"
    (row,) = [r for r in again.work.rows() if r.unit_name == UNIT]
    assert row.state_zh == "待检验结果"
    again.close()


def test_the_inspector_enters_the_result_on_the_tablet(tmp_path: Path) -> None:
    state = make_state(tmp_path / "tablet")
    sampled_visit(state)
    fill_sample(state)
    saved = signed_by_two(state, state.work.open_visit(ASSIGNMENT["id"]))
    (sample,) = state.lab_results.pending()
    assert (sample.record_id, sample.item_code, sample.sample_no) == (saved.record_id, "GG-002", "YP-2026-0042")
    assert state.lab_results.enter(sample) == "请选择检验结论：合格或不合格"
    state.lab_results.edit(sample.key, "outcome", "non_compliant")
    state.lab_results.edit(sample.key, "reported_on", state.services.clock.today().isoformat())
    assert state.lab_results.enter(sample) == "整改期限格式应为 2026-12-31"
    deadline = (state.services.clock.today() + timedelta(days=20)).isoformat()
    state.lab_results.edit(sample.key, "rectify_by", deadline)
    state.lab_results.edit(sample.key, "report_no", "JC-2026-118")
    assert state.lab_results.enter(sample) is None
    (row,) = state.store.outbox_rows_of("lab_result")
    signed = envelope.parse(row["envelope"].encode())
    doc = signed.document()
    contract.validate("lab-result", doc)
    envelope.verify(signed, bytes.fromhex(state.keys.public_key_hex()))
    assert (doc["record_id"], doc["sample_no"], doc["lab"], doc["outcome"], doc["action"], doc["entered_by"]) == \
        (saved.record_id, "YP-2026-0042", "市疾控中心", "non_compliant", {"kind": "rectify", "deadline": deadline}, "p1")
    assert doc["record_envelope_sha256"] == hashlib.sha256(state.store.envelope_of(saved.record_id).encode()).hexdigest()
    assert state.lab_results.pending() == [] and states(state)[UNIT] == "submitted"
    state.close()


def test_a_result_from_the_office_reaches_the_tablet_through_the_feed(tmp_path: Path) -> None:
    state = make_state(tmp_path / "tablet")
    sampled_visit(state)
    fill_sample(state)
    saved = signed_by_two(state, state.work.open_visit(ASSIGNMENT["id"]))
    assert states(state)[UNIT] == "lab_pending"
    state.store.save_feed_page([{"kind": "lab_result", "data": {
        "record_id": saved.record_id, "assignment_id": ASSIGNMENT["id"], "item_code": "GG-002",
        "sample_no": "YP-2026-0042", "outcome": "compliant", "result_id": "x", "category": {}}}],
        "3", "2026-11-25T08:00:00Z")
    assert state.lab_results.pending() == [] and states(state)[UNIT] == "submitted"
    state.close()


def test_a_report_dated_after_today_is_refused(tmp_path: Path) -> None:
    state = make_state(tmp_path / "tablet")
    sampled_visit(state)
    fill_sample(state)
    signed_by_two(state, state.work.open_visit(ASSIGNMENT["id"]))
    (sample,) = state.lab_results.pending()
    state.lab_results.edit(sample.key, "outcome", "compliant")
    tomorrow: date = state.services.clock.today() + timedelta(days=1)
    state.lab_results.edit(sample.key, "reported_on", tomorrow.isoformat())
    assert state.lab_results.enter(sample) == "报告日期不能晚于今天"
    assert state.store.outbox_rows_of("lab_result") == []
    state.close()


def test_the_sync_screen_names_the_unit_and_the_sample(tmp_path: Path) -> None:
    state = make_state(tmp_path / "tablet")
    sampled_visit(state)
    fill_sample(state)
    signed_by_two(state, state.work.open_visit(ASSIGNMENT["id"]))
    (sample,) = state.lab_results.pending()
    state.lab_results.edit(sample.key, "outcome", "compliant")
    state.lab_results.edit(sample.key, "reported_on", state.services.clock.today().isoformat())
    assert state.lab_results.enter(sample) is None
    line = state.outbox_lines()[0]
    assert (line.kind, line.unit_name, line.state_zh) == ("lab_result", UNIT, "样品 YP-2026-0042 检验合格 · 待同步")
    state.close()
