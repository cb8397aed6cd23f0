"""Public pages (server-rendered HTML, Chinese, no CDN)."""
from __future__ import annotations

from starlette.routing import BaseRoute

PAGE_ROUTES: list[BaseRoute] = []
