"""Re-inspections (复查): my records that ordered rectification (open at any time, offline) and the
office's reminders pulled at sync; the note and photos saved as they are made, the answer signed
on this device and queued."""
from __future__ import annotations

from typing import Any

from field_app.core import followup
from field_app.ids import uuid7
from field_app.outbox import sign_and_queue
from field_app.photos import process
from field_app.state.services import Services
from field_app.state.session import Session
from field_app.store import LocalStore, document_of


class Reinspections:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session
        self._signed: dict[str, followup.Due | None] = {}   # outbox id → its rectification (signed: never changes)

    @property
    def store(self) -> LocalStore:
        return self.services.store

    def due(self) -> list[followup.Due]:
        """Rectifications not yet re-inspected on this device: every record I signed here that
        ordered one (unless refused by the server or returned by the leader), and the office's reminders."""
        done = {document_of(r["envelope"])["record_id"] for r in self.store.outbox_rows_of("reinspection")}
        returned = {d["record_id"] for d in self.store.list_returns()}
        own = [due for row in self.store.outbox_heads_of("record")
               if row["state"] not in ("rejected", "conflict") and row["id"] not in returned
               and (due := self._rectification(row)) is not None]
        return followup.open_dues(self.store.list_reminders(), done, own)

    def _rectification(self, row: Any) -> followup.Due | None:
        if row["id"] not in self._signed:
            record = document_of(self.store.envelope_of(row["id"]) or "")
            assignment = self.store.get_assignment(record["assignment_id"]) or {"unit": {"name": ""}}
            self._signed[row["id"]] = followup.due_from_record(record, row["envelope_sha256"],
                                                               assignment["unit"]["name"])
        return self._signed[row["id"]]

    def draft(self, record_id: str) -> dict[str, Any]:
        """The note and photos of a re-inspection being made (saved as they are made)."""
        return self.store.get_reinspection_draft(record_id)

    def edit_note(self, record_id: str, note: str) -> None:
        draft = self.store.get_reinspection_draft(record_id)
        draft["note"] = note
        self.store.save_reinspection_draft(record_id, draft)

    def add_photo(self, record_id: str, raw: bytes) -> str:
        """Process (PhotoRefused for bad input), keep the file, then name it in the draft."""
        photo = process(raw)
        self.store.add_photo(photo.sha256, self.services.files.save(photo), len(photo.data))
        draft = self.store.get_reinspection_draft(record_id)
        if photo.sha256 not in draft["photos"]:
            draft["photos"].append(photo.sha256)
        self.store.save_reinspection_draft(record_id, draft)
        return photo.sha256

    def remove_photo(self, record_id: str, sha256: str) -> None:
        draft = self.store.get_reinspection_draft(record_id)
        if sha256 in draft["photos"]:
            draft["photos"].remove(sha256)
            self.store.save_reinspection_draft(record_id, draft)

    def answer(self, due: followup.Due, outcome: str, note: str | None = None,
               photos: list[str] | None = None) -> str | None:
        """Sign the re-inspection on this device and queue it; None when saved, else why not (Chinese).
        The note and photos default to the draft's."""
        draft = self.store.get_reinspection_draft(due.record_id)
        now = self.services.clock.stamp()
        try:
            doc = followup.reinspection(due, uuid7(), outcome, draft["note"] if note is None else note,
                                        draft["photos"] if photos is None else photos, [self.session.my_id], now)
        except followup.FollowupInputError as exc:
            return exc.message_zh
        sign_and_queue(self.store, self.services.keys, "reinspection", doc, doc["photos"], now)
        self.store.discard_reinspection_draft(due.record_id)
        return None
