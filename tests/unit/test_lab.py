"""Lab samples (委托检验检测): the record's sample field, the lab-result document, and the pure
rules for a category while a sample is pending and after its result (schemas/lab.py)."""
from __future__ import annotations

import pytest

from schemas import contract
from schemas.categories import LABELS, categorize
from schemas.errors import ContractError
from schemas.lab import LabResult, LabResultError, check_result, effective_record, pending_samples
from schemas.record import Finding, InspectionRecord, Rectify, Sample
from tests.support.records import ASSIGNMENT, ITEMS, finding, record

SAMPLE = {"sample_no": "YP-2026-0042", "lab": "市疾控中心", "tests": "菌落总数、大肠菌群", "photos": ["b" * 64]}
RECORD_SHA = "c" * 64


def sampled(item: dict, sample: dict | None = None) -> dict:
    return {**finding(item, "pending_lab"), "sample": dict(sample or SAMPLE)}


def result(doc: dict, outcome: str = "compliant", item_code: str = "GG-002", sample_no: str = "YP-2026-0042",
           action: Rectify | None = None, result_id: str = "0190f3b4-0000-7000-8000-0000000000aa") -> dict:
    return LabResult(result_id, doc["id"], RECORD_SHA, item_code, sample_no, "市疾控中心", "2026-11-25", outcome,
                     "p1", "2026-11-25T08:00:00Z", report_no="JC-77", note="检验报告 JC-77",
                     action=action).as_json()


def test_a_sampled_finding_is_valid_and_its_sample_round_trips() -> None:
    built = Finding.of(ITEMS[1], "pending_lab", sample=Sample(" YP-2026-0042 ", "市疾控中心", "菌落总数", ("b" * 64,) * 2))
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), built.as_json()])
    contract.validate("inspection-record", doc)
    assert doc["findings"][1]["sample"] == {"sample_no": "YP-2026-0042", "lab": "市疾控中心", "tests": "菌落总数",
                                            "photos": ["b" * 64]}
    again = InspectionRecord.from_json(doc)
    assert again.findings[1].sample == Sample("YP-2026-0042", "市疾控中心", "菌落总数", ("b" * 64,))
    assert "sample" not in again.findings[0].as_json(), "a finding without a sample keeps its old bytes"


@pytest.mark.parametrize("change", [
    lambda f: f.pop("sample"),                                  # pending without a sample
    lambda f: f.update(outcome="compliant"),                    # a sample on a decided finding
    lambda f: f["sample"].update(sample_no=""),                 # no number
    lambda f: f["sample"].update(lab=""),                       # no lab
    lambda f: f["sample"].pop("tests"),                         # nothing tested
    lambda f: f.update(action={"kind": "rectify", "deadline": "2026-12-01"}),  # an order before the result
])
def test_the_schema_refuses_a_sample_that_does_not_fit(change) -> None:
    bad = sampled(ITEMS[1])
    change(bad)
    with pytest.raises(ContractError):
        contract.validate("inspection-record", record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), bad]))


def test_a_pending_sample_is_never_no_problem() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), sampled(ITEMS[1])])
    category = categorize(doc)
    assert (category.code, category.label, category.basis) == ("pending_lab", "待检验结果", ("item:GG-002:pending_lab",))
    assert LABELS["pending_lab"] == "待检验结果"


def test_a_problem_found_on_site_decides_before_a_pending_sample() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0], "non_compliant"), sampled(ITEMS[1])])
    assert categorize(doc).code == "rectify"
    case = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0], "non_compliant", {"kind": "case", "case_no": None}),
                                               sampled(ITEMS[1])])
    assert categorize(case).code == "penalty"


def test_the_result_decides_the_category_and_the_signed_record_is_untouched() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), sampled(ITEMS[1])])
    before = repr(doc)
    passed = effective_record(doc, [result(doc)])
    assert categorize(passed).code == "no_problem"
    assert passed["findings"][1]["note"] == "检验报告 JC-77"
    failed = effective_record(doc, [result(doc, "non_compliant", action=Rectify("2026-12-20"))])
    assert categorize(failed).code == "rectify"
    assert failed["findings"][1]["action"] == {"kind": "rectify", "deadline": "2026-12-20"}
    assert repr(doc) == before


def test_one_of_two_samples_back_leaves_the_record_pending() -> None:
    two = record(ASSIGNMENT, ["p1"], findings=[sampled(ITEMS[0], {**SAMPLE, "sample_no": "YP-1"}), sampled(ITEMS[1])])
    assert [s["sample_no"] for s in pending_samples(two)] == ["YP-1", "YP-2026-0042"]
    assert categorize(effective_record(two, [result(two)])).basis == ("item:GG-001:pending_lab",)


def test_a_lab_result_document_is_valid_and_orders_an_action_only_when_non_compliant() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), sampled(ITEMS[1])])
    contract.validate("lab-result", result(doc))
    assert result(doc, action=Rectify("2026-12-20"))["action"] is None
    with pytest.raises(ContractError):
        contract.validate("lab-result", {**result(doc, "non_compliant"), "action": None})


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"item_code": "GG-001"}, "lab.not_sampled"),
    ({"item_code": "GG-999"}, "lab.not_sampled"),
    ({"sample_no": "YP-OTHER"}, "lab.sample_mismatch"),
])
def test_a_result_that_names_no_pending_sample_is_refused(kwargs: dict, code: str) -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), sampled(ITEMS[1])])
    with pytest.raises(LabResultError) as caught:
        check_result(doc, result(doc, **kwargs))
    assert caught.value.code == code and caught.value.message_zh


def test_a_second_result_for_a_sample_is_refused_but_the_same_one_is_not() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0]), sampled(ITEMS[1])])
    first = result(doc)
    check_result(doc, first, [first])
    with pytest.raises(LabResultError) as caught:
        check_result(doc, result(doc, result_id="0190f3b4-0000-7000-8000-0000000000bb"), [first])
    assert caught.value.code == "lab.result_exists"
