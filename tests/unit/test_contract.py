"""The schema files are valid JSON Schema, and they accept and refuse what the contract says."""
from __future__ import annotations

import copy

import jsonschema
import pytest

from schemas import contract
from schemas.errors import ContractError
from tests.support.records import ASSIGNMENT, ITEMS, finding, record


@pytest.mark.parametrize("name", contract.NAMES + ("common",))
def test_schema_files_are_valid_draft7(name: str) -> None:
    jsonschema.Draft7Validator.check_schema(contract.load(name))


def test_a_full_record_is_valid() -> None:
    contract.validate("inspection-record", record(ASSIGNMENT, ["p1", "p2"]))


def _invalid(doc: dict) -> str:
    with pytest.raises(ContractError) as caught:
        contract.validate("inspection-record", doc)
    assert caught.value.code == "schema.invalid" and caught.value.message_zh
    return caught.value.detail["path"]


def test_refusals() -> None:
    good = record(ASSIGNMENT, ["p1"])
    cases = [
        lambda d: d.pop("supersedes"),
        lambda d: d.update(id="not-a-uuid"),
        lambda d: d["visit"].update(outcome="maybe"),
        lambda d: d["findings"][0].update(outcome="non_compliant"),          # no action given
        lambda d: d["findings"][0].update(action={"kind": "rectify", "deadline": "2026-12-31"}),  # action on compliant
        lambda d: d.update(party=None),                                       # inspected needs party or refusal
        lambda d: d.update(findings=[]),                                      # inspected needs findings
        lambda d: d["visit"]["location"].update(lat_e6=36.1),                 # no floats
        lambda d: d.update(extra="x"),
        lambda d: d["findings"][0].update(photos=["abc"]),
    ]
    for mutate in cases:
        doc = copy.deepcopy(good)
        mutate(doc)
        _invalid(doc)


def test_unreachable_needs_an_attempt() -> None:
    doc = record(ASSIGNMENT, ["p1"], outcome="unreachable", attempts=[])
    _invalid(doc)


def test_penalty_case_is_valid() -> None:
    doc = record(ASSIGNMENT, ["p1"], findings=[finding(ITEMS[0], "non_compliant", {"kind": "case", "case_no": None})])
    contract.validate("inspection-record", doc)


def test_review_decision_return_needs_reason() -> None:
    decision = {"schema": "suijian.review-decision/1", "id": "0190f3b4-0000-7000-8000-000000000009",
                "record_id": ASSIGNMENT["id"], "record_envelope_sha256": "a" * 64, "decision": "return",
                "reason": "", "leader": "L1", "decided_at": "2026-11-21T10:00:00Z"}
    with pytest.raises(ContractError):
        contract.validate("review-decision", decision)
    contract.validate("review-decision", {**decision, "reason": "照片不清晰，请补拍"})


def test_schema_refs_stay_inside_the_contract() -> None:
    with pytest.raises(ValueError):
        contract._resolve("https://example.com/evil.schema.json")
