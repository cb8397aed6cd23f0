"""The one route table: every screen the shell can show, by name. Screens navigate with
`shell.go(name, **arguments)` and never import one another."""
from __future__ import annotations

from typing import Any, Callable

from field_app.ui.checklist_view import ChecklistScreen, RecordScreen
from field_app.ui.enroll import EnrollScreen
from field_app.ui.labresult_view import LabResultScreen
from field_app.ui.officers_view import OfficersScreen
from field_app.ui.party_view import PartyScreen
from field_app.ui.reinspect_view import ReinspectScreen
from field_app.ui.review_view import ReviewListScreen, ReviewScreen
from field_app.ui.screen import Screen
from field_app.ui.summary_view import SummaryScreen
from field_app.ui.sync_view import SyncScreen
from field_app.ui.worklist_view import WorkListScreen

ROUTES: dict[str, Callable[..., Screen]] = {
    "/enroll": EnrollScreen,                  # (shell)
    "/work": WorkListScreen,                  # (shell)
    "/visit": ChecklistScreen,                # (shell, assignment_id)
    "/visit/party": PartyScreen,              # (shell, visit)
    "/visit/summary": SummaryScreen,          # (shell, visit)
    "/record": RecordScreen,                  # (shell, row): a submitted record and its receipt
    "/sync": SyncScreen,                      # (shell)
    "/officers": OfficersScreen,              # (shell): the officers who sign on this tablet
    "/review": ReviewListScreen,              # (shell)
    "/review/record": ReviewScreen,           # (shell, item)
    "/reinspect": ReinspectScreen,            # (shell)
    "/lab-result": LabResultScreen,           # (shell, key): a lab result for one sample of my record
}


def make(route: str, shell: Any, **arguments: Any) -> Screen:
    return ROUTES[route](shell, **arguments)
