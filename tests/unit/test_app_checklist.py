"""The visit's draft and the record it becomes (pure): joint visits, checks, the category preview."""
from __future__ import annotations

from datetime import date

from field_app.core import checklist
from schemas import contract

ITEMS = [
    {"code": "GG-001", "name": "卫生许可证", "specialty": "public_places", "legal_basis": "《公共场所卫生管理条例》第四条",
     "content": "查验许可证", "method": "现场检查", "task_id": "T1"},
    {"code": "GG-002", "name": "卫生管理档案", "specialty": "public_places", "legal_basis": "《实施细则》第七条",
     "content": "查阅档案", "method": "查阅资料", "task_id": "T1"},
    {"code": "XD-001", "name": "消毒产品索证", "specialty": "disinfection", "legal_basis": "《消毒管理办法》第三十一条",
     "content": "索证索票", "method": "查阅资料", "task_id": "T2"},
]
JOINT = {"id": "0190f3b4-0000-7000-8000-000000000001", "items": ITEMS,
         "tasks": [{"id": "T1", "number": "1号", "title": "公共场所"}, {"id": "T2", "number": "2号", "title": "消毒产品"}],
         "team": [{"id": "p1", "name": "刘颖"}, {"id": "p2", "name": "董英"}]}
NOW = "2026-11-20T09:00:00Z"
TODAY = date(2026, 11, 20)


def finished(outcomes: dict[str, str]) -> dict:
    draft = checklist.new_draft(JOINT, "p1", NOW)
    for key, outcome in outcomes.items():
        checklist.set_outcome(draft, key, outcome, TODAY)
    draft["party"] = {"mode": "refused", "name": "", "signature_photo": None, "note": "当事人拒绝签字"}
    return draft


def test_joint_visit_findings_keep_their_task_and_validate() -> None:
    draft = finished({"T1/GG-001": "compliant", "T1/GG-002": "non_compliant", "T2/XD-001": "not_applicable"})
    record = checklist.build_record(draft, JOINT, "0190f3b4-0000-7000-8000-0000000000aa", "2026-11-20T17:40:00+08:00")
    contract.validate("inspection-record", record)
    assert [(f["task_id"], f["item_code"]) for f in record["findings"]] == [("T1", "GG-001"), ("T1", "GG-002"),
                                                                           ("T2", "XD-001")]
    assert record["findings"][1]["action"] == {"kind": "rectify", "deadline": "2026-12-05"}
    assert checklist.preview(draft, JOINT).code == "rectify"


def test_a_case_means_penalty_and_switching_back_clears_the_action() -> None:
    draft = finished({"T1/GG-001": "non_compliant", "T1/GG-002": "compliant", "T2/XD-001": "compliant"})
    checklist.set_action(draft, "T1/GG-001", "case", None)
    assert checklist.preview(draft, JOINT).code == "penalty"
    checklist.set_outcome(draft, "T1/GG-001", "compliant", TODAY)
    assert draft["findings"]["T1/GG-001"]["action"] is None
    assert checklist.preview(draft, JOINT).code == "no_problem"


def test_problems_name_what_is_missing_in_chinese() -> None:
    draft = checklist.new_draft(JOINT, "p1", NOW)
    checklist.set_outcome(draft, "T1/GG-002", "non_compliant", TODAY)
    checklist.set_action(draft, "T1/GG-002", "rectify", "12月底")
    found = checklist.problems(draft, JOINT)
    assert found == ["第1项「卫生许可证」未选择检查结果", "第2项「卫生管理档案」需填写整改期限（格式 2026-12-31）",
                     "第3项「消毒产品索证」未选择检查结果", "请当事人签字，或记录拒绝签字"]
    assert checklist.preview(draft, JOINT) is None, "no preview before every item has an outcome"


def test_unreachable_needs_an_attempt() -> None:
    draft = checklist.new_draft(JOINT, "p1", NOW)
    draft["outcome"] = "unreachable"
    assert checklist.problems(draft, JOINT) == ["请至少记录一次联系尝试（上门或电话）"]
    draft["attempts"].append({"method": "phone", "at": NOW, "note": "电话无人接听", "photos": []})
    record = checklist.build_record(draft, JOINT, "0190f3b4-0000-7000-8000-0000000000ab", NOW)
    contract.validate("inspection-record", record)
    assert record["findings"] == [] and record["party"] is None
    assert checklist.preview(draft, JOINT).code == "unreachable"


def test_a_returned_record_becomes_a_draft_that_supersedes_it() -> None:
    draft = finished({"T1/GG-001": "compliant", "T1/GG-002": "non_compliant", "T2/XD-001": "compliant"})
    draft["inspectors"] = ["p1", "p2"]
    record = checklist.build_record(draft, JOINT, "0190f3b4-0000-7000-8000-0000000000ac", NOW)
    again = checklist.draft_from_record(record, "p2", "2026-11-22T09:00:00Z")
    assert again["supersedes"] == record["id"] and again["inspectors"] == ["p2", "p1"]
    rebuilt = checklist.build_record(again, JOINT, "0190f3b4-0000-7000-8000-0000000000ad", NOW)
    assert rebuilt["findings"] == record["findings"] and rebuilt["party"] == record["party"]


def test_the_work_list_puts_what_needs_me_first_and_searches_every_word() -> None:
    from field_app.core import worklist

    def doc(n: int, name: str, due: str) -> dict:
        return {"id": f"a{n}", "due": due, "status": "open", "items": ITEMS, "tasks": JOINT["tasks"], "team": JOINT["team"],
                "unit": {"name": name, "address": "云溪县城关镇", "specialty": "public_places", "category": "美发店"}}

    docs = [doc(1, "张记美发店", "2026-04-20"), doc(2, "天和影院", "2026-07-17"), doc(3, "绿源皮肤管理中心", "2026-12-31"),
            {**doc(4, "仁和歌舞厅", "2026-08-06"), "status": "cancelled"}]
    subs = [worklist.Submission("r1", "a1", "accepted", "2026-11-20T10:00:00Z")]
    rows = worklist.rows(docs, {"a3"}, subs, {})
    assert [(r.unit_name, r.state_zh) for r in rows] == [("绿源皮肤管理中心", "草稿"), ("天和影院", "待检查"),
                                                        ("张记美发店", "已提交")]
    assert rows[2].detail == "服务器已接收" and rows[0].joint
    returned = worklist.rows(docs, {"a3"}, subs, {"r1": "return"})
    assert returned[0].unit_name == "张记美发店" and returned[0].state == "returned"
    assert [r.unit_name for r in worklist.filtered(rows, "城关 影院")] == ["天和影院"]
    assert [r.unit_name for r in worklist.filtered(rows, state="todo")] == ["天和影院"]
    assert worklist.tally(rows) == {"todo": 1, "draft": 1, "submitted": 1, "returned": 0, "approved": 0,
                                    "lab_pending": 0}
