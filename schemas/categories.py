"""Result categories (DOMAIN.md "Results"), versioned pure rules with their explanation.

    unreachable   the visit found no one             无法联系
    penalty       a penalty case was recorded        行政处罚
    rectify       something was not compliant        发现问题已责令整改
    pending_lab   nothing else found, but a sample   待检验结果
                  awaits its lab result
    no_problem    otherwise                          未发现问题

`basis` names what decided the category: "visit:unreachable", "item:<code>:case",
"item:<code>:non_compliant", "item:<code>:pending_lab" (each sample still out), or for no problem
every item checked ("item:<code>:<outcome>").

A pending sample never makes a record "no problem": until its result arrives (schemas/lab.py) the
record is `pending_lab`, unless a problem found on site already decides it (rectify, penalty).
The category is computed on the *effective* record (`schemas.lab.effective_record`), so a lab
result turns `pending_lab` into `no_problem` or `rectify`/`penalty` by the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RULES_VERSION = "categories/2"   # 2: pending_lab (a sample awaiting its lab result)


@dataclass(frozen=True)
class Kind:
    """One result category as everything else reads it: the disclosure list, the reports' columns
    and charts, the office console. Adding one touches this tuple, `categorize` and the receipt
    schema's enum (tests/unit/test_categories.py checks they agree); the rest iterates over KINDS."""
    code: str
    label: str
    problem: bool     # something was found not compliant: counts toward the problem-discovery rate
    colour: str       # its colour in the reports' charts (distinguishable in colour-blind vision)


KINDS = (
    Kind("no_problem", "未发现问题", False, "#2e7d32"),
    Kind("rectify", "发现问题已责令整改", True, "#e69f00"),
    Kind("penalty", "行政处罚", True, "#c62828"),
    Kind("unreachable", "无法联系", False, "#757575"),
    Kind("pending_lab", "待检验结果", False, "#56b4e9"),
)
LABELS = {kind.code: kind.label for kind in KINDS}
PROBLEMS = tuple(kind.code for kind in KINDS if kind.problem)


@dataclass(frozen=True)
class Category:
    code: str
    basis: tuple[str, ...]
    rules: str = RULES_VERSION

    @property
    def label(self) -> str:
        return LABELS[self.code]

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "rules": self.rules, "basis": list(self.basis)}


def categorize(record: dict[str, Any]) -> Category:
    """The category of a (schema-valid) inspection record."""
    if record["visit"]["outcome"] == "unreachable":
        return Category("unreachable", ("visit:unreachable",))
    findings = record["findings"]
    cases = tuple(f"item:{f['item_code']}:case" for f in findings if _action(f) == "case")
    if cases:
        return Category("penalty", cases)
    problems = tuple(f"item:{f['item_code']}:non_compliant"
                     for f in findings if f["outcome"] == "non_compliant")
    if problems:
        return Category("rectify", problems)
    pending = tuple(f"item:{f['item_code']}:pending_lab" for f in findings if f["outcome"] == "pending_lab")
    if pending:
        return Category("pending_lab", pending)
    return Category("no_problem", tuple(f"item:{f['item_code']}:{f['outcome']}" for f in findings))


def _action(finding: dict[str, Any]) -> str | None:
    action = finding.get("action")
    return action["kind"] if action else None
