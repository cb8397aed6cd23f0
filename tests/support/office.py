"""Signing in to the office console in tests: over real HTTP (httpx) or in a real browser.

The seeded county (demo/seed.py) already has one account of each role, all with PASSWORD:
ADMIN "zhangwei", CLERK "lina", AUDITOR "wangfang". `make_account` adds another on the file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from demo.seed import CONSOLE_ACCOUNTS, CONSOLE_PASSWORD
from sync_server.accounts import office as office_accounts
from sync_server.db.connection import open_db, transaction

PASSWORD = CONSOLE_PASSWORD
ADMIN, CLERK, AUDITOR = (username for username, _, _ in CONSOLE_ACCOUNTS)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def make_account(db: Path, username: str, role: str, password: str = PASSWORD, name: str = "测试人员") -> str:
    """A new account written to the database file (the server may be running); its id."""
    conn = open_db(db)
    try:
        with transaction(conn):
            return office_accounts.create_account(conn, username, name, role, password, "test")["id"]
    finally:
        conn.close()


class Console(httpx.Client):
    """A signed-in browser-like client: the session cookie, the Origin a browser sends, `csrf`."""
    csrf: str = ""

    def __enter__(self) -> "Console":   # already used to sign in; `with` only closes it at the end
        return self

    def post_form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a form as the console page would: with the session's CSRF token."""
        return self.post(path, data={"csrf": self.csrf, **(data or {})}, **kwargs)


def signed_in(url: str, username: str = ADMIN, password: str = PASSWORD) -> Console:
    client = Console(base_url=url, headers={"Origin": url.rstrip("/")}, timeout=30)
    form = client.get("/office/login")
    found = CSRF.search(form.text)
    assert found, form.text[:500]
    response = client.post("/office/login", data={"username": username, "password": password,
                                                  "csrf": found.group(1)})
    assert response.status_code == 303, f"sign-in as {username} failed: {response.status_code} {response.text[:300]}"
    page = client.get("/office/account/password")
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    client.csrf = found.group(1)
    return client


def csrf_in(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:500]
    return found.group(1)


def browser_sign_in(page: Any, url: str, username: str = ADMIN, password: str = PASSWORD) -> None:
    """Sign in on the console's own form in a Playwright page; lands on the work bench."""
    page.goto(url.rstrip("/") + "/office/login")
    page.get_by_label("账号").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/office(\?.*)?$|.*/office/.*"))
