"""A phone screenshot (390x844) of the seeker's "Block this helper" confirmation.

    python -m tests.browser.shots_seeker_block [--out docs/screenshots]

Starts a real server on the embedded Redis, as the tests do, and plays a short conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright, expect

from server.store.embedded import start_embedded
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.shots_inside_chat import PHONE, login, say
from tests.conftest import LiveServer, run_server
from tests.timing import playwright_ms


async def play(server: LiveServer, out: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        maple = await login(browser, server, "helper", "maple", "Maple")
        await maple.get_by_test_id("available").set_checked(True)
        await expect(maple.get_by_test_id("presence")).to_contain_text("Available")

        ctx = await browser.new_context(locale="en-US", viewport=PHONE)
        seeker = await ctx.new_page()
        await seeker.goto(server.http_url + "/")
        await seeker.get_by_test_id("note").fill("I wanted to talk about my roommate")
        await seeker.get_by_test_id("request-help").click()
        await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
        for page, text in [
            (maple, "Hi, I'm Maple. What's going on?"),
            (seeker, "My roommate and I keep fighting."),
            (maple, "Honestly that sounds like your fault."),
        ]:
            await say(page, text)
            await expect(seeker.get_by_test_id("messages")).to_contain_text(text)
        await seeker.get_by_test_id("block-helper").click()
        await expect(seeker.get_by_test_id("block-cancel")).to_be_focused()
        await seeker.get_by_test_id("block-box").evaluate(
            "node => node.scrollIntoView({block: 'end'})")
        await seeker.wait_for_timeout(playwright_ms(200))
        await seeker.screenshot(path=str(out / "seeker-block-confirm-phone.png"))
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
