"""The report pages' routes (public, read-only)."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.reports import pages

ROUTES = [
    Route("/public/reports", pages.report_years),
    Route("/public/reports/{year}.xlsx", pages.report_xlsx),
    Route("/public/reports/{year}", pages.report_page),
]
