"""The browser fixture's watchdog: a page whose JavaScript spins for ever is interrupted, and the
page goes on working (what the suite relies on when headless Chromium spins; see conftest)."""
from __future__ import annotations

import pytest


@pytest.mark.watchdog_limit(6.0)   # the suite's 20 s, shortened: the same code path, 14 s sooner
def test_a_spinning_page_is_interrupted_and_lives_on(browser) -> None:
    page = browser.new_page()
    page.goto("about:blank")
    page.wait_for_timeout(3000)  # the watchdog attaches to pages while they are idle
    page.evaluate("() => { window.spins = 0; setTimeout(() => { for (;;) { window.spins++; } }, 10); }")
    page.wait_for_timeout(50)
    # Blocks while the loop runs; returns only once the watchdog has terminated it.
    assert page.evaluate("() => window.spins") > 1_000_000
    assert page.evaluate("() => 6 * 7") == 42
