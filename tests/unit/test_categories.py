"""The result category rules: the four cases, their explanation, and invariants (Hypothesis)."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, strategies as st

from schemas import contract
from schemas.categories import KINDS, LABELS, PROBLEMS, categorize
from tests.support.records import ASSIGNMENT, ITEMS, finding, record

SEVERITY = {"no_problem": 0, "rectify": 1, "penalty": 2}


def test_all_compliant_is_no_problem() -> None:
    category = categorize(record(ASSIGNMENT, ["p1"]))
    assert category.code == "no_problem" and category.label == "未发现问题"
    assert category.basis == ("item:GG-001:compliant", "item:GG-002:compliant")


def test_non_compliant_is_rectify_and_names_the_item() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), finding(ITEMS[1], "non_compliant")])
    assert categorize(doc).code == "rectify"
    assert categorize(doc).basis == ("item:GG-002:non_compliant",)


def test_case_is_penalty_even_beside_rectifications() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[
        finding(ITEMS[0], "non_compliant"),
        finding(ITEMS[1], "non_compliant", {"kind": "case", "case_no": "云溪卫罚〔2026〕12号"})])
    assert categorize(doc).code == "penalty"
    assert categorize(doc).basis == ("item:GG-002:case",)


def test_unreachable_whatever_else() -> None:
    doc = record(ASSIGNMENT, ["p1"], outcome="unreachable")
    contract.validate("inspection-record", doc)
    assert categorize(doc).code == "unreachable" and categorize(doc).label == "无法联系"


def test_rules_are_versioned() -> None:
    assert categorize(record(ASSIGNMENT, ["p1"])).as_json()["rules"] == "categories/2"


outcomes = st.sampled_from(["compliant", "non_compliant", "not_applicable"])
actions = st.sampled_from(["rectify", "case"])


@st.composite
def findings_lists(draw: st.DrawFn) -> list[dict]:
    result = []
    for index in range(draw(st.integers(1, 8))):
        item = {"code": f"GG-{index:03d}", "task_id": "t1", "legal_basis": "依据"}
        outcome = draw(outcomes)
        action = None
        if outcome == "non_compliant":
            kind = draw(actions)
            action = {"kind": "rectify", "deadline": "2026-12-31"} if kind == "rectify" else {"kind": "case", "case_no": None}
        result.append(finding(item, outcome, action))
    return result


@given(findings_lists())
def test_category_is_valid_and_explained(findings: list[dict]) -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=findings)
    contract.validate("inspection-record", doc)
    category = categorize(doc)
    assert category.code in LABELS
    assert category.basis, "every category names what decided it"
    has_case = any(f["action"] and f["action"]["kind"] == "case" for f in findings)
    has_problem = any(f["outcome"] == "non_compliant" for f in findings)
    assert (category.code == "penalty") == has_case
    assert (category.code == "no_problem") == (not has_problem)


@given(findings_lists(), findings_lists())
def test_more_findings_never_lower_the_category(first: list[dict], more: list[dict]) -> None:
    renamed = [{**f, "item_code": "X" + f["item_code"]} for f in more]
    before = categorize(record(ASSIGNMENT, ["p1"], findings=first)).code
    after = categorize(record(ASSIGNMENT, ["p1"], findings=first + renamed)).code
    assert SEVERITY[after] >= SEVERITY[before]


@given(findings_lists())
def test_unreachable_overrides_findings(findings: list[dict]) -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=findings, outcome="unreachable")
    assert categorize(doc).code == "unreachable"


def test_one_definition_of_the_categories_agrees_with_the_receipt_schema() -> None:
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "v1" / "receipt.schema.json")
                        .read_text(encoding="utf-8"))
    enums = [node["enum"] for node in _walk(schema) if isinstance(node, dict) and "no_problem" in node.get("enum", [])]
    assert enums and all(sorted(enum) == sorted(kind.code for kind in KINDS) for enum in enums)
    assert LABELS == {kind.code: kind.label for kind in KINDS} and len(set(LABELS.values())) == len(KINDS)
    assert PROBLEMS == ("rectify", "penalty")


def _walk(node: object) -> list[object]:
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [node, *(found for child in children for found in _walk(child))]
