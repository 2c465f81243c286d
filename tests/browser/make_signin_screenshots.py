"""Screenshots of the consoles' sign-in: the campus button (English and Chinese), the
second-factor code, enrolment with the QR code, the recovery codes, and the set-up dialog of a
signed-in helper; phone (390x844) and desktop (1280x800).

    python -m tests.browser.make_signin_screenshots [--out docs/screenshots]

Starts a real server on the embedded Redis and a real OpenID provider on loopback
(tests/idp.py), as the tests do. Chinese text needs a CJK font (fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

from server.store.embedded import start_embedded
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD
from tests.conftest import LiveServer, run_server
from tests.idp import CLIENT_ID, CLIENT_SECRET, oidc_provider
from tests.integration.test_totp import code_at

PHONE = {"width": 390, "height": 844}


async def shoot(page: Page, out: Path, name: str) -> None:
    """`name`-desktop.png and `name`-phone.png of the same page (the phone one full length)."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(200)
        await page.screenshot(path=str(out / f"{name}-{label}.png"), full_page=label == "phone")
    await page.set_viewport_size(DESKTOP)


async def open_page(browser: Browser, live: LiveServer, path: str, locale: str = "en-US") -> Page:
    ctx = await browser.new_context(locale=locale, viewport=DESKTOP)
    page = await ctx.new_page()
    await page.goto(live.http_url + path)
    return page


async def password(page: Page, username: str) -> None:
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


async def play(browser: Browser, live: LiveServer, out: Path) -> None:
    await live.add_staff("cedar", "counselor", PASSWORD, alias="Cedar")
    await live.add_staff("birch", "counselor", PASSWORD, alias="Birch")
    await live.add_staff("maple", "helper", PASSWORD, alias="Maple")

    for lang, locale in (("en", "en-US"), ("zh", "zh-CN")):
        page = await open_page(browser, live, "/counselor", locale)
        await expect(page.get_by_test_id("campus-oidc")).to_be_visible()
        await shoot(page, out, f"staff-login-campus-{lang}")
        await page.context.close()

    # cedar already has a factor: the code step.
    started = await live.runtime.signin.begin_enrolment("cedar")
    await live.runtime.signin.confirm_enrolment("cedar", code_at(started.secret), attempt="shot")
    page = await open_page(browser, live, "/counselor")
    await password(page, "cedar")
    await page.get_by_test_id("login-otp").fill("12345")
    await shoot(page, out, "staff-login-otp")
    await page.context.close()

    # birch must enrol (counselors are required to): the QR code, then the recovery codes.
    page = await open_page(browser, live, "/counselor")
    await password(page, "birch")
    await expect(page.get_by_test_id("enrol-qr")).to_be_visible()
    await shoot(page, out, "staff-enrol-qr")
    secret = (await page.get_by_test_id("enrol-secret").inner_text()).replace(" ", "")
    await page.get_by_test_id("enrol-code").fill(code_at(secret))
    await page.get_by_test_id("enrol-confirm").click()
    await expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    await shoot(page, out, "staff-enrol-recovery")
    await page.context.close()

    # maple (a helper, not required) chooses a factor from the console.
    page = await open_page(browser, live, "/helper")
    await password(page, "maple")
    await expect(page.get_by_test_id("twofa-open")).to_be_visible()
    await shoot(page, out, "helper-twofa-offer")
    await page.get_by_test_id("twofa-open").click()
    await expect(page.get_by_test_id("enrol-qr")).to_be_visible()
    await shoot(page, out, "helper-twofa-dialog")
    await page.context.close()


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peerline-shots-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            async with oidc_provider() as idp, run_server(
                    redis.url, oidc_issuer=idp.url, oidc_client_id=CLIENT_ID,
                    oidc_client_secret=CLIENT_SECRET, campus_name="统一身份认证",
                    totp_required_roles="counselor") as live, async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    await play(browser, live, out)
                finally:
                    await browser.close()
        finally:
            redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
