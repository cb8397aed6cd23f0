"""Today's work: the list with each assignment's state, visits opened and corrected, what was signed."""
from __future__ import annotations

from datetime import date
from typing import Any

from field_app.core import checklist, worklist
from field_app.state.labresults import LabResults
from field_app.state.services import Services
from field_app.state.session import Session
from field_app.state.signing import Signing
from field_app.store import LocalStore, document_of
from field_app.visit import Visit


class Work:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session
        self.lab_results = LabResults(services, session)   # which visits wait for a lab (待检验结果)

    @property
    def store(self) -> LocalStore:
        return self.services.store

    def rows(self) -> list[worklist.WorkRow]:
        subs = [worklist.Submission(r["record_id"], r["assignment_id"], r["state"], r["created_at"])
                for r in self.store.submissions()]
        decisions = {d["record_id"]: d.get("decision", "return") for d in self.store.list_decisions()}
        lab_pending = self.lab_results.pending_records()
        return worklist.rows(self.store.list_assignments(), self.store.draft_ids(), subs, decisions, lab_pending)

    def today(self) -> date:
        """The date on site (Beijing), against which the list says what is overdue."""
        return self.services.clock.today()

    def sections(self, query: str = "", state: str | None = None) -> list[worklist.Section]:
        """The list as shown: filtered, then grouped 已逾期 / 即将到期 / 其他待检查 / 已提交."""
        return worklist.sections(worklist.filtered(self.rows(), query, state), self.today())

    def outbox_waiting(self) -> int:
        counts = self.store.outbox_counts()
        return counts.get("pending", 0) + counts.get("incomplete", 0) + counts.get("parked", 0)

    def last_sync(self) -> str | None:
        return self.store.get_meta("last_sync")

    def assignment(self, assignment_id: str) -> dict[str, Any] | None:
        return self.store.get_assignment(assignment_id)

    def open_visit(self, assignment_id: str) -> Visit:
        """The visit's draft; a submitted visit is not reopened (one record per visit, unless returned)."""
        row = self._row(assignment_id)
        if row is not None and row.state in ("submitted", "approved", "lab_pending"):
            raise ValueError(f"{row.unit_name} 的记录已提交，不能再次提交；如需更正请等待组长退回")
        s = self.services
        return Visit.open(s.store, s.keys, s.files, assignment_id, self.session.my_id, s.clock)

    def signing(self, visit: Visit) -> Signing:
        """The confirm step's signatures: each officer present, with their own PIN."""
        return Signing(self.services, visit)

    def return_notice(self, assignment_id: str) -> dict[str, Any] | None:
        """The leader's return of this assignment's latest record, if that is where it stands."""
        row = self._row(assignment_id)
        if row is None or row.state != "returned":
            return None
        return next((d for d in self.store.list_returns() if d["record_id"] == row.latest_record), None)

    def start_correction(self, assignment_id: str) -> Visit:
        """A draft from the returned record, superseding it (unless the correction is under way)."""
        notice = self.return_notice(assignment_id)
        if notice is not None and self.store.get_draft(assignment_id) is None:
            record = self.submitted_record(notice["record_id"])
            if record is not None:
                now = self.services.clock.stamp()
                self.store.save_draft(assignment_id, checklist.draft_from_record(record, self.session.my_id, now), now)
        return self.open_visit(assignment_id)

    def submitted_record(self, record_id: str | None) -> dict[str, Any] | None:
        """The document this device signed under that id, as it was signed."""
        envelope = self.store.envelope_of(record_id) if record_id else None
        return document_of(envelope) if envelope else None

    def _row(self, assignment_id: str) -> worklist.WorkRow | None:
        return next((r for r in self.rows() if r.assignment_id == assignment_id), None)
