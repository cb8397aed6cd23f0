"""Which office a request is for, and so which database it reads and writes.

A deployment serves its own office at the root paths; the platform's other offices are served
under their own path (see sync_server/platform). The middleware that recognises that path puts
the office's database in the request's scope; every handler reaches the database through
`db_of(request)`, never through the app's state directly, so no handler can read or write an
office other than the one its path names."""
from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

OFFICE_DB = "suijian.db"


def db_of(request: HTTPConnection) -> Any:
    """The database of the office this request is for."""
    return request.scope.get(OFFICE_DB) or request.app.state.db


OFFICE_CODE = "suijian.office"
OFFICE_ROOT = "suijian.office_root"


def office_of(request: HTTPConnection) -> str | None:
    """The code of the office this request is for; None for the deployment's own (the root) office."""
    return request.scope.get(OFFICE_CODE)


def office_root(request: HTTPConnection) -> str:
    """The path prefix of this request's office: "" for the root office, "/o/<code>" for another."""
    return request.scope.get(OFFICE_ROOT, "")


def route_path(scope: Any) -> str:
    """The path as the routes see it: without the office's prefix (the same as the path at the root)."""
    root = scope.get(OFFICE_ROOT, "")
    return scope["path"][len(root):] if root and scope["path"].startswith(root) else scope["path"]
