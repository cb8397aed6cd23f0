"""The public site's routes: home, item list, plans, tasks with their draws, how to verify."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.public import pages

ROUTES = [
    Route("/", pages.home),
    Route("/public/items", pages.items),
    Route("/public/plans", pages.plans),
    Route("/public/plans/{year}", pages.plan),
    Route("/public/plans/{year}/versions/{version}.json", pages.plan_version_file),
    Route("/public/plans/{year}/versions/{version}", pages.plan_version),
    Route("/public/tasks/{task_id}", pages.task),
    Route("/public/tasks/{task_id}/ceremony.json", pages.ceremony_file),
    Route("/public/tasks/{task_id}/{name}.json", pages.download),
    Route("/public/verify", pages.verify),
    Route("/public/verify/ssj_verify.py", pages.verifier),
    Route("/public/verify/ssj_check_entry.py", pages.entry_checker),
    Route("/public/verify/ssj_monitor.py", pages.log_monitor),
    Route("/public/static/{name}", pages.static_file),
]
