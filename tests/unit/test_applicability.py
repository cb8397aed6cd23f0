"""Items that fit the unit (pure): the item list's 适用范围 against the unit's category and tags,
the checklist that offers only those, and the public entry's list of inspected items."""
from __future__ import annotations

from datetime import date

from field_app.core import checklist, worklist
from schemas import contract
from schemas.applicability import NOT_APPLICABLE_NOTE, applies, inspected_items, item_applies
from sync_server.registry.core.import_rules import check_row, missing_columns


def item(code: str, name: str, applies_to: list[str] | None = None) -> dict:
    made = {"code": code, "name": name, "specialty": "public_places", "legal_basis": "《公共场所卫生管理条例》",
            "content": "检查", "method": "现场检查", "task_id": "T1"}
    return made if applies_to is None else {**made, "applies_to": applies_to}


ITEMS = [item("GG-001", "卫生许可证持证情况", []), item("GG-007", "集中空调通风系统卫生", ["集中空调通风系统"]),
         item("GG-008", "游泳场所水质", ["游泳场所"]), item("GG-009", "控制吸烟")]
SALON = {"id": "92369921MA2F1MHD4Q", "name": "云溪县绿源美容院", "address": "云溪县城关镇", "specialty": "public_places",
         "category": "美容店", "tags": ["四小场所"], "contact": "魏婷芳", "phone": "185-0000-3629"}
ASSIGNMENT = {"schema": "suijian.assignment/1", "id": "0190f3b4-0000-7000-8000-000000000001", "status": "open",
              "version": 1, "due": "2026-12-31", "unit": SALON, "items": ITEMS,
              "tasks": [{"id": "T1", "number": "1号", "title": "公共场所"}],
              "team": [{"id": "p1", "name": "刘颖"}, {"id": "p2", "name": "董英"}]}


def test_an_item_applies_by_category_or_tag_and_an_empty_scope_applies_to_all() -> None:
    assert applies([], "美容店", [])
    assert applies(["游泳场所"], "游泳场所", [])
    assert applies(["集中空调通风系统"], "宾馆", ["星级饭店", "集中空调通风系统"])
    assert not applies(["游泳场所"], "美容店", ["四小场所"])
    assert not applies(["集中空调通风系统"], "美容店", [])
    assert item_applies(item("X", "x"), {}), "an item list or unit from before the column applies to all"


def test_the_salon_is_offered_only_the_items_that_fit_and_the_rest_are_recorded_not_applicable() -> None:
    contract.validate("assignment", ASSIGNMENT)
    assert [i["name"] for i in checklist.applicable(ASSIGNMENT)] == ["卫生许可证持证情况", "控制吸烟"]
    draft = checklist.new_draft(ASSIGNMENT, "p1", "2026-11-20T09:00:00Z")
    assert draft["findings"]["T1/GG-008"] == {"outcome": "not_applicable", "note": NOT_APPLICABLE_NOTE,
                                              "action": None, "photos": []}
    assert draft["findings"]["T1/GG-001"]["outcome"] is None
    assert checklist.problems(draft, ASSIGNMENT)[:2] == ["第1项「卫生许可证持证情况」未选择检查结果",
                                                        "第2项「控制吸烟」未选择检查结果"]
    checklist.set_outcome(draft, "T1/GG-001", "compliant", date(2026, 11, 20))
    checklist.set_outcome(draft, "T1/GG-009", "compliant", date(2026, 11, 20))
    draft["party"] = {"mode": "refused", "name": "", "signature_photo": None, "note": "当事人拒绝签字"}
    record = checklist.build_record(draft, ASSIGNMENT, "0190f3b4-0000-7000-8000-0000000000aa", "2026-11-20T17:40:00+08:00")
    contract.validate("inspection-record", record)
    assert [(f["item_code"], f["outcome"]) for f in record["findings"]] == [
        ("GG-001", "compliant"), ("GG-007", "not_applicable"), ("GG-008", "not_applicable"), ("GG-009", "compliant")]
    assert inspected_items(ITEMS, record["findings"], SALON) == ["卫生许可证持证情况", "控制吸烟"]
    everything = [{**f, "outcome": "compliant"} for f in record["findings"]]   # an app without the rule
    assert inspected_items(ITEMS, everything, SALON) == ["卫生许可证持证情况", "控制吸烟"]
    pool = {**SALON, "category": "游泳场所"}
    assert inspected_items(ITEMS, everything, pool) == ["卫生许可证持证情况", "游泳场所水质", "控制吸烟"]
    assert checklist.preview(draft, ASSIGNMENT).code == "no_problem"


def test_a_hotel_with_ducted_air_gets_that_item_and_the_list_counts_what_applies() -> None:
    hotel = {**ASSIGNMENT, "unit": {**SALON, "category": "宾馆", "tags": ["集中空调通风系统"]}}
    assert [i["code"] for i in checklist.applicable(hotel)] == ["GG-001", "GG-007", "GG-009"]
    (salon_row,) = worklist.rows([ASSIGNMENT], set(), [], {})
    (hotel_row,) = worklist.rows([hotel], set(), [], {})
    assert (salon_row.items, hotel_row.items) == (2, 3)


def test_the_item_list_import_reads_the_applicability_column_and_its_alias() -> None:
    base = {"事项编码": "GG-008", "事项名称": "游泳场所水质", "专业": "公共场所", "依据": "《公共场所卫生管理条例》第三条"}
    assert check_row("items", 2, {**base, "适用范围": "游泳场所、室内游泳池"})[0]["applies_to"] == ["游泳场所", "室内游泳池"]
    assert check_row("items", 2, {**base, "适用类别": "游泳场所"})[0]["applies_to"] == ["游泳场所"]
    assert check_row("items", 2, base)[0]["applies_to"] == [], "empty: every unit of the specialty"
    assert missing_columns("items", list(base)) == [], "the column is optional"
