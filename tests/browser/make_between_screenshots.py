"""Screenshots of the between-chats pages at phone (390x844) and desktop (1280x800) widths.

    python -m tests.browser.make_between_screenshots [--out docs/screenshots]

Starts a real server on the embedded Redis, fills it through the public HTTP API and the pages
themselves (a story submitted and published, a diary with a few days), and saves what students
and counselors see.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

from server.core.between import secret_digest
from server.core.diary import days_back
from server.store.embedded import start_embedded
from tests.between import call
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.conftest import LiveServer, run_server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


async def shoot(page: Page, out: Path, name: str, testid: str | None = None,
                scroll_to: str | None = None) -> None:
    """The page (or, with ``testid``, that part of it; or the screen from ``scroll_to`` down)
    at both widths."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(200)
        path = str(out / f"{name}-{label}.png")
        if testid:
            # The sticky top bar would cover the top of a part scrolled into view.
            await page.evaluate("document.querySelector('.topbar').style.position = 'static'")
            await page.get_by_test_id(testid).screenshot(path=path)
        elif scroll_to:
            await page.evaluate("document.querySelector('.topbar').style.position = 'static'")
            await page.get_by_test_id(scroll_to).evaluate("n => n.scrollIntoView()")
            await page.screenshot(path=path)
        else:
            await page.screenshot(path=path)


async def open_page(browser: Browser, server: LiveServer, path: str) -> Page:
    ctx = await browser.new_context(locale="en-US", viewport=DESKTOP)
    page = await ctx.new_page()
    await page.goto(server.http_url + path)
    return page


async def play(server: LiveServer, out: Path) -> None:
    url = server.http_url
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        page = await open_page(browser, server, "/library")
        await expect(page.get_by_test_id("lib-card").first).to_be_visible()
        await shoot(page, out, "library")
        await page.goto(url + "/library#item=exam-pressure-en")
        await expect(page.get_by_test_id("item-body")).to_be_visible()
        await shoot(page, out, "library-article")
        await page.goto(url + "/library#item=calm-course-en")
        await page.get_by_test_id("course-next").click()
        await shoot(page, out, "library-course")
        ctx = await browser.new_context(locale="zh-CN", viewport=PHONE)
        zh = await ctx.new_page()
        await zh.goto(url + "/library")
        await expect(zh.get_by_test_id("lib-card").first).to_be_visible()
        await zh.screenshot(path=str(out / "library-zh-phone.png"))

        for text, title in (
            ("In my first term I felt lost and homesick. I joined the hiking club, and the long "
             "walks and the talks on the way slowly made the campus feel like home.",
             "How the hiking club saved my first term"),
            ("I failed an exam I had studied hard for. I told my tutor, we made a plan, and I "
             "passed the resit. Failing once does not make you a failure.", "Failing, then not"),
        ):
            status, body = await call("POST", url + "/api/stories",
                                      {"title": title, "text": text, "topic": "academic",
                                       "lang": "en"})
            assert status == 201, body
        await call("POST", url + "/api/stories",
                   {"title": "Tonight", "lang": "en", "topic": "mood",
                    "text": "I have the pills ready and I'm going to take them all tonight."})
        token = await server.staff_token("oak", "counselor")
        await server.add_staff("cedar", "counselor", PASSWORD, alias="Cedar")
        queue = (await call("GET", url + "/api/stories/review", token=token))[1]["items"]
        for story in queue:
            if story["severity"] < 3:
                await call("POST", f"{url}/api/stories/{story['id']}/decision",
                           {"decision": "approve"}, token=token)
                await call("POST", f"{url}/api/stories/{story['id']}/react",
                           {"reaction": "hug"})

        page = await open_page(browser, server, "/stories")
        await expect(page.get_by_test_id("story").first).to_be_visible()
        await page.get_by_test_id("story").first.get_by_test_id("story-open").click()
        await shoot(page, out, "stories")
        await page.get_by_test_id("story-title").fill("Learning to ask for help")
        await page.get_by_test_id("story-text").fill(
            "For a long time I thought asking for help meant I was weak. It did not.")
        await page.get_by_test_id("story-submit").click()
        await expect(page.get_by_test_id("story-receipt")).not_to_be_empty()
        await page.get_by_test_id("story-sent").scroll_into_view_if_needed()
        await shoot(page, out, "stories-receipt")

        page = await open_page(browser, server, "/")
        diary = page.get_by_test_id("diary")
        await diary.get_by_test_id("diary-mood-3").check()
        await diary.get_by_test_id("diary-tag-study").check()
        await diary.get_by_test_id("diary-save").click()
        await expect(diary.get_by_test_id("diary-status")).to_have_text("Saved for today.")
        key = await page.evaluate("sessionStorage.getItem('peerline.diary')")
        moods = [4, 4, 3, 5, 4, 3, 3, 2, 4, 3, 2, 2]
        for day, mood in zip(days_back(time.time(), 16)[2:], moods, strict=False):
            await server.runtime.between.diary.store.put(
                secret_digest(key), day, {"mood": mood, "tags": [], "note": "", "ts": 0})
        await page.reload()
        await expect(page.locator("[data-testid=diary-chart] rect[data-mood]")).to_have_count(13)
        await shoot(page, out, "seeker-diary", "diary")
        check = page.get_by_test_id("selfcheck")
        await check.get_by_test_id("check-phq9").click()
        await check.get_by_test_id("check-9-1").check()
        await shoot(page, out, "seeker-phq9-item9", scroll_to="check-item-9")

        page = await open_page(browser, server, "/counselor")
        await page.get_by_test_id("login-username").fill("cedar")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("presence")).not_to_be_empty()
        await page.get_by_test_id("tab-stories").click()
        await expect(page.get_by_test_id("cur-story").first).to_be_visible()
        await shoot(page, out, "console-stories")
        await page.get_by_test_id("tab-library").click()
        await page.get_by_test_id("cur-item").first.get_by_test_id("cur-edit").click()
        await page.get_by_test_id("cur-preview-btn").click()
        await shoot(page, out, "console-library")
        await page.get_by_test_id("tab-stats").click()
        await expect(page.get_by_test_id("cur-stats-weeks")).to_be_visible()
        await shoot(page, out, "console-stats")
        await browser.close()


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="peerline-shots-") as tmp:
        redis = start_embedded(Path(tmp))
        try:
            async with run_server(redis.url) as server:
                await play(server, out)
        finally:
            redis.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
