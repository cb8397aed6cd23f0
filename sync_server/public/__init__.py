"""Public pages (server-rendered HTML, Chinese, no CDN): the item list, plans, tasks and their
draws, and how to verify them."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.office import pages as office
from sync_server.public import pages
from sync_server.disclosure import pages as results

PAGE_ROUTES = [
    Route("/", pages.home),
    Route("/public/items", pages.items),
    Route("/public/plans", pages.plans),
    Route("/public/plans/{year}", pages.plan),
    Route("/public/tasks/{task_id}", pages.task),
    Route("/public/tasks/{task_id}/{name}.json", pages.download),
    Route("/public/verify", pages.verify),
    Route("/public/verify/ssj_verify.py", pages.verifier),
    Route("/public/verify/ssj_check_entry.py", pages.entry_checker),
    Route("/public/verify/ssj_monitor.py", pages.log_monitor),
    Route("/public/static/{name}", pages.static_file),
    Route("/public/results", results.results),
    Route("/public/results.{kind}", results.download),
    Route("/public/results/{no}.json", results.entry_json),
    Route("/public/results/{no}/proof.json", results.proof_json),
    Route("/public/results/{no}/verify", results.verify, name="result_verify"),
    Route("/public/results/{no}", results.entry),
    Route("/office", office.dashboard),
    Route("/office/login", office.login_form),
    Route("/office/login", office.login, methods=["POST"]),
    Route("/office/logout", office.logout, methods=["POST"]),
]
from sync_server.reports import pages as reports  # noqa: E402  (the report pages, appended)

PAGE_ROUTES += [
    Route("/public/reports", reports.report_years),
    Route("/public/reports/{year}.xlsx", reports.report_xlsx),
    Route("/public/reports/{year}", reports.report_page),
]
