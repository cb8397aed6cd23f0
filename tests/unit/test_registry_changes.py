"""What an import or an edit would change, and certificates flagged within the year (pure rules)."""
from __future__ import annotations

import json
from datetime import date

from sync_server.registry.core import changes
from sync_server.registry.core.forms import check_form, form_values
from sync_server.registry.core import uscc

CODE = uscc.make("9", "1", "350100", "M0001000")


def unit(**over: object) -> dict:
    base = {"id": CODE, "name": "悦来宾馆", "address": "和平路12号", "specialty": "public_places", "category": "宾馆",
            "tags": ["城区"], "risk": "B", "complaints": 0, "serious_violations": 0, "covered": True,
            "contact": "", "phone": "", "town": "城关镇"}
    return {**base, **over}


def test_stored_rows_compare_with_parsed_rows_field_by_field() -> None:
    db_row = {**unit(), "tags": json.dumps(["城区"], ensure_ascii=False), "covered": 1, "updated_at": "x"}
    assert changes.differences("units", changes.stored("units", db_row), unit()) == []
    assert changes.differences("units", changes.stored("units", db_row), unit(risk="D", tags=[])) == \
        [("tags", ["城区"], []), ("risk", "B", "D")]


def test_counts_new_changed_unchanged_and_left_out() -> None:
    other = uscc.make("9", "1", "350100", "M0001001")
    existing = {CODE: unit(), other: unit(id=other, name="别的单位")}
    rows = [unit(), unit(id=other, name="改名"), unit(id=uscc.make("9", "1", "350100", "M0001002"))]
    counts = changes.compare("units", rows, existing, total_existing=5)
    # 1 new, 1 changed, 1 unchanged; the registry's other 3 rows are not in the file.
    assert (counts.new, counts.changed, counts.unchanged, counts.left_out) == (1, 1, 1, 3)
    assert counts.changed_keys == (other,)


def test_basis_moves_when_a_compared_row_moves() -> None:
    first = changes.basis("units", {CODE: unit()}, "units:1")
    assert first == changes.basis("units", {CODE: unit()}, "units:1")
    assert first != changes.basis("units", {CODE: unit(phone="1")}, "units:1")
    assert first != changes.basis("units", {CODE: unit()}, "units:2")


def test_item_versions_diff() -> None:
    def item(code: str, **over: object) -> dict:
        return {"code": code, "name": f"事项{code}", "specialty": "public_places", "legal_basis": "条例",
                "subject": "", "content": "", "method": "", "frequency": "", "applies_to": [], **over}
    diff = changes.diff_items([item("A"), item("B"), item("C")], [item("B", legal_basis="新条例"), item("C"), item("D")])
    assert [i["code"] for i in diff.added] == ["D"]
    assert [i["code"] for i in diff.removed] == ["A"]
    assert [(i["code"], fields) for i, fields in diff.changed] == [("B", [("legal_basis", "条例", "新条例")])]
    assert changes.diff_items([item("A")], [item("A")]).empty


def test_certificates_within_the_year() -> None:
    today = date(2027, 6, 15)
    assert changes.certificate("2027-06-14", today) == "expired"
    assert changes.certificate("2027-06-15", today) == "expiring"
    assert changes.certificate("2028-06-14", today) == "expiring"     # 365 days on
    assert changes.certificate("2028-06-15", today) is None           # 366 days on
    assert changes.certificate(None, today) is None
    assert changes.warning_date(today) == "2028-06-14"


def test_a_form_is_checked_as_a_spreadsheet_row() -> None:
    values = {**form_values("units", unit()), "id": CODE[:17] + ("0" if CODE[17] != "0" else "1"),
              "risk": "E", "complaints": "-1"}
    record, reasons = check_form("units", values)
    assert record is None
    assert reasons == {"id": "校验位错误或含有不允许的字符", "risk": "未知信用风险等级「E」（应为 A、B、C、D）",
                       "complaints": "应为非负整数，实为「-1」"}
    record, reasons = check_form("units", form_values("units", unit()))
    assert reasons == {} and record == unit()


def test_officer_form_round_trip() -> None:
    officer = {"id": "369921170001", "name": "刘颖", "department": "公共场所科", "specialties": ["public_places", "school"],
               "cert_valid_until": "2030-09-18", "role": "leader", "phone": ""}
    values = form_values("inspectors", officer)
    assert values["specialties"] == "公共场所、学校卫生" and values["role"] == "组长"
    assert check_form("inspectors", values) == (officer, {})
    assert check_form("inspectors", {**values, "cert_valid_until": "2030-02-30", "name": ""})[1] == \
        {"name": "不能为空", "cert_valid_until": "日期无效「2030-02-30」"}
