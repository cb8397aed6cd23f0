"""The console on a tablet (portrait, 800 CSS pixels wide): every console page a person can open
without a parameter fits the screen's width — wide tables scroll inside their own box, nothing
makes the whole page scroll sideways — and every button is at least 40 pixels tall for a finger."""
from __future__ import annotations

from typing import Iterator

import pytest
from starlette.routing import Route

from sync_server.app import routes
from tests.integration.conftest import County
from tests.support.browser import chromium_page
from tests.support.office import browser_sign_in
from tests.support.server import ServerProcess


@pytest.fixture
def site(history_county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(history_county.db).start()
    yield proc
    proc.stop()


def console_pages() -> list[str]:
    return sorted({route.path for route in routes() if isinstance(route, Route) and "{" not in route.path
                   and getattr(route.endpoint, "console_action", None) and "GET" in (route.methods or ())})


def test_every_console_page_fits_a_tablet(site: ServerProcess) -> None:
    pages = console_pages()
    assert len(pages) >= 12
    with chromium_page(800, 1280) as page:
        browser_sign_in(page, site.url)
        too_wide, too_small = [], []
        for path in pages:
            page.goto(site.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                too_wide.append((path, overflow))
            small = page.evaluate("[...document.querySelectorAll('main button')].filter(b => b.offsetParent"
                                  " && b.getBoundingClientRect().height < 40).map(b => b.textContent.trim())")
            if small:
                too_small.append((path, small[:3]))
        assert not too_wide, f"pages wider than a tablet (path, pixels): {too_wide}"
        assert not too_small, f"buttons under 40 px tall: {too_small}"
