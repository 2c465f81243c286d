"""Browser fixtures: one Chromium per test module, a fresh context per person, the real server.

The browser is shared by a module's tests, so those tests and their server run in the module's
event loop (``loop_scope="module"``): playwright's connection and uvicorn's task must live in the
loop that the test awaits in. Each test still gets its own server under a fresh key prefix.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import LiveServer, run_server
from tests.timing import playwright_ms

CHROMIUM = os.environ.get("PEERLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# Neutral pages "Quick exit" may go to; the tests answer them locally (no network in CI).
EXIT_HOSTS = ("https://www.google.com/**", "https://www.baidu.com/**")

# Records notifications and beeps, so tests can see that a page tried to get attention.
ATTENTION_PROBE = """
window.__notes = [];
window.__beeps = 0;
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title, body: (options || {}).body }); }
  close() {}
  static get permission() { return 'granted'; }
  static requestPermission() { return Promise.resolve('granted'); }
};
if (window.AudioContext) {
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__beeps += 1;
    return create.call(this);
  };
}
"""

# Timing-sensitive waits scale with the same variable as the other tests (tests/timing.py).
expect.set_options(timeout=playwright_ms(10_000))

# Long enough that a reload or a few seconds offline never ends a chat in these tests, and
# that a helper's cooldown is still on when the test looks at it.
SERVER_SETTINGS: dict[str, Any] = {"seeker_grace_s": 30.0, "helper_grace_s": 30.0,
                                   "cooldown_s": 120.0}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture(loop_scope="module")
async def web_server(embedded_redis: Any) -> AsyncIterator[LiveServer]:
    """``live_server`` of tests/conftest.py, started in the module's loop (see above)."""
    async with run_server(embedded_redis.url, **SERVER_SETTINGS) as live:
        yield live


class People:
    """Opens pages for seekers, helpers and counselors, each in its own browser context."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.page_errors: list[str] = []

    async def context(self, locale: str = "en-US", viewport: dict[str, int] | None = None
                      ) -> BrowserContext:
        ctx = await self.browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        for pattern in EXIT_HOSTS:
            await ctx.route(pattern, lambda route: route.fulfill(
                status=200, content_type="text/html",
                body="<!doctype html><title>Weather</title><p>Sunny, 21°C</p>"))
        await ctx.add_init_script(ATTENTION_PROBE)
        self.contexts.append(ctx)
        return ctx

    async def page(self, path: str = "/", **kwargs: Any) -> Page:
        ctx = await self.context(**kwargs)
        page = await ctx.new_page()
        page.on("pageerror", lambda exc: self.page_errors.append(f"{path}: {exc}"))
        # A Content-Security-Policy refusal is only a console message, but it breaks the page.
        page.on("console", lambda msg: self.page_errors.append(f"{path}: {msg.text}")
                if msg.type == "error" and "Content Security Policy" in msg.text else None)
        await page.goto(self.server.http_url + path)
        return page

    async def seeker(self, **kwargs: Any) -> Page:
        return await self.page("/", **kwargs)

    async def staff(self, role: str, username: str, alias: str, **kwargs: Any) -> Page:
        await self.server.add_staff(username, role, PASSWORD, alias=alias)
        page = await self.page("/helper" if role == "helper" else "/counselor", **kwargs)
        await page.get_by_test_id("login-username").fill(username)
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        # Signed in and welcomed: the presence line shows the server's state.
        await expect(page.get_by_test_id("presence")).not_to_be_empty()
        return page

    async def helper(self, username: str = "maple", alias: str = "Maple", available: bool = True,
                     **kwargs: Any) -> Page:
        page = await self.staff("helper", username, alias, **kwargs)
        if available:
            await page.get_by_test_id("available").set_checked(True)
            await expect(page.get_by_test_id("presence")).to_contain_text("Available")
        return page

    async def counselor(self, username: str = "cedar", alias: str = "Cedar", on_call: bool = True,
                        **kwargs: Any) -> Page:
        page = await self.staff("counselor", username, alias, **kwargs)
        if on_call:
            await page.get_by_test_id("on-call").set_checked(True)
            await expect(page.get_by_test_id("presence")).to_have_text("On call")
        return page

    @staticmethod
    async def ask(page: Page, topic: str | None = None, note: str | None = None) -> None:
        """The seeker asks for help, optionally with a topic and first words."""
        if topic:
            await page.get_by_test_id("topic").select_option(topic)
        if note:
            await page.get_by_test_id("note").fill(note)
        await page.get_by_test_id("request-help").click()

    @staticmethod
    async def say(page: Page, text: str) -> None:
        await page.get_by_test_id("composer").fill(text)
        await page.get_by_test_id("send").click()

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()


@pytest_asyncio.fixture(loop_scope="module")
async def people(browser: Browser, web_server: LiveServer) -> AsyncIterator[People]:
    crowd = People(browser, web_server)
    try:
        yield crowd
    finally:
        await crowd.close()
    assert not crowd.page_errors, crowd.page_errors
