"""Screenshots of the three pages at phone (360 px) and desktop (1280 px) widths.

    python -m tests.browser.make_screenshots [--out docs/screenshots]

Starts a real server on the embedded Redis (as the tests do), plays a short conversation with
a crisis in it, and saves what each person sees. Chinese text needs a CJK font installed
(Debian: fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from server.store.embedded import start_embedded
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD, PHONE
from tests.conftest import run_server

CRISIS = "I have the pills ready and I'm going to take them all tonight. I want to kill myself."


async def shoot(page: Page, out: Path, name: str) -> None:
    """Save `name`-phone.png and `name`-desktop.png from the same page."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(150)
        await page.screenshot(path=str(out / f"{name}-{label}.png"))
    await page.set_viewport_size(DESKTOP)


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peerline-shots-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            async with run_server(redis.url, seeker_grace_s=60.0, helper_grace_s=60.0) as server:
                await play(server, out)
        finally:
            redis.stop()


async def login(browser, server, role: str, username: str, alias: str) -> Page:  # type: ignore[no-untyped-def]
    await server.add_staff(username, role, PASSWORD, alias=alias)
    ctx = await browser.new_context(locale="en-US", viewport=DESKTOP)
    page = await ctx.new_page()
    await page.goto(server.http_url + ("/helper" if role == "helper" else "/counselor"))
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("presence")).not_to_be_empty()
    return page


async def play(server, out: Path) -> None:  # type: ignore[no-untyped-def]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        counselor = await login(browser, server, "counselor", "cedar", "Cedar")
        await counselor.get_by_test_id("on-call").set_checked(True)
        helper = await login(browser, server, "helper", "maple", "Maple")

        seeker = await (await browser.new_context(locale="en-US", viewport=DESKTOP)).new_page()
        await seeker.goto(server.http_url + "/")
        await shoot(seeker, out, "seeker-start")
        zh = await (await browser.new_context(locale="zh-CN", viewport=PHONE)).new_page()
        await zh.goto(server.http_url + "/")
        await zh.screenshot(path=str(out / "seeker-start-zh-phone.png"))

        await seeker.get_by_test_id("topic").select_option("academic")
        await seeker.get_by_test_id("note").fill("Finals are next week and I can't sleep")
        await seeker.get_by_test_id("request-help").click()
        await expect(seeker.get_by_test_id("self-help-item").first).to_be_visible()
        await shoot(seeker, out, "seeker-waiting")

        await helper.get_by_test_id("capacity").fill("3")
        await helper.get_by_test_id("capacity").dispatch_event("change")
        await helper.get_by_test_id("available").set_checked(True)
        await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
        lines = [
            (helper, "Hi, I'm Maple. I'm a student too. What's keeping you up?"),
            (seeker, "Finals. I feel like everyone else has it together and I don't."),
            (helper, "That sounds exhausting. How long has it been like this?"),
            (seeker, "A few weeks. I haven't told anyone."),
        ]
        for page, text in lines:
            await page.get_by_test_id("composer").fill(text)
            await page.get_by_test_id("send").click()
            await expect(seeker.get_by_test_id("messages")).to_contain_text(text)
        await helper.wait_for_timeout(3100)  # typing frames go at most every 3 s
        await helper.get_by_test_id("composer").press_sequentially("Thank you for")
        await expect(seeker.get_by_test_id("typing")).to_be_visible()
        await shoot(seeker, out, "seeker-chat")

        # A second seeker, in Chinese, for the helper's list.
        await zh.get_by_test_id("topic").select_option("family")
        await zh.get_by_test_id("note").fill("和父母吵架了")
        await zh.get_by_test_id("request-help").click()
        await expect(zh.get_by_test_id("chat-with")).to_be_visible()
        await zh.get_by_test_id("composer").fill("你好，在吗？")
        await zh.get_by_test_id("send").click()

        await helper.get_by_test_id("composer").fill("")
        await seeker.get_by_test_id("composer").fill(CRISIS)
        await seeker.get_by_test_id("send").click()
        await expect(seeker.get_by_test_id("resources")).to_be_visible()
        await seeker.evaluate("window.scrollTo(0, 0)")
        await shoot(seeker, out, "seeker-resources")
        await expect(helper.get_by_test_id("flag")).to_be_visible()
        await shoot(helper, out, "helper")

        await expect(counselor.get_by_test_id("alert")).to_be_visible()
        await counselor.wait_for_timeout(2200)  # a visible "waiting 0:02"
        await shoot(counselor, out, "counselor-alert")
        await counselor.get_by_test_id("claim").click()
        await expect(counselor.get_by_test_id("messages")).to_contain_text("pills")
        await counselor.get_by_test_id("composer").fill(
            "Hello, I'm Cedar, a counselor. I'm glad you told us. Are you safe right now?")
        await counselor.get_by_test_id("send").click()
        await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Cedar")
        await shoot(counselor, out, "counselor-session")
        await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
