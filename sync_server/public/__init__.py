"""Public pages (server-rendered HTML, Chinese, no CDN): the item list, plans, tasks and their
draws, and how to verify them."""
from __future__ import annotations

from starlette.routing import Route

from sync_server.public import pages

PAGE_ROUTES = [
    Route("/", pages.home),
    Route("/public/items", pages.items),
    Route("/public/plans", pages.plans),
    Route("/public/plans/{year}", pages.plan),
    Route("/public/tasks/{task_id}", pages.task),
    Route("/public/tasks/{task_id}/{name}.json", pages.download),
    Route("/public/verify", pages.verify),
    Route("/public/verify/ssj_verify.py", pages.verifier),
    Route("/public/static/site.css", pages.stylesheet),
]
