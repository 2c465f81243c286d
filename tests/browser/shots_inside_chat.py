"""Screenshots of the consoles inside the chat (supervision, whispers, staff notes, approved
replies, transfer), at desktop (1280x800) and phone (390x844) sizes, in English and Chinese.

    python -m tests.browser.shots_inside_chat [--out docs/screenshots]

Starts a real server on the embedded Redis, as the tests do, and plays a short conversation.
Chinese text needs a CJK font installed (Debian: fonts-wqy-microhei or fonts-noto-cjk).
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
from tests.timing import playwright_ms

PHONE = {"width": 390, "height": 844}


async def shoot(page: Page, out: Path, name: str, show: str | None = None) -> None:
    """Save `name`-desktop.png and `name`-phone.png from the same page (on the phone, scrolled
    so that the element with test id `show` is in view)."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(playwright_ms(200))
        if show and label == "phone":
            await page.get_by_test_id(show).evaluate(
                "node => node.scrollIntoView({block: 'end'})")
            await page.wait_for_timeout(playwright_ms(100))
        await page.screenshot(path=str(out / f"{name}-{label}.png"))
    await page.set_viewport_size(DESKTOP)


async def login(browser: Browser, server: LiveServer, role: str, username: str,
                alias: str) -> Page:
    await server.add_staff(username, role, PASSWORD, alias=alias)
    ctx = await browser.new_context(locale="en-US", viewport=DESKTOP)
    page = await ctx.new_page()
    await page.goto(server.http_url + ("/helper" if role == "helper" else "/counselor"))
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("presence")).not_to_be_empty()
    return page


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("composer").fill(text)
    await page.get_by_test_id("send").click()


async def play(server: LiveServer, out: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cedar = await login(browser, server, "counselor", "cedar", "Cedar")
        await cedar.get_by_test_id("on-call").set_checked(True)
        maple = await login(browser, server, "helper", "maple", "Maple")
        await maple.get_by_test_id("available").set_checked(True)
        await expect(maple.get_by_test_id("presence")).to_contain_text("Available")
        await maple.locator("#prefs summary").click()  # folded, as a helper would mid-shift

        seeker = await (await browser.new_context(locale="en-US", viewport=DESKTOP)).new_page()
        await seeker.goto(server.http_url + "/")
        await seeker.get_by_test_id("topic").select_option("academic")
        await seeker.get_by_test_id("note").fill("Finals are next week and I can't sleep")
        await seeker.get_by_test_id("request-help").click()
        await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
        for page, text in [
            (maple, "Hi, I'm Maple. I'm a student too. What's keeping you up?"),
            (seeker, "Finals. I feel like everyone else has it together and I don't."),
            (maple, "That sounds exhausting. How long has it been like this?"),
            (seeker, "A few weeks. I haven't told anyone."),
        ]:
            await say(page, text)
            await expect(seeker.get_by_test_id("messages")).to_contain_text(text)

        # The counselor watches silently and coaches the helper.
        await expect(cedar.get_by_test_id("active-session")).to_be_visible()
        await cedar.get_by_test_id("monitor").click()
        await expect(cedar.get_by_test_id("monitoring-badge")).to_be_visible()
        await say(cedar, "Nice pacing. Ask how she's sleeping, and whether anyone knows.")
        await expect(maple.get_by_test_id("whisper")).to_be_visible()
        await maple.get_by_test_id("whisper-mode").check()
        await say(maple, "Will do — thanks.")
        await maple.get_by_test_id("whisper-mode").uncheck()
        await maple.get_by_test_id("staff-notes-toggle").click()
        await maple.get_by_test_id("note-text").fill(
            "Exams next week; hasn't told anyone; sleep poor for weeks.")
        await maple.get_by_test_id("note-save").click()
        await expect(maple.get_by_test_id("staff-note")).to_be_visible()
        await expect(cedar.get_by_test_id("whisper").last).to_contain_text("thanks")
        await shoot(maple, out, "helper-supervised")
        await shoot(cedar, out, "counselor-monitor", show="composer")

        # Approved replies in the helper's composer.
        await maple.get_by_test_id("staff-notes-toggle").click()
        await maple.get_by_test_id("composer").focus()
        await maple.get_by_test_id("composer").press("/")
        await expect(maple.get_by_test_id("canned-item").first).to_be_visible()
        await shoot(maple, out, "helper-canned", show="composer")
        await maple.keyboard.press("Escape")

        # The transfer form, then the console in Chinese.
        if await maple.locator("#prefs").get_attribute("open") is not None:
            await maple.locator("#prefs summary").click()
        await maple.get_by_test_id("transfer").click()
        await maple.get_by_test_id("transfer-note").fill("Gentle pace works; ask about sleep.")
        await shoot(maple, out, "helper-transfer", show="transfer-form")
        await maple.get_by_test_id("transfer").click()
        await maple.get_by_test_id("lang-switch").click()
        await maple.get_by_test_id("staff-notes-toggle").click()
        await shoot(maple, out, "helper-supervised-zh")

        # The counselor's approved replies, in English and Chinese.
        await cedar.get_by_test_id("canned-manage").click()
        await expect(cedar.get_by_test_id("canned-row").first).to_be_visible()
        await cedar.get_by_test_id("canned-row").first.get_by_test_id("canned-edit").click()
        await shoot(cedar, out, "counselor-canned")
        await cedar.get_by_test_id("lang-switch").click()
        await shoot(cedar, out, "counselor-canned-zh")
        await browser.close()


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peerline-shots-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            async with run_server(redis.url, seeker_grace_s=60.0, helper_grace_s=60.0) as server:
                await play(server, out)
        finally:
            redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
