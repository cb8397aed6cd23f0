"""Offline means no failed fetch: loading the app in Chromium asks nothing of any host but the
app's own, and nothing it asks for fails (docs/FIELD_APP.md, "Offline"). Flet's web client would
otherwise ask for Noto Sans SC fallback pieces Flet does not ship (404s) and for Rive's runtime
from jsDelivr; field_app/assets/offline.js answers both from the app itself."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.apps import open_app, wait_text
from tests.support.server import free_port

LOCAL = {"127.0.0.1", "localhost"}
FONT_TROUBLE = ("Failed to load font", "Could not find a set of Noto fonts", "Failed to parse fallback font")


def watch(page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"failed": [], "external": []}
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.failure} {r.url}"))

    def request(r) -> None:
        url = urlsplit(r.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL:
            seen["external"].append(r.url)
    page.on("request", request)
    return seen


def test_a_page_load_fetches_nothing_that_fails_or_leaves_the_machine(browser, apps, tmp_path: Path) -> None:
    app = apps(tmp_path / "tablet", f"http://127.0.0.1:{free_port()}").start()   # no server: enrollment
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    seen = watch(page)
    open_app(page, app.url)
    for label in ("注册设备", "注册码", "注册"):           # the enrollment screen, in Chinese
        wait_text(page, label)
    page.wait_for_load_state("networkidle")
    assert seen == {"failed": [], "external": []}
    assert [line for line in page.console_lines if any(t in line for t in FONT_TROUBLE)] == []
    # The two requests the client makes on its own were answered here: Rive's runtime every time,
    # the fallback pieces whenever text is laid out before the bundled font is in (a race at start).
    answered = page.evaluate("() => window.suijianOffline")
    assert answered["rive"] >= 1
    for family in ("notosanssc/v37", "notosanskr/v36", "notosansjp/v53"):   # whichever family Flutter guesses
        piece = page.evaluate("""async (family) => {
            const r = await fetch(`assets/fonts/${family}/any-piece.118.woff2`);
            return [r.status, new TextDecoder("latin1").decode(new Uint8Array(await r.arrayBuffer()).slice(0, 4))];
        }""", family)
        assert piece == [200, "OTTO"] and seen["failed"] == [], family    # our OTF, not a 404

    # Control: the same load without offline.js does reach out and fail, so the check above can fail.
    bare = browser.new_page(viewport={"width": 1100, "height": 900})
    bare.route("**/offline.js", lambda route: route.fulfill(body="", content_type="application/javascript"))
    unguarded = watch(bare)
    bare.goto(app.url)
    bare.wait_for_function("() => [...document.scripts].some(s => s.src.includes('rive_native'))", timeout=30_000)
    bare.wait_for_load_state("networkidle")
    assert any("rive_native.js" in url for url in unguarded["external"])
    assert any("rive_native.js" in line for line in unguarded["failed"])
