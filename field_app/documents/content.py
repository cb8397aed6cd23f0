"""What the papers left on site say, field by field (pure: no I/O, no clock, no fonts).

Two papers are handed to the unit at the end of an inspected visit:

- 现场检查笔录 (`site_record`): the unit, the officers with their 执法证号, when, every item with
  its finding and legal basis, the party's signature or refusal, the officers as signers;
- 卫生监督意见书 (`opinion`), only where problems were found: each problem, its legal basis and
  what is required (责令整改 by a deadline, or 立案调查).

`papers(record, assignment, verify_url)` reads a built (not yet signed) inspection record and the
assignment it answers; `field_app/documents/pdf.py` lays the papers out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from schemas.clock import beijing_text

OUTCOMES = {"compliant": "合格", "non_compliant": "不合格", "not_applicable": "不适用",
            "pending_lab": "抽样送检，检验结果待出"}
TITLES = {"site_record": "现场检查笔录", "opinion": "卫生监督意见书"}
OPINION_INTRO = "经现场检查，你单位存在下列问题，违反了相关法律法规的规定。依据有关规定，现提出卫生监督意见如下："
OPINION_CLOSE = ("请按上述期限完成整改，并将整改情况报告卫生监督机构。逾期未整改或整改不合格的，"
                 "将依法予以处理。对本意见书不服的，可依法申请行政复议或者提起行政诉讼。")
REFUSED = "当事人拒绝签字"


@dataclass(frozen=True)
class Row:
    """One item on a paper: number, name, what was found, its legal basis, what is required."""
    number: int
    name: str
    finding: str
    legal_basis: str
    requirement: str


@dataclass(frozen=True)
class Paper:
    kind: str
    title: str
    record_id: str
    header: Sequence[tuple[str, str]]    # (label, value): unit, USCC, address, time, officers
    intro: str
    rows: Sequence[Row]
    closing: str
    party: str                            # "当事人（签名）：王芳" or the refusal note
    signature_photo: str | None           # the pad PNG's SHA-256, drawn beside the party line
    officers: Sequence[str]               # names of the officers who sign
    signed_at: str                        # the record's signing time (RFC 3339)
    signed_on: str                        # 2026年11月20日 (Beijing)
    verify_url: str

    def texts(self) -> list[str]:
        """Every string the paper prints, for the font check."""
        rows = [t for r in self.rows for t in (r.name, r.finding, r.legal_basis, r.requirement)]
        return [self.title, self.record_id, *(t for pair in self.header for t in pair), self.intro, *rows,
                self.closing, self.party, *self.officers, self.signed_on, self.verify_url]


def papers(record: Mapping[str, Any], assignment: Mapping[str, Any], verify_url: str) -> list[Paper]:
    """The 笔录 for an inspected visit, and the 意见书 when an item did not comply."""
    if record["visit"]["outcome"] != "inspected":
        return []
    problems = [f for f in record["findings"] if f["outcome"] == "non_compliant"]
    made = [_paper(record, assignment, verify_url, "site_record", record["findings"])]
    if problems:
        made.append(_paper(record, assignment, verify_url, "opinion", problems))
    return made


def kinds(record: Mapping[str, Any]) -> list[str]:
    """Which papers a record calls for (what `papers` makes), without making them."""
    if record["visit"]["outcome"] != "inspected":
        return []
    problems = any(f["outcome"] == "non_compliant" for f in record["findings"])
    return ["site_record", "opinion"] if problems else ["site_record"]


def _paper(record: Mapping[str, Any], assignment: Mapping[str, Any], verify_url: str, kind: str,
           findings: Sequence[Mapping[str, Any]]) -> Paper:
    names = {(i["task_id"], i["code"]): i["name"] for i in assignment["items"]}
    rows = [Row(n, names.get((f["task_id"], f["item_code"]), f["item_code"]), finding_text(f), f["legal_basis"],
                requirement(f)) for n, f in enumerate(findings, 1)]
    party = record["party"] or {}
    return Paper(kind, TITLES[kind], record["id"], header(record, assignment),
                 OPINION_INTRO if kind == "opinion" else "", rows, OPINION_CLOSE if kind == "opinion" else "",
                 party_line(party), party.get("signature_photo"), officer_names(record, assignment),
                 record["device_times"]["signed_at"], beijing_text(record["device_times"]["signed_at"], "%Y年%m月%d日"),
                 verify_url)


def header(record: Mapping[str, Any], assignment: Mapping[str, Any]) -> list[tuple[str, str]]:
    unit, times = assignment["unit"], record["device_times"]
    start = record["visit"]["arrived_at"] or times["started_at"]
    officers = "；".join(f"{name}（执法证号 {pid}）" for pid, name in officers_of(record, assignment))
    return [("被检查单位", unit["name"]), ("统一社会信用代码", unit["id"]), ("地址", unit["address"]),
            ("检查时间", f"{beijing_text(start, '%Y-%m-%d %H:%M')} 至 {beijing_text(times['signed_at'], '%H:%M')}"
                        "（北京时间）"),
            ("检查人员", officers)]


def officers_of(record: Mapping[str, Any], assignment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(执法证号, name) of each officer on the record: a person's id is their 执法证号."""
    team = {m["id"]: m["name"] for m in assignment["team"]}
    return [(pid, team.get(pid, pid)) for pid in record["inspectors"]]


def officer_names(record: Mapping[str, Any], assignment: Mapping[str, Any]) -> list[str]:
    return [name for _, name in officers_of(record, assignment)]


def finding_text(finding: Mapping[str, Any]) -> str:
    text = OUTCOMES[finding["outcome"]]
    sample = finding.get("sample")
    if sample:   # the party keeps the sample's number, lab and tests on paper (委托检验检测)
        text += f"（样品编号 {sample['sample_no']}，检验机构 {sample['lab']}，检验项目 {sample['tests']}）"
    return f"{text}：{finding['note']}" if finding["note"] else text


def requirement(finding: Mapping[str, Any]) -> str:
    action = finding["action"]
    if not action:
        return ""
    if action["kind"] == "rectify":
        return f"责令整改，整改期限：{action['deadline']}"
    return "立案调查" + (f"（案号 {action['case_no']}）" if action.get("case_no") else "")


def party_line(party: Mapping[str, Any]) -> str:
    if party.get("refused"):
        return f"{REFUSED}：{party['note']}"
    return f"当事人（签名）：{party.get('name', '')}"


def verify_url(server_url: str, record_id: str) -> str:
    """The public page that tells anyone whether this record is on the disclosure list (the QR code)."""
    return f"{server_url.rstrip('/')}/public/records/{record_id}"
