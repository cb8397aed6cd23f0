"""Lab samples (委托检验检测) on this device: which of my records' samples still wait for their
result, the result form saved as it is filled, and the result signed on this device and queued."""
from __future__ import annotations

import hashlib
from typing import Any

from field_app.core import labresults
from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from field_app.photos import process
from field_app.state.services import Services
from field_app.state.session import Session
from field_app.store import LocalStore, document_of

FORM_FIELDS = ("outcome", "lab", "report_no", "reported_on", "note", "rectify_by")


class LabResults:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session
        self._samples: dict[str, list[labresults.PendingSample]] = {}   # by record id: signed bytes never change

    @property
    def store(self) -> LocalStore:
        return self.services.store

    def pending(self) -> list[labresults.PendingSample]:
        """Samples of the latest record of each of my visits with no result yet (entered here, or
        reported by the server's feed); a returned record's samples wait on its correction."""
        returned = {d["record_id"] for d in self.store.list_returns()}
        latest: dict[str, str] = {}
        for row in self.store.submissions():   # oldest first: the last one wins
            latest[row["assignment_id"]] = row["record_id"]
        resulted = self.resulted()
        return [sample for assignment_id, record_id in latest.items() if record_id not in returned
                for sample in self._samples_of(record_id, assignment_id)
                if (sample.record_id, sample.item_code) not in resulted]

    def _samples_of(self, record_id: str, assignment_id: str) -> list[labresults.PendingSample]:
        """The samples a signed record sent, read once per record (the work list asks often)."""
        if record_id not in self._samples:
            envelope = self.store.envelope_of(record_id)
            if envelope is None:
                return []
            sha = hashlib.sha256(envelope.encode("utf-8")).hexdigest()
            self._samples[record_id] = labresults.pending(
                [(document_of(envelope), sha, self.store.get_assignment(assignment_id))], set())
        return self._samples[record_id]

    def resulted(self) -> set[tuple[str, str]]:
        mine = {(d["record_id"], d["item_code"]) for d in
                (document_of(r["envelope"]) for r in self.store.outbox_rows_of("lab_result"))}
        told = {(n["record_id"], n["item_code"]) for n in self.store.list_lab_notices()}
        return mine | told

    def pending_records(self) -> set[str]:
        return {sample.record_id for sample in self.pending()}

    def find(self, key: str) -> labresults.PendingSample | None:
        return next((s for s in self.pending() if s.key == key), None)

    def form(self, key: str) -> dict[str, Any]:
        return self.store.get_lab_draft(key)

    def edit(self, key: str, field: str, value: Any) -> None:
        """One field of the form, saved at once. Under the store's lock: Flet runs handlers on a
        thread pool, and two fields typed in quick succession must not overwrite each other."""
        if field not in FORM_FIELDS and field != "case":
            raise KeyError(field)
        with self.store.lock:
            draft = self.store.get_lab_draft(key)
            draft[field] = value
            self.store.save_lab_draft(key, draft)

    def add_photo(self, key: str, raw: bytes) -> str:
        """A photo of the lab's report (PhotoRefused for bad input), kept, then named in the form."""
        photo = process(raw)
        self.store.add_photo(photo.sha256, self.services.files.save(photo), len(photo.data))
        with self.store.lock:
            draft = self.store.get_lab_draft(key)
            if photo.sha256 not in draft["photos"]:
                draft["photos"].append(photo.sha256)
            self.store.save_lab_draft(key, draft)
        return photo.sha256

    def enter(self, sample: labresults.PendingSample) -> str | None:
        """Sign the result on this device and queue it; None when saved, else why not (Chinese)."""
        clock = self.services.clock
        try:
            doc = labresults.lab_result(sample, uuid7(), self.form(sample.key), self.session.my_id, clock.stamp(),
                                        clock.today())
        except labresults.LabInputError as exc:
            return exc.message_zh
        sign_and_queue(self.store, self.services.keys, "lab_result", doc, doc["photos"], clock.stamp())
        self.store.discard_lab_draft(sample.key)
        return None
