"""The app's state, with no UI: the device's services (made once, at start) and the state objects
by concern that the screens read and call. Listeners are told when a sync changed something.

    enroll → pull → work list → Visit (field_app.visit) → submit → outbox → sync → receipts
    leader: review queue (pulled) → decide → signed decision in the outbox → sync

    services      field_app/state/services.py    store, keys, photo files, clock, sync clients
    session       field_app/state/session.py     who I am, enrollment
    work          field_app/state/work.py        today's work, visits, corrections, what was signed
    syncing       field_app/state/syncing.py     sync now and in the background, listeners, progress
    review        field_app/state/review.py      the leader's queue and decisions
    reinspections field_app/state/reinspections.py  复查 drafts and answers
    lab_results   field_app/state/labresults.py     samples awaiting a lab result, results entered here
    outbox_lines  field_app/state/outbox_lines.py   the outbox as the sync screen shows it
"""
from __future__ import annotations

from field_app.state.outbox_lines import ERROR_HELP, PARKED_HELP, OutboxLine, outbox_lines
from field_app.state.reinspections import Reinspections
from field_app.state.review import Review, ReviewItem
from field_app.device_clock import DeviceClock
from field_app.state.services import Services, Settings
from field_app.state.session import Session
from field_app.state.syncing import Syncing
from field_app.state.work import Work
from field_app.sync import SyncResult

__all__ = ["AppState", "DeviceClock", "ERROR_HELP", "OutboxLine", "PARKED_HELP", "ReviewItem", "Services",
           "Settings"]


class AppState:
    """One per device (per data directory): its services and its state by concern."""

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.settings = settings
        self.services = services or Services.open(settings)
        self.store, self.keys, self.files = self.services.store, self.services.keys, self.services.files
        self.session = Session(self.services)
        self.work = Work(self.services, self.session)
        self.syncing = Syncing(self.services, self.session)
        self.review = Review(self.services, self.session)
        self.reinspections = Reinspections(self.services, self.session)
        self.lab_results = self.work.lab_results

    def start_routes(self) -> list[str]:
        """The screens the app opens on, bottom of the back stack first: enrollment; a leader with
        records waiting, the review queue (over the work list); else the work list."""
        if not self.session.enrolled:
            return ["/enroll"]
        return ["/work", "/review"] if self.session.is_leader and self.review.waiting() else ["/work"]

    def outbox_lines(self) -> list[OutboxLine]:
        return outbox_lines(self.store)

    def close(self) -> None:
        self.syncing.stop_background()
        self.services.close()

    @property
    def enrolled(self) -> bool:
        return self.session.enrolled

    @property
    def me(self) -> dict:
        return self.session.me

    @property
    def last_result(self) -> SyncResult | None:
        return self.syncing.last_result
