"""Row checks of the office's spreadsheets."""
from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, strategies as st

from sync_server.registry.core import uscc
from sync_server.registry.core.import_rules import check_row, check_rows, missing_columns

UNIT = {"统一社会信用代码": "91350100M000100Y43", "单位名称": "云溪县悦来宾馆", "地址": "城关镇和平路1号",
        "专业": "公共场所", "信用风险等级": "B"}


def test_a_good_unit_row() -> None:
    record, errors = check_row("units", 2, {**UNIT, "分类标注": "四小场所、城区", "纳入监管": "否", "投诉次数": "3"})
    assert not errors
    assert record["specialty"] == "public_places" and record["tags"] == ["四小场所", "城区"]
    assert (record["covered"], record["complaints"]) == (False, 3)


def test_codes_and_names_both_accepted() -> None:
    assert check_row("units", 2, {**UNIT, "专业": "public_places", "信用风险等级": "b"})[0]["risk"] == "B"


def test_each_reason_names_its_column() -> None:
    _, errors = check_row("units", 7, {**UNIT, "统一社会信用代码": "91350100M000100Y4", "信用风险等级": "Z",
                                       "投诉次数": "1.5", "纳入监管": "也许"})
    assert [(e.row, e.column) for e in errors] == [(7, "统一社会信用代码"), (7, "信用风险等级"), (7, "投诉次数"), (7, "纳入监管")]


def test_dates_in_office_formats() -> None:
    base = {"执法证号": "1", "姓名": "张三", "专业": "公共场所"}
    for value in ("2027-03-01", "2027/3/1", "2027年3月1日", datetime(2027, 3, 1)):
        assert check_row("inspectors", 2, {**base, "证件有效期": value})[0]["cert_valid_until"] == "2027-03-01"
    assert check_row("inspectors", 2, {**base, "证件有效期": "2027-13-01"})[1]


def test_counts_refuse_nan_and_infinity() -> None:
    for value in (float("nan"), float("inf"), "1e400", "-0.5"):
        assert check_row("units", 2, {**UNIT, "投诉次数": value})[1]


def test_missing_required_columns() -> None:
    assert missing_columns("items", ["事项编码", "事项名称"]) == ["专业", "依据"]


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_every_valid_code_passes_and_a_wrong_check_digit_fails(first17: str) -> None:
    code = first17 + uscc.check_digit(first17)
    assert check_row("units", 2, {**UNIT, "统一社会信用代码": code.lower()})[0]["id"] == code
    wrong = "0" if code[-1] != "0" else "1"
    assert check_row("units", 2, {**UNIT, "统一社会信用代码": code[:-1] + wrong})[1]


@given(st.dictionaries(st.sampled_from(list(UNIT) + ["投诉次数", "纳入监管", "分类标注"]),
                       st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True))))
def test_any_cells_give_a_record_or_reasons_never_a_crash(cells: dict) -> None:
    record, errors = check_row("units", 2, cells)
    assert (record is None) == bool(errors)


@pytest.mark.parametrize("cell,covered", [
    (None, True), ("", True), ("  ", True),
    (0, False), (0.0, False), (False, False), ("FALSE", False), ("false", False), ("0", False), ("否", False),
    ("N", False), ("no", False), ("不适用", False),
    (1, True), (1.0, True), (True, True), ("TRUE", True), ("true", True), ("1", True), ("是", True), (" 是 ", True),
    ("Y", True), ("适用", True),
])
def test_yes_no_reads_excel_booleans_numbers_and_words(cell: object, covered: bool) -> None:
    record, errors = check_row("units", 2, {**UNIT, "纳入监管": cell})
    assert not errors and record["covered"] is covered


@pytest.mark.parametrize("cell", [2, -1, 0.5, float("nan"), "也许", "是否", "2"])
def test_yes_no_refuses_anything_else_in_chinese(cell: object) -> None:
    _, errors = check_row("units", 4, {**UNIT, "纳入监管": cell})
    assert [str(e) for e in errors] == [f"第 4 行 纳入监管：应为「是」或「否」，实为「{cell}」"]


def test_real_registry_headers_are_aliases() -> None:
    assert check_row("units", 2, {**UNIT, "是否纳入监管": 0})[0]["covered"] is False
    assert check_row("units", 2, {**UNIT, "法律适用": "不适用"})[0]["covered"] is False
    base = {"执法证号": "1", "姓名": "张三", "专业": "公共场所", "证件有效期": "2027-03-01"}
    assert check_row("inspectors", 2, {**base, "职务": "组长"})[0]["role"] == "leader"
    item = {"事项编码": "GG-001", "事项名称": "卫生许可证", "专业": "公共场所", "法律适用": "《公共场所卫生管理条例》"}
    assert check_row("items", 2, item)[0]["legal_basis"] == "《公共场所卫生管理条例》"
    assert missing_columns("items", list(item)) == []
    assert missing_columns("units", [*UNIT, "是否纳入监管"]) == []


def test_a_reason_names_the_column_as_the_file_spells_it() -> None:
    _, errors = check_row("units", 3, {**UNIT, "是否纳入监管": "也许"})
    assert [e.column for e in errors] == ["是否纳入监管"]


def test_the_canonical_header_wins_over_an_alias() -> None:
    assert check_row("units", 2, {**UNIT, "纳入监管": "否", "法律适用": "是"})[0]["covered"] is False


def test_a_key_repeated_after_a_bad_row_is_flagged() -> None:
    key = UNIT["统一社会信用代码"]
    rows = [(2, {**UNIT, "专业": "烹饪卫生"}), (3, dict(UNIT)), (4, {**UNIT, "统一社会信用代码": key.lower()})]
    good, errors = check_rows("units", rows)
    assert good == []
    assert [str(e) for e in errors] == ["第 2 行 专业：未知专业「烹饪卫生」", "第 3 行 统一社会信用代码：与第 2 行重复",
                                        "第 4 行 统一社会信用代码：与第 2 行重复"]


def test_distinct_keys_all_pass() -> None:
    rows = [(2, dict(UNIT)), (3, {**UNIT, "统一社会信用代码": "91110000100000000R"})]
    good, errors = check_rows("units", rows)
    assert not errors and [r["id"] for r in good] == ["91350100M000100Y43", "91110000100000000R"]
