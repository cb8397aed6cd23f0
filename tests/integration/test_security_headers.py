"""Security headers on every response of a real server: the API, the public pages, the office
screen, photos, static files and errors (a 500 too); no inline script or style in any page, so
the Content-Security-Policy can forbid them; and a JPEG/HTML polyglot photo comes back as an
image that no browser sniffs into a page."""
from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import httpx

from sync_server.web.security_headers import OTHER_POLICY, PAGE_POLICY
from tests.support import engine
from tests.support.photos import jpeg_bytes
from tests.support.server import ServerProcess

PAGES = ["/", "/public/items", "/public/plans", "/public/plans/2026", "/public/tasks/T2026-14", "/public/verify",
         "/public/results", "/public/reports", "/office/login", "/public/results/2026-999999"]
OTHERS = [("GET", "/healthz", 200), ("GET", "/v1/log/key", 200), ("GET", "/openapi.json", 200),
          ("GET", "/public/static/site.css", 200), ("GET", "/public/static/verify.js", 200),
          ("GET", "/public/results.csv", 200), ("GET", "/public/tasks/T2026-14/result.json", 200),
          ("GET", "/v1/me", 401), ("GET", "/no/such/path", 404), ("POST", "/healthz", 405),
          ("GET", "/v1/log/proof/x", 400), ("GET", "/public/static/nothing.js", 404)]


def common(response: httpx.Response) -> str:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return policy


class Inline(HTMLParser):
    """Inline script, event-handler attributes and style attributes or elements in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names or tag == "style":
            self.found.append(f"<{tag}> inline")
        self.found += [f"<{tag} {n}=…>" for n in names if n.startswith("on") or n == "style"]
        self.found += [f"<{tag} {n}=javascript:…>" for n, v in attrs if (v or "").strip().lower().startswith("javascript:")]


def test_every_page_has_the_policy_and_nothing_inline(history_county) -> None:
    entry = engine.rows(history_county.db, "SELECT no FROM disclosures WHERE first_published_on IS NOT NULL"
                                           " LIMIT 1")[0][0]
    year = entry[:4]
    server = ServerProcess(history_county.db).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as web:
            for path in PAGES + [f"/public/results/{entry}", f"/public/results/{entry}/verify", f"/public/reports/{year}"]:
                response = web.get(path)
                assert response.headers["content-type"].startswith("text/html"), path
                assert common(response) == PAGE_POLICY, path
                parser = Inline()
                parser.feed(response.text)
                assert parser.found == [], (path, parser.found)
    finally:
        server.stop()
    assert "script-src 'self'" in PAGE_POLICY and "style-src 'self'" in PAGE_POLICY


def test_the_api_files_and_errors_have_the_headers(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as web:
        for method, path, status in OTHERS:
            response = web.request(method, path)
            assert response.status_code == status, (path, response.status_code)
            assert common(response) == OTHER_POLICY, path
        assert "Strict-Transport-Security" not in web.get("/healthz").headers, "only when served over HTTPS"


def test_an_internal_error_has_the_headers_too(server: ServerProcess) -> None:
    conn = engine.connect(server.db)
    # a damaged database: the page fails inside the server (the tables that refer to it are left
    # dangling on SQLite, dropped with it on PostgreSQL)
    conn.execute("DROP TABLE plans CASCADE" if engine.ON_POSTGRES else "PRAGMA foreign_keys=OFF")
    if not engine.ON_POSTGRES:
        conn.execute("DROP TABLE plans")
    conn.close()
    response = httpx.get(server.url + "/public/plans", timeout=30)
    assert response.status_code == 500 and response.json()["code"] == "internal.error"
    assert common(response) == OTHER_POLICY


def test_behind_https_the_server_asks_for_https(county, tmp_path) -> None:
    proc = ServerProcess(county.db, env={"SUIJIAN_HTTPS": "1"}).start()
    try:
        for path in ("/", "/healthz", "/nothing"):
            assert httpx.get(proc.url + path).headers["strict-transport-security"] == "max-age=31536000"
    finally:
        proc.stop()


def polyglot() -> bytes:
    """A real JPEG that is also an HTML page: a comment segment (COM) right after the SOI marker."""
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    jpeg = jpeg_bytes(7)
    return jpeg[:2] + b"\xff\xfe" + (len(html) + 2).to_bytes(2, "big") + html + jpeg[2:]


def test_a_polyglot_photo_comes_back_as_an_image_and_never_as_a_page(make_device, county) -> None:
    device = make_device(county.inspector)
    data = polyglot()
    sha = hashlib.sha256(data).hexdigest()
    stored = device.http.put(f"/v1/photos/{sha}", content=data, headers=device._auth())
    if stored.status_code != 201:   # refusing such a file on upload is fine too
        assert 400 <= stored.status_code < 500 and common(stored) == OTHER_POLICY
        return
    response = device.http.get(f"/v1/photos/{sha}", headers=device._auth())
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert common(response) == OTHER_POLICY and re.search(r"\bsandbox\b", OTHER_POLICY)
    assert response.headers["content-disposition"] == f'inline; filename="{sha}.jpg"'
