"""A crisis message pages the on-call counselors; one claims it, joins, takes over, resolves."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.timing import playwright_ms

from .conftest import People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

CRISIS = "I have the pills ready and I'm going to take them all tonight. I want to kill myself."


async def test_crisis_message_is_claimed_by_one_counselor_who_joins(people: People) -> None:
    cedar = await people.counselor("cedar", "Cedar")
    birch = await people.counselor("birch", "Birch")
    helper = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker, topic="mood", note="everything is too much")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await people.say(helper, "Hi, I'm Maple. I'm listening.")
    await people.say(seeker, CRISIS)

    # The seeker is shown crisis resources at once, prominently; never the flag itself.
    resources = seeker.get_by_test_id("resources")
    await expect(resources).to_be_visible()
    await expect(resources.get_by_test_id("resource").first).to_be_visible()
    assert await seeker.get_by_test_id("flag").count() == 0

    # The helper sees the flag on that very message.
    flagged = helper.get_by_test_id("message").filter(has_text=CRISIS)
    await expect(flagged.get_by_test_id("flag")).to_contain_text("Crisis")
    await expect(flagged).to_have_attribute("data-severity", "3")

    # Both counselors are paged: excerpt, severity, time waiting; the title flashes.
    for page in (cedar, birch):
        alert = page.get_by_test_id("alert")
        await expect(alert).to_have_count(1)
        await expect(alert.get_by_test_id("alert-excerpt")).to_contain_text("pills")
        await expect(alert.get_by_test_id("alert-severity")).to_contain_text("3")
        await expect(alert.get_by_test_id("alert-waiting")).to_contain_text("waiting 0:")
    await expect(cedar).to_have_title("⚠ ALERT — a student needs a counselor",
                                      timeout=playwright_ms(3_000))
    notes = await cedar.evaluate("window.__notes.map(n => n.title + ': ' + n.body)")
    assert any(n.startswith("ALERT") and "pills" in n for n in notes), notes
    assert await cedar.evaluate("window.__beeps") > 0

    # Cedar claims; Birch sees it taken; Cedar is in the session with the whole transcript.
    await cedar.get_by_test_id("claim").click()
    await expect(birch.get_by_test_id("alert").get_by_test_id("alert-state")).to_have_text(
        "Claimed by another counselor")
    await expect(birch.get_by_test_id("claim")).to_have_count(0)
    await expect(cedar.get_by_test_id("alert").get_by_test_id("alert-state")).to_have_text("Yours")
    await expect(cedar.get_by_test_id("session")).to_have_count(1)
    transcript = cedar.get_by_test_id("messages")
    await expect(transcript).to_contain_text("I'm listening")
    await expect(transcript).to_contain_text(CRISIS)
    await expect(cedar.get_by_test_id("message").filter(has_text=CRISIS).get_by_test_id("flag")
                 ).to_contain_text("Crisis")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")
    await expect(helper.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")
    await expect(cedar).to_have_title("Peerline · counselor console")  # stopped flashing

    # The counselor talks to both.
    await people.say(cedar, "Hello, I'm Cedar, a counselor. I'm here with you now.")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Cedar")
    await expect(helper.get_by_test_id("messages")).to_contain_text("I'm Cedar")

    # Takeover: the helper is thanked and leaves; the chat goes on with the counselor.
    await cedar.get_by_test_id("takeover").click()
    await expect(helper.get_by_test_id("pane-ended")).to_contain_text("A counselor took over")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("The counselor is continuing")
    await expect(seeker.get_by_test_id("chat-with")).to_have_text(
        "You’re talking with Cedar, a counselor.")
    await expect(cedar.get_by_test_id("takeover")).to_have_count(0)
    await people.say(seeker, "ok. thank you")
    await expect(cedar.get_by_test_id("messages")).to_contain_text("ok. thank you")

    # Resolve with an outcome; every on-call counselor learns it.
    await cedar.get_by_test_id("resolve").click()
    await cedar.get_by_test_id("resolve-outcome").select_option("referred")
    await cedar.get_by_test_id("resolve-submit").click()
    await expect(cedar.get_by_test_id("alert").get_by_test_id("alert-state")).to_have_text(
        "Alert resolved: Referred")
    await expect(birch.get_by_test_id("alert").get_by_test_id("alert-state")).to_have_text(
        "Alert resolved: Referred")

    # When the chat ends, the helper who had the crisis gets a cooldown and may skip it.
    await seeker.get_by_test_id("leave").click()
    await expect(cedar.get_by_test_id("pane-ended")).to_be_visible()
    cooldown = helper.get_by_test_id("cooldown")
    await expect(cooldown).to_contain_text("Take a breather")
    await helper.get_by_test_id("skip-cooldown").click()
    await expect(cooldown).to_be_hidden()
    await expect(helper.get_by_test_id("presence")).to_contain_text("Available")


async def test_helper_escalates_with_a_reason(people: People) -> None:
    cedar = await people.counselor()
    helper = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker)
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "things at home are getting scary")
    await expect(helper.get_by_test_id("messages")).to_contain_text("getting scary")

    await helper.get_by_test_id("escalate").click()
    await helper.get_by_test_id("escalate-reason").fill("worried about safety at home")
    await helper.get_by_test_id("escalate-send").click()
    await expect(helper.get_by_test_id("messages")).to_contain_text("A counselor has been alerted")
    alert = cedar.get_by_test_id("alert")
    await expect(alert).to_contain_text("worried about safety at home")
    await alert.get_by_test_id("claim").click()
    await expect(cedar.get_by_test_id("messages")).to_contain_text("getting scary")
    await expect(helper.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")


async def test_counselor_looks_in_on_a_watched_session(people: People) -> None:
    cedar = await people.counselor()
    await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker)
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "everyone would be better off without me")

    # Concern (severity 2) does not page: it goes on the watch list.
    item = cedar.get_by_test_id("watch-item")
    await expect(item).to_contain_text("better off without me")
    assert await cedar.get_by_test_id("alert").count() == 0
    await item.get_by_test_id("look-in").click()
    await expect(cedar.get_by_test_id("session")).to_have_count(1)
    await expect(cedar.get_by_test_id("messages")).to_contain_text("better off without me")
    await expect(cedar.get_by_test_id("watch-item")).to_have_count(0)
    await expect(seeker.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")
