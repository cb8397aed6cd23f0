"""The office console's routes (/office, behind office sessions): each section's table."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.office import accounts, ceremony, devices, pages, plans, publication, tasks

ROUTES = [
    Route("/office", pages.dashboard),
    Route("/office/login", pages.login_form),
    Route("/office/login", pages.login, methods=["POST"]),
    Route("/office/logout", pages.logout, methods=["POST"]),
    Route("/office/results/{no}/document.pdf", pages.document),
    Route("/office/lab-results", pages.lab_result, methods=["POST"]),
    *accounts.ROUTES,
    *plans.ROUTES,
    *publication.ROUTES,
    *tasks.ROUTES,
    *devices.ROUTES,   # and the calendar and reports sections (office/yearly.py)
    *ceremony.ROUTES,
]
