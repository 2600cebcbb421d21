"""Headless Chromium for the browser tests, driven by Playwright's sync API.

Playwright's own browser download is not available on our machines or in CI, so the tests
use the system Chromium. A missing browser is a failure, not a skip: CI installs it, and a
silently skipped accessibility check would look like a passing one.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from django.conf import settings
from django.db import connections

CHROMIUM_PATH = Path(os.environ.get("LIANLUO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def browser(live_server) -> Browser:
    """Chromium for one test. Request it after the fixtures that write to the database.

    Function scope on purpose: Playwright's sync API keeps an asyncio loop running in the test
    thread, and while it runs Django hands out *different* connection objects (they are keyed
    by async context). A longer-lived browser made pytest-django's serialized-rollback restore
    run on a fresh connection that had no snapshot to restore, emptying the database for every
    later test. Started per test, the loop only exists after the test database is set up.
    """
    if not CHROMIUM_PATH.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}. Install it (Debian: apt-get install chromium) "
            "or point LIANLUO_CHROMIUM at the binary; the browser tests must not be skipped.",
            pytrace=False,
        )
    # With that loop running Django also refuses ORM calls from the test thread
    # (SynchronousOnlyOperation) although nothing here is async. Allow them only while the
    # browser runs (Django reads the variable on every guarded call), so the rest of the
    # suite keeps the safety check.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Close any connection the test opened while the loop ran (see above); nothing
            # else would, and the flush after the test must not wait on it.
            connections.close_all()


class RecordingPage:
    """A fresh browser context and page that remembers every URL the page asked for."""

    def __init__(self, browser: Browser, viewport: dict, origin: str):
        # A new context per page: no cookies (elder mode) leak from one test into another.
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page: Page = self.context.new_page()
        self.requested: list[str] = []
        self.page.on("request", lambda request: self.requested.append(request.url))
        # With DEBUG off Django does not serve uploads (the web server does in production),
        # so answer the live server's /media/ URLs from MEDIA_ROOT; images then load as they
        # would for a resident. The requests are still recorded above.
        self.context.route(f"{origin}{settings.MEDIA_URL}**", serve_media)

    def foreign_requests(self, origin: str) -> list[str]:
        """Requests that left the live server (CDNs, web fonts, analytics...)."""
        return [url for url in self.requested if not url.startswith(origin + "/") and url != origin]


def serve_media(route: Route):
    relative = unquote(urlsplit(route.request.url).path).removeprefix(settings.MEDIA_URL)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    file = (media_root / relative).resolve()
    if file.is_file() and file.is_relative_to(media_root):
        route.fulfill(path=file)
    else:
        route.fulfill(status=404)


@pytest.fixture
def open_page(browser, live_server):
    """Factory: open_page(viewport=...) -> RecordingPage; contexts are closed after the test."""
    opened: list[RecordingPage] = []

    def factory(viewport: dict = DESKTOP_VIEWPORT) -> RecordingPage:
        recording = RecordingPage(browser, viewport, live_server.url)
        opened.append(recording)
        return recording

    yield factory
    for recording in opened:
        recording.context.close()
