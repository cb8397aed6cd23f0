"""The inspection record's shape and its one builder (pure: no clock, no I/O; times are arguments).

`InspectionRecord(...).as_json()` is the exact document a tablet signs
(`schemas/v1/inspection-record.schema.json`, payload of an `inspection-record` DSSE envelope).
The tablet (`field_app/core/checklist.py`) and the demo build every record here, so neither writes
the dict by hand:

    InspectionRecord(record_id=..., assignment_id=..., inspectors=("p1",),
                     started_at="2026-11-20T01:30:00Z", signed_at="2026-11-20T09:40:00+08:00",
                     arrived_at="2026-11-20T01:30:00Z",
                     findings=(Finding.of(item, "non_compliant", action=Rectify("2026-12-05")),),
                     party=Signature(signature_photo=sha, name="王芳")).as_json()

The rules of the shape live here, once: an unreachable visit has attempts and no findings and no
party; an inspected one has findings and a party and no attempts; an action is kept only on a
non-compliant finding; photo lists and inspectors keep their first order without repeats; a
finding awaits a lab (outcome `pending_lab`) exactly when it records a sample.
`documents` (the PDF handed over on site, `field_app/documents/`) is the one optional key: written
only for an inspected visit that has it, absent in records from app versions before it.

**Adding a field.** A new field of the record (or of a finding, attempt or party) is added in this
module (a dataclass field with a default, written in `as_json`, read in `from_json`) and in the
schema file; nothing else changes until something sets it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence, Union

SCHEMA = "suijian.inspection-record/1"
OUTCOMES = ("compliant", "non_compliant", "not_applicable", "pending_lab")
PENDING_LAB = "pending_lab"   # a sample was sent to a lab (委托检验检测); a lab-result document decides
METHODS = ("visit", "phone", "other")
VISIT_OUTCOMES = ("inspected", "unreachable")


def unique(values: Sequence[str]) -> list[str]:
    """The values in their first order, without repeats."""
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class Rectify:
    """责令整改 by a deadline (YYYY-MM-DD)."""
    deadline: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": "rectify", "deadline": self.deadline}


@dataclass(frozen=True)
class Case:
    """立案调查, with the case number when it is known."""
    case_no: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": "case", "case_no": self.case_no}


Action = Union[Rectify, Case]


def action_from_json(doc: Mapping[str, Any] | None) -> Action | None:
    if not doc:
        return None
    if doc["kind"] == "rectify":
        return Rectify(doc["deadline"])
    return Case(doc.get("case_no"))


@dataclass(frozen=True)
class Sample:
    """A sample taken on site and sent to a lab (委托检验检测): its number, the lab (e.g. 市疾控中心
    or a named third-party lab), what is tested (检验项目) and photos of the sample and its seal.
    The result is never in the record: it comes later as its own signed document
    (`schemas/v1/lab-result.schema.json`) naming the record and the sample number."""
    sample_no: str
    lab: str
    tests: str
    photos: Sequence[str] = ()

    def as_json(self) -> dict[str, Any]:
        return {"sample_no": self.sample_no.strip(), "lab": self.lab.strip(), "tests": self.tests.strip(),
                "photos": unique(self.photos)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "Sample":
        return cls(doc["sample_no"], doc["lab"], doc["tests"], tuple(doc["photos"]))


@dataclass(frozen=True)
class Finding:
    """One checklist item's result."""
    item_code: str
    task_id: str
    outcome: str
    legal_basis: str
    note: str = ""
    action: Action | None = None
    photos: Sequence[str] = ()
    sample: Sample | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any], outcome: str, note: str = "", action: Action | None = None,
           photos: Sequence[str] = (), sample: Sample | None = None) -> "Finding":
        """The finding for a checklist item (`checklist-item.schema.json`: code, task_id, legal_basis)."""
        return cls(item["code"], item["task_id"], outcome, item["legal_basis"], note, action, tuple(photos), sample)

    def as_json(self) -> dict[str, Any]:
        """The `sample` key is written only on a finding that awaits a lab (`pending_lab`), so every
        record signed before samples existed keeps its bytes and stays valid."""
        kept = self.action if self.outcome == "non_compliant" else None
        doc = {"item_code": self.item_code, "task_id": self.task_id, "outcome": self.outcome,
               "note": self.note, "legal_basis": self.legal_basis,
               "action": kept.as_json() if kept else None, "photos": unique(self.photos)}
        if self.outcome == PENDING_LAB and self.sample is not None:
            doc["sample"] = self.sample.as_json()
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "Finding":
        sample = Sample.from_json(doc["sample"]) if doc.get("sample") else None
        return cls(doc["item_code"], doc["task_id"], doc["outcome"], doc["legal_basis"], doc["note"],
                   action_from_json(doc["action"]), tuple(doc["photos"]), sample)


@dataclass(frozen=True)
class Attempt:
    """One try to reach an unreachable unit: 上门 (visit), 电话 (phone) or 其他 (other)."""
    method: str
    at: str
    note: str = ""
    photos: Sequence[str] = ()

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "at": self.at, "note": self.note, "photos": unique(self.photos)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "Attempt":
        return cls(doc["method"], doc["at"], doc["note"], tuple(doc["photos"]))


@dataclass(frozen=True)
class Signature:
    """The party signed on the pad (the PNG's SHA-256) and gave a name."""
    signature_photo: str
    name: str

    def as_json(self) -> dict[str, Any]:
        return {"signature_photo": self.signature_photo, "name": self.name.strip()}


@dataclass(frozen=True)
class Refusal:
    """The party refused to sign; the note says how."""
    note: str

    def as_json(self) -> dict[str, Any]:
        return {"refused": True, "note": self.note}


Party = Union[Signature, Refusal]


def party_from_json(doc: Mapping[str, Any] | None) -> Party | None:
    if not doc:
        return None
    if doc.get("refused"):
        return Refusal(doc["note"])
    return Signature(doc["signature_photo"], doc["name"])


@dataclass(frozen=True)
class Location:
    """Integer micro-degrees and accuracy in metres (no floats in a signed document)."""
    lat_e6: int
    lon_e6: int
    accuracy_m: int

    def as_json(self) -> dict[str, int]:
        return {"lat_e6": self.lat_e6, "lon_e6": self.lon_e6, "accuracy_m": self.accuracy_m}


def location_from_json(doc: Mapping[str, Any] | None) -> Location | None:
    return Location(doc["lat_e6"], doc["lon_e6"], doc["accuracy_m"]) if doc else None


DOCUMENT_KINDS = ("site_record", "opinion")   # 现场检查笔录, 卫生监督意见书


@dataclass(frozen=True)
class Documents:
    """The papers handed over on site, as one PDF: its SHA-256 and which papers it holds."""
    pdf: str
    kinds: Sequence[str] = ("site_record",)

    def as_json(self) -> dict[str, Any]:
        return {"pdf": self.pdf, "kinds": unique(self.kinds)}


def documents_from_json(doc: Mapping[str, Any] | None) -> Documents | None:
    return Documents(doc["pdf"], tuple(doc["kinds"])) if doc else None


@dataclass(frozen=True)
class InspectionRecord:
    """What was found on one visit. `as_json()` is the document that is signed."""
    record_id: str
    assignment_id: str
    inspectors: Sequence[str]
    started_at: str
    signed_at: str
    arrived_at: str | None
    outcome: str = "inspected"
    findings: Sequence[Finding] = ()
    party: Party | None = None
    attempts: Sequence[Attempt] = ()
    location: Location | None = None
    supersedes: str | None = None
    documents: Documents | None = None

    @property
    def inspected(self) -> bool:
        return self.outcome == "inspected"

    def as_json(self) -> dict[str, Any]:
        doc = {"schema": SCHEMA, "id": self.record_id, "assignment_id": self.assignment_id,
               "supersedes": self.supersedes, "visit": self._visit(),
               "findings": [f.as_json() for f in self.findings] if self.inspected else [],
               "party": self.party.as_json() if self.inspected and self.party else None,
               "inspectors": unique(self.inspectors),
               "device_times": {"started_at": self.started_at, "signed_at": self.signed_at}}
        if self.inspected and self.documents:   # absent, not null: records of earlier app versions have none
            doc["documents"] = self.documents.as_json()
        return doc

    def _visit(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "arrived_at": self.arrived_at,
                "location": self.location.as_json() if self.location else None,
                "attempts": [] if self.inspected else [a.as_json() for a in self.attempts]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "InspectionRecord":
        """A (schema-valid) record read back, e.g. a returned record to be corrected."""
        visit = doc["visit"]
        return cls(doc["id"], doc["assignment_id"], tuple(doc["inspectors"]), doc["device_times"]["started_at"],
                   doc["device_times"]["signed_at"], visit["arrived_at"], visit["outcome"],
                   tuple(Finding.from_json(f) for f in doc["findings"]), party_from_json(doc["party"]),
                   tuple(Attempt.from_json(a) for a in visit["attempts"]), location_from_json(visit["location"]),
                   doc["supersedes"], documents_from_json(doc.get("documents")))
