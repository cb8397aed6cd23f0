"""The office console's sign-in over real HTTP: named accounts with passwords (argon2id), a
server-side session whose cookie holds no credential, ended by signing out (even if the old cookie
is replayed), by its expiry, by deactivating the account and by changing the password; forms that
refuse a foreign Origin and a missing CSRF token; Secure cookies when SUIJIAN_HTTPS says the server
is behind HTTPS; the API's admin token no longer signs anyone in."""
from __future__ import annotations

import hashlib
import re
from http.cookies import SimpleCookie
from typing import Iterator

import httpx
import pytest

from sync_server.db.connection import transaction
from tests.support import engine
from tests.integration.conftest import County, server_rows
from tests.support.office import ADMIN, CLERK, PASSWORD, signed_in
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


def sign_in(web: httpx.Client, username: str = ADMIN, password: str = PASSWORD, origin: str | None = None,
            csrf: str | None = None) -> httpx.Response:
    form = web.get("/office/login")
    headers = {"Origin": origin or str(web.base_url).rstrip("/")}
    return web.post("/office/login", data={"username": username, "password": password,
                                           "csrf": csrf if csrf is not None else csrf_of(form.text)}, headers=headers)


def test_the_cookie_holds_a_session_id_not_the_password(web: httpx.Client, county: County) -> None:
    signed_in = sign_in(web)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/office"
    cookie = set_cookies(signed_in)["suijian_office"]
    session_id = cookie["value"]
    assert PASSWORD not in session_id and len(session_id) >= 40
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["path"] == "/office"
    assert cookie["max-age"] == str(8 * 3600) and not cookie.get("secure")
    stored = server_rows(county.db, "SELECT id_hash, account_id, expires_at FROM console_sessions")
    assert [r["id_hash"] for r in stored] == [hashlib.sha256(session_id.encode()).hexdigest()], "only the hash is kept"
    assert [r["account_id"] for r in stored] == [f"office:{ADMIN}"]
    hashed = server_rows(county.db, "SELECT password_hash FROM office_accounts WHERE username = ?", ADMIN)[0][0]
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    dashboard = web.get("/office")
    assert dashboard.status_code == 200 and "结果公示（截至" in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"


def test_a_wrong_password_or_the_api_token_signs_nobody_in(web: httpx.Client, county: County) -> None:
    wrong = sign_in(web, ADMIN, PASSWORD + "x")
    assert wrong.status_code == 403 and "账号或密码不正确" in wrong.text and "suijian_office" not in set_cookies(wrong)
    unknown = sign_in(web, "nobody", PASSWORD)
    assert unknown.status_code == 403 and "账号或密码不正确" in unknown.text, "an unknown name is not told apart"
    token = sign_in(web, "admin", county.admin_token)
    assert token.status_code == 403, "the API's admin token is for machines only"
    assert server_rows(county.db, "SELECT count(*) FROM console_sessions")[0][0] == 0


def test_signing_out_ends_the_session_on_the_server(web: httpx.Client, county: County) -> None:
    sign_in(web)
    session_id = web.cookies["suijian_office"]
    page = web.get("/office").text
    assert web.post("/office/logout", data={}, headers={"Origin": str(web.base_url).rstrip("/")}).status_code == 403, \
        "no CSRF token: refused"
    forged = web.post("/office/logout", data={"csrf": csrf_of(page)}, headers={"Origin": FOREIGN})
    assert forged.status_code == 403 and "请求来源不符" in forged.text
    assert web.get("/office").status_code == 200, "a refused sign-out changes nothing"
    out = web.post("/office/logout", data={"csrf": csrf_of(page)}, headers={"Origin": str(web.base_url).rstrip("/")})
    assert out.status_code == 303 and out.headers["location"] == "/office/login"
    assert server_rows(county.db, "SELECT count(*) FROM console_sessions")[0][0] == 0
    with httpx.Client(base_url=str(web.base_url), cookies={"suijian_office": session_id}) as replay:
        again = replay.get("/office")
        assert again.status_code == 303 and again.headers["location"].startswith("/office/login"), "the old cookie is worthless"


def test_sign_in_refuses_a_foreign_origin_and_a_missing_csrf_token(web: httpx.Client, county: County) -> None:
    foreign = sign_in(web, origin=FOREIGN)
    assert foreign.status_code == 403 and "请求来源不符" in foreign.text and "suijian_office" not in set_cookies(foreign)
    null = sign_in(web, origin="null")
    assert null.status_code == 403 and "请求来源不符" in null.text
    stale = sign_in(web, csrf="not-the-token")
    assert stale.status_code == 403 and "页面已过期" in stale.text
    assert server_rows(county.db, "SELECT count(*) FROM console_sessions")[0][0] == 0


def test_an_expired_session_or_a_deactivated_account_ends_it(web: httpx.Client, county: County) -> None:
    sign_in(web, CLERK)
    conn = engine.connect(county.db)
    with transaction(conn):
        conn.execute("UPDATE console_sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
    assert web.get("/office").status_code == 303, "past its expiry the session is over"
    conn.close()
    sign_in(web, CLERK)
    assert web.get("/office").status_code == 200
    with signed_in(str(web.base_url)) as admin:   # the admin deactivates the clerk in the console
        page = admin.get(f"/office/accounts/{CLERK}")
        version = re.search(r'name="version" value="([^"]+)"', page.text).group(1)   # type: ignore[union-attr]
        done = admin.post_form(f"/office/accounts/{CLERK}", {"name": "李娜", "role": "clerk", "active": "0",
                                                             "version": version})
        assert done.status_code == 303
    assert web.get("/office").status_code == 303, "deactivating the account ends its sessions"
    assert sign_in(web, CLERK).status_code == 403, "and it cannot sign in again"
    entry = server_rows(county.db, "SELECT entry FROM audit_log WHERE kind = 'office_account.updated'")
    logged = entry[-1][0]
    logged = logged.decode() if isinstance(logged, bytes) else logged
    assert f'"by":"office:{ADMIN}"' in logged, "the change is logged with the person"


def test_behind_https_the_cookies_are_secure(county: County) -> None:
    proc = ServerProcess(county.db, env={"SUIJIAN_HTTPS": "1"}).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as web:
            form = web.get("/office/login")
            csrf = set_cookies(form)["suijian_office_csrf"]
            assert csrf["secure"]
            login = {"username": ADMIN, "password": PASSWORD, "csrf": csrf["value"]}
            wrong_scheme = web.post("/office/login", data=login,
                                    headers={"Origin": proc.url, "Cookie": f"suijian_office_csrf={csrf['value']}"})
            assert wrong_scheme.status_code == 403, "behind HTTPS the page's origin is https://"
            done = web.post("/office/login", data=login,
                                 headers={"Origin": proc.url.replace("http:", "https:"),
                                          "Cookie": f"suijian_office_csrf={csrf['value']}"})
            assert done.status_code == 303 and set_cookies(done)["suijian_office"]["secure"]
    finally:
        proc.stop()
