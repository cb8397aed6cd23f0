"""One visit being worked on the device: every change is written to the local database before
the method returns, so killing the app loses at most the change in flight.

The screen calls these methods; none of them touches the network. `submit` is the moment the
record becomes "saved": signed by the officers present and committed to the outbox, in one
transaction with retiring the draft.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from field_app import documents
from field_app.core import checklist
from field_app.device_clock import DeviceClock
from field_app.ids import uuid7
from field_app.keys import KeyStore
from field_app.outbox import MIN_OFFICERS, submit_record
from field_app.photos import PhotoFiles, Processed, Stroke, process, signature_png
from field_app.store import LocalStore
from schemas.categories import Category
from schemas.record import Documents


@dataclass(frozen=True)
class Submitted:
    record_id: str
    category: Category
    envelope_bytes: int


class Visit:
    def __init__(self, store: LocalStore, keys: KeyStore, files: PhotoFiles, assignment: dict[str, Any],
                 draft: dict[str, Any], clock: DeviceClock = DeviceClock()) -> None:
        self.store, self.keys, self.files, self.clock = store, keys, files, clock
        self.assignment, self.draft = assignment, draft

    @classmethod
    def open(cls, store: LocalStore, keys: KeyStore, files: PhotoFiles, assignment_id: str, me: str,
             clock: DeviceClock = DeviceClock()) -> "Visit":
        """The saved draft, or a new one (saved at once: arriving is already a fact)."""
        assignment = store.get_assignment(assignment_id)
        if assignment is None:
            raise KeyError(assignment_id)
        draft = store.get_draft(assignment_id)
        visit = cls(store, keys, files, assignment, draft or checklist.new_draft(assignment, me, clock.stamp()),
                    clock)
        if draft is None:
            visit.save()
        return visit

    def save(self) -> None:
        self.store.save_draft(self.assignment["id"], self.draft, self.clock.stamp())

    # --- the checklist --------------------------------------------------------------------------
    def items(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The items offered on the checklist (those that apply to the unit) with their findings."""
        return [(item, self.draft["findings"][checklist.item_key(item)]) for item in checklist.applicable(self.assignment)]

    def not_offered(self) -> int:
        """Items of the visit that do not apply to the unit (recorded as 不适用, not shown)."""
        return len(self.assignment["items"]) - len(checklist.applicable(self.assignment))

    def set_outcome(self, key: str, outcome: str) -> None:
        checklist.set_outcome(self.draft, key, outcome, self.clock.today())
        self.save()

    def set_note(self, key: str, note: str) -> None:
        self.draft["findings"][key]["note"] = note[:2000]
        self.save()

    def set_action(self, key: str, kind: str, value: str | None = None) -> None:
        checklist.set_action(self.draft, key, kind, value)
        self.save()

    def set_sample(self, key: str, field: str, value: str) -> None:
        """One field of a sample sent to a lab (样品编号, 检验机构, 检验项目), saved at once."""
        checklist.set_sample(self.draft, key, field, value)
        self.save()

    def add_sample_photo(self, key: str, raw: bytes) -> Processed:
        """A photo of the sample and its seal (PhotoRefused for bad input)."""
        photo = self._keep(process(raw))
        photos = self.draft["findings"][key].setdefault("sample", checklist.empty_sample())["photos"]
        if photo.sha256 not in photos:
            photos.append(photo.sha256)
        self.save()
        return photo

    def remove_sample_photo(self, key: str, sha256: str) -> None:
        photos = self.draft["findings"][key].get("sample", {}).get("photos", [])
        if sha256 in photos:
            photos.remove(sha256)
            self.save()

    def add_photo(self, key: str, raw: bytes) -> Processed:
        """Process (PhotoRefused for bad input), store the file, then name it in the draft."""
        photo = self._keep(process(raw))
        photos = self.draft["findings"][key]["photos"]
        if photo.sha256 not in photos:
            photos.append(photo.sha256)
        self.save()
        return photo

    def remove_photo(self, key: str, sha256: str) -> None:
        photos = self.draft["findings"][key]["photos"]
        if sha256 in photos:
            photos.remove(sha256)
            self.save()

    def _keep(self, photo: Processed) -> Processed:
        path = self.files.save(photo)
        self.store.add_photo(photo.sha256, path, len(photo.data))
        return photo

    # --- the party ----------------------------------------------------------------------------------
    def sign(self, strokes: list[Stroke], pad_size: tuple[int, int], name: str) -> Processed:
        signature = self._keep(signature_png(strokes, pad_size))
        self.draft["party"] = {"mode": "signature", "name": name.strip()[:200], "signature_photo": signature.sha256,
                               "note": ""}
        self.save()
        return signature

    def set_party_name(self, name: str) -> None:
        self.draft["party"]["name"] = name[:200]
        self.save()

    def refuse(self, note: str) -> None:
        self.draft["party"] = {"mode": "refused", "name": "", "signature_photo": None, "note": note[:2000]}
        self.save()

    # --- unreachable ------------------------------------------------------------------------------
    def set_unreachable(self, unreachable: bool) -> None:
        self.draft["outcome"] = "unreachable" if unreachable else "inspected"
        self.save()

    def add_attempt(self, method: str, note: str, raw_photos: list[bytes] = ()) -> None:
        shas = [self._keep(process(raw)).sha256 for raw in raw_photos]
        self.draft["attempts"].append({"method": method, "at": self.clock.stamp(), "note": note[:2000],
                                       "photos": list(dict.fromkeys(shas))})
        self.save()

    # The attempt being written down is part of the draft too, so a killed app keeps it.
    @property
    def pending_attempt(self) -> dict[str, Any]:
        return self.draft.setdefault("pending_attempt", {"method": "visit", "note": "", "photos": []})

    def edit_pending_attempt(self, method: str | None = None, note: str | None = None) -> None:
        pending = self.pending_attempt
        if method is not None:
            pending["method"] = method
        if note is not None:
            pending["note"] = note[:2000]
        self.save()

    def add_pending_photo(self, raw: bytes) -> Processed:
        photo = self._keep(process(raw))
        if photo.sha256 not in self.pending_attempt["photos"]:
            self.pending_attempt["photos"].append(photo.sha256)
        self.save()
        return photo

    def record_pending_attempt(self) -> None:
        pending = self.draft.pop("pending_attempt", None) or {"method": "visit", "note": "", "photos": []}
        self.draft["attempts"].append({"method": pending["method"], "at": self.clock.stamp(), "note": pending["note"],
                                       "photos": list(dict.fromkeys(pending["photos"]))})
        self.draft["pending_attempt"] = {"method": pending["method"], "note": "", "photos": []}
        self.save()

    # --- submit -----------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        return checklist.problems(self.draft, self.assignment)

    def preview(self) -> Category | None:
        return checklist.preview(self.draft, self.assignment)

    def _with_documents(self, record: dict[str, Any]) -> dict[str, Any]:
        """The papers handed over on site made from the record about to be signed, kept as a file,
        and their hash put into the record (so the signature covers the paper)."""
        party = record["party"] or {}
        signature = self.files.full(party["signature_photo"]) if party.get("signature_photo") else None
        made = documents.make(record, self.assignment, self.store.get_meta("server_url") or "", signature)
        if made is None:
            return record
        path = self.files.save_document(made.sha256, made.data)
        self.store.add_photo(made.sha256, path, len(made.data))
        return {**record, "documents": Documents(made.sha256, made.kinds).as_json()}

    def submit(self, officers: Mapping[str, Ed25519PrivateKey]) -> Submitted:
        """Build, validate, sign by each officer present (their keys, unlocked by their PINs),
        commit to the outbox. The record's inspectors are the officers who signed, in the team's
        order. Only after this returns is it "saved"."""
        missing = self.problems()
        if missing:
            raise ValueError("；".join(missing))
        team = [m["id"] for m in self.assignment["team"]]
        if len(officers) < MIN_OFFICERS or not set(officers) <= set(team):
            raise ValueError("检查记录须由至少两名本组执法人员各自输入 PIN 签名")
        self.draft["inspectors"] = [p for p in team if p in officers]
        record = checklist.build_record(self.draft, self.assignment, uuid7(), self.clock.local_stamp())
        record = self._with_documents(record)
        signed = submit_record(self.store, [officers[p] for p in self.draft["inspectors"]], record,
                               self.clock.stamp())
        return Submitted(record["id"], checklist.categorize(record), len(signed))
