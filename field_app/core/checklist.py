"""A visit's draft and the inspection record it becomes (pure: no I/O, no UI).

A draft is a plain JSON object, saved whole after every change:

    {"assignment_id", "supersedes", "started_at", "arrived_at", "location",
     "outcome": "inspected" | "unreachable",
     "findings": {"<task_id>/<item_code>": {"outcome", "note", "action", "photos",
                                            "sample" (once sampled): {"sample_no", "lab", "tests", "photos"}}},
     "attempts": [{"method", "at", "note", "photos"}],
     "party": {"mode": None | "signature" | "refused", "name", "signature_photo", "note"},
     "inspectors": [person ids who confirmed]}

Joint visits (进一次门、查多项事) list every task's items in one checklist; each finding keeps the
task that put its item on the visit. The category preview is the server's own pure rule.

Only the items that apply to the unit (its category and tags against each item's 适用范围,
schemas/applicability.py) are offered; the others are recorded as 不适用 from the start, with a
note saying why, so the signed record still answers every item of the visit.
"""
from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from schemas.applicability import NOT_APPLICABLE_NOTE, item_applies
from schemas.categories import Category, categorize
from schemas.record import (PENDING_LAB, Attempt, Finding, InspectionRecord, Party, Refusal, Sample, Signature,
                            action_from_json, location_from_json)

OUTCOMES = {"compliant": "合格", "non_compliant": "不合格", "not_applicable": "不适用", PENDING_LAB: "抽样送检"}
SAMPLE_FIELDS = {"sample_no": "样品编号", "lab": "检验机构", "tests": "检验项目"}
ACTIONS = {"rectify": "责令整改", "case": "立案调查"}
METHODS = {"visit": "上门", "phone": "电话", "other": "其他"}
RECTIFY_DAYS = 15


def item_key(item: dict[str, Any]) -> str:
    return f"{item['task_id']}/{item['code']}"


def applicable(assignment: dict[str, Any]) -> list[dict[str, Any]]:
    """The items the checklist offers: those that apply to the unit, in the assignment's order."""
    unit = assignment.get("unit") or {}
    return [item for item in assignment["items"] if item_applies(item, unit)]


def new_draft(assignment: dict[str, Any], me: str, now: str, supersedes: str | None = None) -> dict[str, Any]:
    offered = {item_key(item) for item in applicable(assignment)}
    return {"assignment_id": assignment["id"], "supersedes": supersedes, "started_at": now, "arrived_at": now,
            "location": None, "outcome": "inspected",
            "findings": {item_key(item): empty_finding() if item_key(item) in offered else not_applicable_finding()
                         for item in assignment["items"]},
            "attempts": [], "party": {"mode": None, "name": "", "signature_photo": None, "note": ""},
            "inspectors": [me]}


def empty_finding() -> dict[str, Any]:
    return {"outcome": None, "note": "", "action": None, "photos": []}


def not_applicable_finding() -> dict[str, Any]:
    return {"outcome": "not_applicable", "note": NOT_APPLICABLE_NOTE, "action": None, "photos": []}


def draft_from_record(record: dict[str, Any], me: str, now: str) -> dict[str, Any]:
    """A correction of a returned record: its content as a new draft that supersedes it."""
    party = record.get("party") or {}
    return {"assignment_id": record["assignment_id"], "supersedes": record["id"], "started_at": now,
            "arrived_at": record["visit"]["arrived_at"], "location": record["visit"]["location"],
            "outcome": record["visit"]["outcome"],
            "findings": {f"{f['task_id']}/{f['item_code']}": _draft_finding(f) for f in record["findings"]},
            "attempts": copy.deepcopy(record["visit"]["attempts"]),
            "party": {"mode": "refused" if party.get("refused") else ("signature" if party else None),
                      "name": party.get("name", ""), "signature_photo": party.get("signature_photo"),
                      "note": party.get("note", "")},
            "inspectors": list(dict.fromkeys([me, *record["inspectors"]]))}


def _draft_finding(finding: dict[str, Any]) -> dict[str, Any]:
    draft = {"outcome": finding["outcome"], "note": finding["note"], "action": finding["action"],
             "photos": list(finding["photos"])}
    if finding.get("sample"):
        draft["sample"] = copy.deepcopy(finding["sample"])
    return draft


def empty_sample() -> dict[str, Any]:
    return {"sample_no": "", "lab": "", "tests": "", "photos": []}


# --- changes (each returns nothing; the caller saves the draft) --------------------------------
def set_outcome(draft: dict[str, Any], key: str, outcome: str, today: date) -> None:
    finding = draft["findings"][key]
    finding["outcome"] = outcome
    if outcome == PENDING_LAB:   # a sample taken: its fields are kept even if the outcome changes back
        finding.setdefault("sample", empty_sample())
    if outcome != "non_compliant":
        finding["action"] = None
    elif finding["action"] is None:
        finding["action"] = {"kind": "rectify", "deadline": (today + timedelta(days=RECTIFY_DAYS)).isoformat()}


def set_action(draft: dict[str, Any], key: str, kind: str, value: str | None) -> None:
    finding = draft["findings"][key]
    if kind == "rectify":
        finding["action"] = {"kind": "rectify", "deadline": value or ""}
    else:
        finding["action"] = {"kind": "case", "case_no": value or None}


def set_sample(draft: dict[str, Any], key: str, field: str, value: str) -> None:
    """One field of the item's sample (样品编号, 检验机构, 检验项目)."""
    if field not in SAMPLE_FIELDS:
        raise KeyError(field)
    limit = 2000 if field == "tests" else (64 if field == "sample_no" else 200)
    draft["findings"][key].setdefault("sample", empty_sample())[field] = value[:limit]


# --- checks before signing --------------------------------------------------------------------
def problems(draft: dict[str, Any], assignment: dict[str, Any]) -> list[str]:
    """What still keeps the draft from being a valid record, in Chinese, in checklist order."""
    if draft["outcome"] == "unreachable":
        return [] if draft["attempts"] else ["请至少记录一次联系尝试（上门或电话）"]
    found = []
    for number, item in enumerate(applicable(assignment), 1):   # numbered as the checklist shows them
        finding = draft["findings"][item_key(item)]
        if finding["outcome"] is None:
            found.append(f"第{number}项「{item['name']}」未选择检查结果")
        elif finding["outcome"] == "non_compliant":
            action = finding["action"] or {}
            if action.get("kind") == "rectify" and not _is_date(action.get("deadline", "")):
                found.append(f"第{number}项「{item['name']}」需填写整改期限（格式 2026-12-31）")
        elif finding["outcome"] == PENDING_LAB:
            sample = finding.get("sample") or empty_sample()
            empty = [label for field, label in SAMPLE_FIELDS.items() if not sample[field].strip()]
            if empty:
                found.append(f"第{number}项「{item['name']}」送检需填写{'、'.join(empty)}")
    party = draft["party"]
    if party["mode"] is None:
        found.append("请当事人签字，或记录拒绝签字")
    elif party["mode"] == "signature" and not (party["signature_photo"] and party["name"].strip()):
        found.append("当事人签字需要签名和姓名")
    elif party["mode"] == "refused" and not party["note"].strip():
        found.append("请说明当事人拒绝签字的情况")
    return found


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return len(text) == 10
    except ValueError:
        return False


# --- the record -------------------------------------------------------------------------------
def build_record(draft: dict[str, Any], assignment: dict[str, Any], record_id: str, signed_at: str) -> dict[str, Any]:
    """The document to sign: the draft read into the one builder (`schemas/record.py`)."""
    return InspectionRecord(
        record_id=record_id, assignment_id=assignment["id"], inspectors=draft["inspectors"],
        started_at=draft["started_at"], signed_at=signed_at, arrived_at=draft["arrived_at"],
        outcome=draft["outcome"], findings=[_finding(item, draft["findings"][item_key(item)])
                                            for item in assignment["items"]],
        party=_party(draft["party"]), attempts=[Attempt(**attempt) for attempt in draft["attempts"]],
        location=location_from_json(draft["location"]), supersedes=draft["supersedes"]).as_json()


def _finding(item: dict[str, Any], finding: dict[str, Any]) -> Finding:
    sample = finding.get("sample")
    return Finding.of(item, finding["outcome"], finding["note"], action_from_json(finding["action"]),
                      finding["photos"], Sample(**sample) if sample and finding["outcome"] == PENDING_LAB else None)


def _party(party: dict[str, Any]) -> Party | None:
    if party["mode"] == "refused":
        return Refusal(party["note"])
    if party["mode"] == "signature":
        return Signature(party["signature_photo"], party["name"])
    return None


def preview(draft: dict[str, Any], assignment: dict[str, Any]) -> Category | None:
    """The category the server will compute, once every item has an outcome."""
    if draft["outcome"] == "inspected" and any(draft["findings"][item_key(i)]["outcome"] is None
                                               for i in assignment["items"]):
        return None
    return categorize(build_record(draft, assignment, "preview", draft["started_at"]))


def counts(draft: dict[str, Any]) -> dict[str, int]:
    tally = {"compliant": 0, "non_compliant": 0, "not_applicable": 0, PENDING_LAB: 0, "open": 0}
    for finding in draft["findings"].values():
        tally[finding["outcome"] or "open"] += 1
    return tally
