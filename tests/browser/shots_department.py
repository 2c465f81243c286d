"""Screenshots of the seeker's start page with the optional department choice (issue 19):
phone (390x844) and desktop (1280x800), in en and zh.

    python -m tests.browser.shots_department [--out docs/screenshots]

Starts a real server on the embedded Redis, as the tests do, with three departments defined.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from server.store.embedded import start_embedded
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.conftest import LiveServer, run_server
from tests.timing import playwright_ms

PHONE = {"width": 390, "height": 844}
DEPARTMENTS = [("cs", "计算机学院", "Computer Science"), ("law", "法学院", "Law"),
               ("med", "医学院", "Medicine")]


async def play(server: LiveServer, out: Path) -> None:
    for dept, zh, en in DEPARTMENTS:
        await server.runtime.network.departments.add(dept, zh, en)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for locale, suffix in (("en-US", ""), ("zh-CN", "-zh")):
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                ctx = await browser.new_context(locale=locale, viewport=viewport)
                page = await ctx.new_page()
                await page.goto(server.http_url + "/")
                field = page.get_by_test_id("department-field")
                await expect(field).to_be_visible()
                # The form from its top, below the sticky header.
                await page.locator("#request-form").evaluate(
                    "node => window.scrollTo(0, node.getBoundingClientRect().top"
                    " + window.scrollY - 80)")
                await page.wait_for_timeout(playwright_ms(200))
                await page.screenshot(path=str(out / f"seeker-department{suffix}-{size}.png"))
                await ctx.close()
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    asyncio.run(main(parser.parse_args().out))
