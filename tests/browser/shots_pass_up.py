"""Screenshots of pass_up in the counselor console (issue 19), phone (390x844) and desktop
(1280x800): the department counselor's pass-up form, and the centre counselor's passed-up
alert.

    python -m tests.browser.shots_pass_up [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

from server.store.embedded import start_embedded
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD
from tests.browser.shots_inside_chat import login, say, shoot
from tests.conftest import LiveServer, run_server

CRISIS = "I have the pills ready and I'm going to take them all tonight. I want to kill myself."


async def department_counselor(browser: Browser, server: LiveServer) -> Page:
    await server.runtime.staff.add("ada", "counselor", PASSWORD, alias="Ada",
                                   level="department", department="cs")
    ctx = await browser.new_context(locale="en-US", viewport=DESKTOP)
    page = await ctx.new_page()
    await page.goto(server.http_url + "/counselor")
    await page.get_by_test_id("login-username").fill("ada")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("presence")).not_to_be_empty()
    return page


async def play(server: LiveServer, out: Path) -> None:
    await server.runtime.network.departments.add("cs", "计算机学院", "Computer Science")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ada = await department_counselor(browser, server)
        cedar = await login(browser, server, "counselor", "cedar", "Cedar")
        maple = await login(browser, server, "helper", "maple", "Maple")
        for page in (ada, cedar):
            await page.get_by_test_id("on-call").set_checked(True)
            await expect(page.get_by_test_id("presence")).to_have_text("On call")
        await maple.get_by_test_id("available").set_checked(True)
        await expect(maple.get_by_test_id("presence")).to_contain_text("Available")

        ctx = await browser.new_context(locale="en-US", viewport=DESKTOP)
        seeker = await ctx.new_page()
        await seeker.goto(server.http_url + "/")
        await seeker.get_by_test_id("department").select_option("cs")
        await seeker.get_by_test_id("request-help").click()
        await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
        await say(maple, "Hi, I'm Maple. What's going on?")
        await say(seeker, CRISIS)

        await ada.get_by_test_id("alert").get_by_test_id("claim").click()
        await expect(ada.get_by_test_id("messages")).to_contain_text(CRISIS)
        await say(ada, "Hi, I'm Ada from your department's student office. I'm here.")
        await ada.get_by_test_id("pass-up").click()
        await ada.get_by_test_id("passup-reason").fill(
            "Talks of a plan for tonight: needs a centre counselor")
        await shoot(ada, out, "counselor-passup-form", show="passup-form")
        await ada.get_by_test_id("passup-submit").click()
        passed = cedar.get_by_test_id("alert")
        await expect(passed.get_by_test_id("alert-passed-up")).to_be_visible()
        await shoot(cedar, out, "counselor-passed-up-alert", show="alert")
        await browser.close()


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peerline-shots-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            async with run_server(redis.url, seeker_grace_s=60.0, helper_grace_s=60.0,
                                  tier_timeout_s=600.0) as server:
                await play(server, out)
        finally:
            redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
