"""The office screen's sign-in over real HTTP: a server-side session whose cookie holds no
credential, ended by signing out (even if the old cookie is replayed), by its expiry and by
revoking the admin token; forms that refuse a foreign Origin and a missing CSRF token; Secure
cookies when SUIJIAN_HTTPS says the server is behind HTTPS."""
from __future__ import annotations

import hashlib
import re
import sqlite3
from http.cookies import SimpleCookie
from typing import Iterator

import httpx
import pytest

from tests.integration.conftest import County, server_rows
from tests.support.server import ServerProcess

FOREIGN = "https://evil.example"


@pytest.fixture
def web(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)   # type: ignore[union-attr]


def set_cookies(response: httpx.Response) -> dict[str, dict]:
    """Every Set-Cookie of a response: name → {"value", and its attributes in lower case}."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie(header)
        for name, morsel in cookie.items():
            found[name] = {"value": morsel.value, **{k: v for k, v in morsel.items() if v}}
    return found


def sign_in(web: httpx.Client, token: str, origin: str | None = None, csrf: str | None = None) -> httpx.Response:
    form = web.get("/office/login")
    headers = {"Origin": origin or str(web.base_url).rstrip("/")}
    return web.post("/office/login", data={"token": token, "csrf": csrf if csrf is not None else csrf_of(form.text)},
                    headers=headers)


def test_the_cookie_holds_a_session_id_not_the_token(web: httpx.Client, county: County) -> None:
    signed_in = sign_in(web, county.admin_token)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/office"
    cookie = set_cookies(signed_in)["suijian_office"]
    session_id = cookie["value"]
    assert county.admin_token not in session_id and len(session_id) >= 40
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["path"] == "/office"
    assert cookie["max-age"] == str(8 * 3600) and not cookie.get("secure")
    stored = server_rows(county.db, "SELECT id_hash, user_id, expires_at FROM office_sessions")
    assert [r["id_hash"] for r in stored] == [hashlib.sha256(session_id.encode()).hexdigest()], "only the hash is kept"
    dashboard = web.get("/office")
    assert dashboard.status_code == 200 and "结果公示（截至" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"


def test_signing_out_ends_the_session_on_the_server(web: httpx.Client, county: County) -> None:
    sign_in(web, county.admin_token)
    session_id = web.cookies["suijian_office"]
    page = web.get("/office").text
    assert web.post("/office/logout", data={}, headers={"Origin": str(web.base_url).rstrip("/")}).status_code == 403, \
        "no CSRF token: refused"
    forged = web.post("/office/logout", data={"csrf": csrf_of(page)}, headers={"Origin": FOREIGN})
    assert forged.status_code == 403 and "请求来源不符" in forged.text
    assert web.get("/office").status_code == 200, "a refused sign-out changes nothing"
    out = web.post("/office/logout", data={"csrf": csrf_of(page)}, headers={"Origin": str(web.base_url).rstrip("/")})
    assert out.status_code == 303 and out.headers["location"] == "/office/login"
    assert server_rows(county.db, "SELECT count(*) FROM office_sessions")[0][0] == 0
    with httpx.Client(base_url=str(web.base_url), cookies={"suijian_office": session_id}) as replay:
        again = replay.get("/office")
        assert again.status_code == 303 and again.headers["location"] == "/office/login", "the old cookie is worthless"


def test_sign_in_refuses_a_foreign_origin_and_a_missing_csrf_token(web: httpx.Client, county: County) -> None:
    foreign = sign_in(web, county.admin_token, origin=FOREIGN)
    assert foreign.status_code == 403 and "请求来源不符" in foreign.text and "suijian_office" not in set_cookies(foreign)
    null = sign_in(web, county.admin_token, origin="null")
    assert null.status_code == 403 and "请求来源不符" in null.text
    stale = sign_in(web, county.admin_token, csrf="not-the-token")
    assert stale.status_code == 403 and "页面已过期" in stale.text
    assert server_rows(county.db, "SELECT count(*) FROM office_sessions")[0][0] == 0


def test_an_expired_session_or_a_revoked_token_ends_it(web: httpx.Client, county: County) -> None:
    sign_in(web, county.admin_token)
    conn = sqlite3.connect(county.db)
    with conn:
        conn.execute("UPDATE office_sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
    assert web.get("/office").status_code == 303, "past its expiry the session is over"
    sign_in(web, county.admin_token)
    assert web.get("/office").status_code == 200
    with conn:
        conn.execute("UPDATE admin_tokens SET revoked_at = '2026-01-01T00:00:00.000Z'")
    conn.close()
    assert web.get("/office").status_code == 303, "revoking the admin token ends the sessions it opened"


def test_behind_https_the_cookies_are_secure(county: County) -> None:
    proc = ServerProcess(county.db, env={"SUIJIAN_HTTPS": "1"}).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as web:
            form = web.get("/office/login")
            csrf = set_cookies(form)["suijian_office_csrf"]
            assert csrf["secure"]
            wrong_scheme = web.post("/office/login", data={"token": county.admin_token, "csrf": csrf["value"]},
                                    headers={"Origin": proc.url, "Cookie": f"suijian_office_csrf={csrf['value']}"})
            assert wrong_scheme.status_code == 403, "behind HTTPS the page's origin is https://"
            signed_in = web.post("/office/login", data={"token": county.admin_token, "csrf": csrf["value"]},
                                 headers={"Origin": proc.url.replace("http:", "https:"),
                                          "Cookie": f"suijian_office_csrf={csrf['value']}"})
            assert signed_in.status_code == 303 and set_cookies(signed_in)["suijian_office"]["secure"]
    finally:
        proc.stop()
