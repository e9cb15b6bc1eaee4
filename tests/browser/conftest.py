"""Playwright (sync API) fixtures for the browser tests: Debian's Chromium, never a downloaded browser.

The Playwright sync API keeps an asyncio event loop in the test's thread, which makes Django refuse ORM calls
from the test itself ("You cannot call this from an async context"). The test and the live server never touch
the database at the same time (the test waits for each page), so the guard is switched off while the browser
is open, and only then.
"""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("KAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def chromium():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            expect.set_options(timeout=TIMEOUT_MS)
            try:
                yield browser
            finally:
                browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser tab (own cookies) pointed at the live server."""
    context = chromium.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
