"""The seeker page asks "how do you feel" (1–5) before the chat and again after it; both are
optional, sent on ``request`` and ``feedback``, and only counted (issue 19)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import expect

from server.core.stats import hour_of
from tests.timing import MS, WAIT

from .conftest import DESKTOP, People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE_390 = {"width": 390, "height": 844}


async def test_moods_before_and_after_a_chat_are_counted(people: People) -> None:
    seeker = await people.seeker()
    before = seeker.get_by_test_id("mood-before")
    await expect(before).to_contain_text("How do you feel right now? (optional)")
    await expect(before).to_contain_text("Only counted, anonymously")
    await seeker.get_by_test_id("mood_before-2").check()
    await people.ask(seeker, topic="mood")
    helper = await people.helper()
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")

    await seeker.get_by_test_id("leave").click()
    await expect(seeker.get_by_test_id("ended")).to_be_visible()
    await expect(seeker.get_by_test_id("mood-after")).to_contain_text("your mood now")
    await seeker.get_by_test_id("mood_after-4").check()
    await seeker.get_by_test_id("feedback-submit").click()
    await expect(seeker.get_by_test_id("feedback-thanks")).to_be_visible()
    await expect(helper.get_by_test_id("pane-ended")).to_be_visible()

    # The page thanks at once; the count follows the frame.
    store = people.server.runtime.insight.statistics.store
    deadline = time.monotonic() + WAIT
    while True:
        hour = hour_of(time.time())
        counts = (await store.read([hour]))[hour]
        moods = {k: v for k, v in counts.items() if re.fullmatch(r"m[ab]\d", k)}
        if moods == {"mb2": 1, "ma4": 1} or time.monotonic() > deadline:
            break
        await asyncio.sleep(50 * MS)
    assert moods == {"mb2": 1, "ma4": 1}

    # A fresh chat starts with no mood chosen.
    await seeker.get_by_test_id("new-chat").click()
    for n in range(1, 6):
        await expect(seeker.get_by_test_id(f"mood_before-{n}")).not_to_be_checked()


async def test_the_mood_question_reads_in_both_languages(people: People) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for locale, lang in (("en-US", "en"), ("zh-CN", "zh")):
        for name, viewport in (("phone", PHONE_390), ("desktop", DESKTOP)):
            seeker = await people.seeker(locale=locale, viewport=viewport)
            before = seeker.get_by_test_id("mood-before")
            await expect(before).to_contain_text(
                "How do you feel right now?" if lang == "en" else "你现在感觉怎么样？")
            await seeker.get_by_test_id("mood_before-3").check()
            # The choice stays when the language is switched.
            await seeker.locator("#lang-switch").click()
            await expect(seeker.get_by_test_id("mood_before-3")).to_be_checked()
            await seeker.locator("#lang-switch").click()
            await before.scroll_into_view_if_needed()
            await seeker.screenshot(path=str(SHOTS / f"seeker-mood-{name}-{lang}.png"))
