"""Lab samples (委托检验检测): the record's sample field, the lab-result document, and the pure
rules for a category while a sample is pending and after its result (schemas/lab.py), and what
the public entry says (sync_server/disclosure/core)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from schemas import contract
from schemas.categories import LABELS, categorize
from schemas.errors import ContractError
from schemas.lab import LabResult, LabResultError, check_result, effective_record, pending_samples
from schemas.record import Finding, InspectionRecord, Rectify, Sample
from sync_server.disclosure.core.disclosure import Followups, handling, handling_text, public_category
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


# --- invariants (Hypothesis) ---------------------------------------------------------------------
VERDICTS = st.sampled_from(["compliant", "non_compliant_rectify", "non_compliant_case"])


@st.composite
def sampled_records(draw: st.DrawFn) -> tuple[dict, list[str]]:
    """A record where some items sent samples, and what each sample's lab will say."""
    findings, verdicts = [], []
    for index in range(draw(st.integers(1, 6))):
        item = {"code": f"GG-{index:03d}", "task_id": "t1", "legal_basis": "依据"}
        kind = draw(st.sampled_from(["compliant", "not_applicable", "non_compliant", "pending_lab"]))
        if kind == "pending_lab":
            findings.append(sampled(item, {**SAMPLE, "sample_no": f"YP-{index}"}))
            verdicts.append(draw(VERDICTS))
        else:
            findings.append(finding(item, kind))
    return record(ASSIGNMENT, ["p1"], findings=findings), verdicts


def _as_found_on_site(doc: dict, verdicts: list[str]) -> dict:
    """The same record had each lab's verdict been known on site."""
    out, pending = {**doc, "findings": []}, iter(verdicts)
    for f in doc["findings"]:
        if f["outcome"] != "pending_lab":
            out["findings"].append(f)
            continue
        verdict = next(pending)
        action = None if verdict == "compliant" else (
            {"kind": "rectify", "deadline": "2026-12-20"} if verdict.endswith("rectify") else {"kind": "case", "case_no": None})
        out["findings"].append({**{k: v for k, v in f.items() if k != "sample"},
                                "outcome": "compliant" if verdict == "compliant" else "non_compliant", "action": action})
    return out


def _results(doc: dict, verdicts: list[str]) -> list[dict]:
    made, pending = [], iter(verdicts)
    for n, f in enumerate(x for x in doc["findings"] if x["outcome"] == "pending_lab"):
        verdict = next(pending)
        action = None if verdict == "compliant" else (Rectify("2026-12-20") if verdict.endswith("rectify") else None)
        res = result(doc, "compliant" if verdict == "compliant" else "non_compliant", f["item_code"],
                     f["sample"]["sample_no"], action, f"0190f3b4-0000-7000-8000-{n:012d}")
        if verdict == "non_compliant_case":
            res["action"] = {"kind": "case", "case_no": None}
        contract.validate("lab-result", res)
        made.append(res)
    return made


@given(sampled_records())
def test_a_pending_record_is_never_no_problem_and_its_results_decide_as_if_known_on_site(case) -> None:
    doc, verdicts = case
    contract.validate("inspection-record", doc)
    pending = categorize(doc)
    if verdicts:
        assert pending.code != "no_problem"
        problems = any(f["outcome"] == "non_compliant" for f in doc["findings"])
        assert (pending.code == "pending_lab") == (not problems)
    effective = effective_record(doc, _results(doc, verdicts))
    assert categorize(effective).code == categorize(_as_found_on_site(doc, verdicts)).code
    lines = handling_text(handling(effective, categorize(effective).code, Followups()))
    if verdicts:
        assert any(line.startswith(f"抽样送检 {len(verdicts)} 份，检验") for line in lines)
        assert not any("待出" in line for line in lines)


def test_a_pending_entry_is_published_as_pending_with_what_is_out() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[sampled(ITEMS[0], {**SAMPLE, "sample_no": "YP-1"}), sampled(ITEMS[1])])
    assert public_category("pending_lab", Followups()) == "pending_lab"
    assert handling_text(handling(doc, "pending_lab", Followups())) == ["抽样送检 2 份，检验结果待出"]
    one_back = effective_record(doc, [result(doc)])
    assert handling(one_back, "pending_lab", Followups())["lab"] == {"samples": 2, "pending": 1, "non_compliant": 0}
    assert handling_text(handling(one_back, "pending_lab", Followups())) == ["抽样送检 2 份，检验结果待出（已出 1 份）"]
