"""The role × action matrix of the office console, walked over real HTTP: every console route, for
each role, as the role table (sync_server/office/core/roles.py) says — refused with a Chinese 403
where the role may not act, let through the role check where it may, never a 500; no route
without a session; no change without the session's CSRF token.

The routes are read from the app's own table, so a section added later is walked too; each route
names its action (console.guarded). A POST by an allowed role is sent with a wrong CSRF token: the
reply must be the CSRF refusal, which comes after the role check — so nothing is changed while the
role's passage is proven.
"""
from __future__ import annotations

import re
from typing import Iterator

import httpx
import pytest
from starlette.routing import Route

from sync_server.app import routes
from sync_server.office.core.roles import ACTIONS, ROLES, may
from tests.integration.conftest import copy_county_db
from tests.integration.conftest import County
from tests.support.office import ADMIN, AUDITOR, CLERK, signed_in
from tests.support.server import ServerProcess

ACCOUNTS = {"admin": ADMIN, "clerk": CLERK, "auditor": AUDITOR}
ROLE_REFUSAL, CSRF_REFUSAL = "无权进行此操作", "页面已过期"


def console_routes() -> list[tuple[str, str, str]]:
    """(method, path with its parameters filled, action) for every guarded console route."""
    found = []
    for route in routes():
        action = getattr(route.endpoint, "console_action", None) if isinstance(route, Route) else None
        if action is None:
            continue
        path = re.sub(r"\{[^}]+\}", "zz-unknown", route.path)
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            found.append((method, path, action))
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, county_template: County) -> Iterator[ServerProcess]:
    db = copy_county_db(county_template, tmp_path_factory.mktemp("roles") / "server.db", for_the_run=True)
    proc = ServerProcess(db).start()
    yield proc
    proc.stop()


def test_the_routes_name_known_actions_and_cover_the_sections() -> None:
    found = console_routes()
    assert len(found) >= 8
    assert {action for _, _, action in found} <= set(ACTIONS)
    assert any(method == "POST" for method, _, _ in found)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_allows(site: ServerProcess, role: str) -> None:
    with signed_in(site.url, ACCOUNTS[role]) as web:
        checked = 0
        for method, path, action in console_routes():
            if method == "GET":
                reply = web.get(path)
            else:
                reply = web.post(path, data={"csrf": "not-the-session-token"})
            assert reply.status_code != 500, f"{method} {path}: 500"
            refused = reply.status_code == 403 and ROLE_REFUSAL in reply.text
            if may(role, action):
                assert not refused, f"{role} may {action} ({method} {path}) but was refused"
                if method == "POST":
                    assert reply.status_code == 403 and CSRF_REFUSAL in reply.text, \
                        f"{method} {path}: an allowed role without the CSRF token must meet the CSRF refusal"
            else:
                assert refused, f"{role} may not {action} ({method} {path}) but got {reply.status_code}"
            checked += 1
        assert checked == len(console_routes())


def test_the_auditor_changes_nothing() -> None:
    changing = [action for action, roles in ACTIONS.items() if roles != frozenset(ROLES)]
    assert changing and not any(may("auditor", action) for action in changing)
    assert all(may("admin", action) for action in ACTIONS), "the admin may do everything"


def test_no_console_route_opens_without_a_session(site: ServerProcess) -> None:
    with httpx.Client(base_url=site.url, timeout=30) as web:
        for method, path, _ in console_routes():
            reply = web.request(method, path, data={} if method == "POST" else None)
            assert reply.status_code == 303 and reply.headers["location"].startswith("/office/login"), \
                f"{method} {path} without a session: {reply.status_code}"
