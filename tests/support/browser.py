"""One Chromium page for a browser test of the server's pages: Debian's chromium (never a
downloaded one), Chinese locale, downloads accepted."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by `make` (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      accept_downloads=True)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
