"""A seeker and a helper, each in their own browser, find each other and talk."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from .conftest import People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

HOSTILE = ('<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
           '<b>bold?</b> & "quotes"')


async def test_seeker_and_helper_are_matched_and_talk(people: People) -> None:
    seeker = await people.seeker()
    await expect(seeker.get_by_test_id("not-emergency")).to_contain_text("not an emergency service")

    # Keyboard only: tab to the button and press Enter. No helper is online yet: say so honestly.
    await seeker.get_by_test_id("topic").select_option("academic")
    await seeker.get_by_test_id("note").fill("exams are crushing me")
    await seeker.get_by_test_id("request-help").focus()
    await seeker.keyboard.press("Enter")
    status = seeker.get_by_test_id("queue-status")
    await expect(status).to_contain_text("You are next in line")
    await expect(status).to_contain_text("No peer helper is online right now")
    await expect(seeker.get_by_test_id("self-help-item").first).to_be_visible()

    helper = await people.helper()
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await expect(status).to_be_hidden()
    tab = helper.get_by_test_id("session")
    await expect(tab).to_have_count(1)
    await expect(helper.get_by_test_id("pane-note")).to_contain_text("exams are crushing me")
    await expect(helper.get_by_test_id("pane-topic")).to_contain_text("Studies")
    # A new chat rings and notifies, with the seeker's first words.
    notes = await helper.evaluate("window.__notes.map(n => n.title + ': ' + n.body)")
    assert any(n.startswith("New chat") and "exams" in n for n in notes), notes
    assert await helper.evaluate("window.__beeps") > 0
    await expect(helper.get_by_test_id("presence")).to_contain_text("1 of")

    # Seeker → helper, marked delivered once the server acknowledged it.
    await people.say(seeker, "hi, is anyone there?")
    await expect(helper.get_by_test_id("messages")).to_contain_text("hi, is anyone there?")
    own = seeker.get_by_test_id("message").filter(has_text="hi, is anyone there?")
    await expect(own).to_have_attribute("data-state", "delivered")
    await expect(own.get_by_test_id("message-status")).to_have_text("Delivered")

    # Typing shows on the other side.
    await helper.get_by_test_id("composer").press_sequentially("I'm")
    await expect(seeker.get_by_test_id("typing")).to_contain_text("Maple is typing")
    await helper.get_by_test_id("composer").fill("I'm here. What's going on?")
    await helper.get_by_test_id("composer").press("Enter")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm here. What's going on?")
    await expect(seeker.get_by_test_id("typing")).to_be_hidden()

    # HTML and script from either side are shown as text, never run or parsed.
    await people.say(seeker, HOSTILE)
    await people.say(helper, "<a href='javascript:alert(1)'>click</a>")
    for page, text in ((helper, HOSTILE), (seeker, "<a href='javascript:alert(1)'>click</a>")):
        shown = page.get_by_test_id("message").filter(has_text=text).locator(".msg__text")
        await expect(shown).to_have_text(text)
        markup = page.locator(".messages img, .messages script, .messages b, .messages a")
        assert await markup.count() == 0
        assert await page.evaluate("window.__pwned") is None

    # The seeker ends the chat; the helper is told; the seeker may leave feedback.
    await seeker.get_by_test_id("leave").click()
    await expect(seeker.get_by_test_id("ended")).to_be_visible()
    await expect(helper.get_by_test_id("pane-ended")).to_contain_text("The student ended the chat")
    await expect(tab).to_have_attribute("data-ended", "true")
    await seeker.get_by_test_id("rating-4").check()
    await seeker.get_by_test_id("feeling-better").check()
    await seeker.get_by_test_id("feedback-submit").click()
    await expect(seeker.get_by_test_id("feedback-thanks")).to_be_visible()
    services = people.server.runtime
    feedback = await services.redis.lrange(services.keys.feedback, 0, -1)
    assert [row.decode().split("|")[1:3] for row in feedback] == [["4", "better"]]

    # And can start again, in the same tab, with a fresh conversation.
    await seeker.get_by_test_id("new-chat").click()
    await people.ask(seeker, note="me again")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await expect(seeker.get_by_test_id("message")).to_have_count(0)
    await expect(tab).to_have_count(2)


async def test_chinese_by_default_and_switchable(people: People) -> None:
    seeker = await people.seeker(locale="zh-CN")
    await expect(seeker.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(seeker.get_by_test_id("request-help")).to_have_text("找人聊聊")
    await expect(seeker.get_by_test_id("quick-exit")).to_have_text("快速离开")
    await seeker.get_by_test_id("lang-switch").click()
    await expect(seeker.get_by_test_id("request-help")).to_have_text("Talk to someone")

    # Crisis numbers are one tap away, before anything else.
    await seeker.get_by_test_id("crisis-help").click()
    panel = seeker.get_by_test_id("crisis-panel")
    await expect(panel).to_be_visible()
    first = panel.get_by_test_id("resource").first
    await expect(first.locator("a[href^='tel:']")).to_be_visible()
    await seeker.keyboard.press("Escape")
    await expect(panel).to_be_hidden()


async def test_helper_with_several_chats_sees_unread_counts(people: People) -> None:
    helper = await people.helper()
    await helper.get_by_test_id("capacity").fill("2")
    await helper.get_by_test_id("capacity").dispatch_event("change")
    await expect(helper.get_by_test_id("presence")).to_contain_text("of 2")
    first = await people.seeker()
    await people.ask(first, note="first")
    second = await people.seeker()
    await people.ask(second, note="second")
    await expect(helper.get_by_test_id("session")).to_have_count(2)
    await expect(second.get_by_test_id("chat-with")).to_be_visible()

    # The first chat stays selected; the new one counts as unread, and so does what it missed.
    tabs = helper.get_by_test_id("session")
    await expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")
    await expect(tabs.nth(1).get_by_test_id("unread")).to_have_text("1")
    await people.say(second, "are you there?")
    await people.say(second, "hello?")
    await expect(tabs.nth(1).get_by_test_id("unread")).to_have_text("3")
    await expect(helper).to_have_title(re.compile(r"^\(3\) "))
    # Keyboard: arrow keys move between conversations (the tabs pattern).
    await tabs.nth(0).focus()
    await helper.keyboard.press("ArrowDown")
    await expect(tabs.nth(1)).to_be_focused()
    await expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    await expect(tabs.nth(1).get_by_test_id("unread")).to_have_count(0)
    await expect(helper.get_by_test_id("messages")).to_contain_text("hello?")
    await expect(helper.get_by_test_id("pane-note")).to_contain_text("second")


async def test_every_page_fits_a_phone(people: People) -> None:
    """360 px wide: nothing scrolls sideways, on any page, signed in or not."""
    from .conftest import PHONE

    pages = [
        await people.seeker(viewport=PHONE),
        await people.seeker(viewport=PHONE, locale="zh-CN"),
        await people.page("/helper", viewport=PHONE),
        await people.helper(viewport=PHONE),
        await people.counselor(viewport=PHONE),
    ]
    await people.ask(pages[0], note="a long first message " * 20)
    await expect(pages[0].get_by_test_id("chat-with")).to_be_visible()
    await people.say(pages[0], "averyveryverylongwordwithoutanyspaces" * 5)
    await expect(pages[3].get_by_test_id("messages")).to_contain_text("averyvery")
    for page in pages:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (page.url, width)
