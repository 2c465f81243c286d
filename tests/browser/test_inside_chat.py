"""Inside the chat, in the consoles: approved replies, staff notes, transfer and block for the
helper; watching over a chat, whispering and joining for the counselor; the approved-replies
screen. The seeker's page must never show any of the staff-only words."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.timing import playwright_ms

from .conftest import People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

NOTE = "exam on friday, sleeping badly"
HANDOVER = "She prefers short answers; ask about her roommate."
WHISPER = "Ask her gently how she is sleeping."


async def seeker_never_saw(seeker: Page, *secrets: str) -> None:
    text = await seeker.locator("body").inner_text()
    for secret in secrets:
        assert secret not in text, secret
    for word in ("whisper", "Whisper", "watching", "Staff notes", "staff only"):
        assert word not in text, word


async def test_helper_inserts_an_approved_reply_edits_it_takes_notes_and_transfers(
    people: People,
) -> None:
    maple = await people.helper("maple", "Maple")
    seeker = await people.seeker()
    await people.ask(seeker, topic="academic", note="exams")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    oak = await people.helper("oak", "Oak")
    await people.say(seeker, "I can't focus on anything")
    await expect(maple.get_by_test_id("messages")).to_contain_text("can't focus")

    # "/" in the empty composer opens the approved replies; typing filters; Enter inserts.
    composer = maple.get_by_test_id("composer")
    await composer.focus()
    await composer.press("/")
    panel = maple.get_by_test_id("canned-panel")
    await expect(panel).to_be_visible()
    await expect(maple.get_by_test_id("canned-search")).to_be_focused()
    await expect(panel.get_by_test_id("canned-item").first).to_be_visible()
    await maple.get_by_test_id("canned-search").press_sequentially("counselor")
    first = panel.get_by_test_id("canned-item").first
    await expect(first).to_contain_text("Bringing in a counselor")
    await expect(first).to_have_attribute("aria-selected", "true")
    await maple.get_by_test_id("canned-search").press("Enter")
    await expect(panel).to_be_hidden()
    await expect(composer).to_be_focused()
    await expect(composer).to_have_value(
        "Thank you for trusting me with this. I'd like to bring in one of our counselors, who "
        "can support you better than I can. I'll stay here with you while they join.")
    await expect(seeker.get_by_test_id("messages")).not_to_contain_text("trusting me")  # not sent

    # Edited before sending: the student gets the edited words.
    await composer.press("End")
    await composer.press_sequentially(" Is that ok with you?")
    await maple.get_by_test_id("send").click()
    await expect(seeker.get_by_test_id("messages")).to_contain_text(
        "while they join. Is that ok with you?")

    # The button and Ctrl+Space open it too; Escape closes and returns to the composer.
    await maple.get_by_test_id("canned-open").click()
    await expect(panel).to_be_visible()
    await maple.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(composer).to_be_focused()
    await composer.press("Control+Space")
    await expect(panel).to_be_visible()
    await panel.get_by_test_id("canned-item").filter(has_text="Hello").first.click()
    await expect(composer).to_have_value("Hi, I'm glad you reached out. I'm a trained student "
                                         "helper and I'm here to listen. What's on your mind "
                                         "today?")
    await composer.fill("")

    # A staff-only note, clearly labelled.
    notes = maple.get_by_test_id("staff-notes")
    await expect(notes).to_contain_text("staff only — never shown to the student")
    await maple.get_by_test_id("staff-notes-toggle").click()
    await maple.get_by_test_id("note-text").fill(NOTE)
    await maple.get_by_test_id("note-save").click()
    await expect(notes.get_by_test_id("staff-note")).to_contain_text(NOTE)
    await expect(notes).to_contain_text("Staff notes (1)")

    # Transfer to a named helper with a handover note.
    await maple.get_by_test_id("transfer").click()
    await maple.get_by_test_id("transfer-named").check()
    await maple.get_by_test_id("transfer-alias").fill("Nobody")
    await maple.get_by_test_id("transfer-send").click()
    await expect(maple.get_by_test_id("transfer-error")).to_contain_text(
        "No available helper is called “Nobody”")
    await maple.get_by_test_id("transfer-alias").fill("Oak")
    await maple.get_by_test_id("transfer-note").fill(HANDOVER)
    await maple.get_by_test_id("transfer-send").click()
    await expect(maple.get_by_test_id("pane-ended")).to_contain_text(
        "You handed this chat to Oak")

    # Oak has the history, the handover note and the earlier note; the student is told.
    await expect(oak.get_by_test_id("session")).to_have_count(1)
    await expect(oak.get_by_test_id("messages")).to_contain_text("can't focus")
    await expect(oak.get_by_test_id("messages")).to_contain_text("Is that ok with you?")
    await expect(oak.get_by_test_id("messages")).to_contain_text("A chat was handed to you")
    oak_notes = oak.get_by_test_id("staff-notes")
    await expect(oak_notes.get_by_test_id("staff-note").filter(has_text=HANDOVER)).to_contain_text(
        "Handover note")
    await expect(oak_notes.get_by_test_id("staff-note").filter(has_text=NOTE)).to_be_visible()
    await expect(seeker.get_by_test_id("messages")).to_contain_text(
        "Another peer helper is taking over")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Oak")
    await people.say(oak, "Hi, I'm Oak. Maple told me a bit; I'm here.")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Oak")

    # A reload of Oak's console brings the notes back.
    await oak.reload()
    await expect(oak.get_by_test_id("messages")).to_contain_text("can't focus")
    await oak.get_by_test_id("staff-notes-toggle").click()
    await expect(oak.get_by_test_id("staff-notes")).to_contain_text(NOTE)
    await expect(oak.get_by_test_id("staff-notes")).to_contain_text(HANDOVER)
    await seeker_never_saw(seeker, NOTE, HANDOVER)


async def test_helper_blocks_an_abusive_chat_after_confirming(people: People) -> None:
    maple = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker)
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "you are useless, I'll keep wasting your time")
    await expect(maple.get_by_test_id("messages")).to_contain_text("wasting your time")

    await maple.get_by_test_id("block").click()
    form = maple.get_by_test_id("block-form")
    await expect(form).to_contain_text("End this chat as abusive and block this student?")
    await expect(maple.get_by_test_id("block-reason")).to_be_focused()
    await maple.get_by_test_id("block-cancel").click()
    await expect(form).to_be_hidden()
    await expect(seeker.get_by_test_id("composer")).to_be_enabled()

    await maple.get_by_test_id("block").click()
    await maple.get_by_test_id("block-reason").fill("repeated insults")
    await maple.get_by_test_id("block-confirm").click()
    await expect(maple.get_by_test_id("pane-ended")).to_contain_text("You blocked this student")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("This chat was closed.")
    await seeker_never_saw(seeker, "repeated insults")


async def test_counselor_watches_whispers_and_joins_without_the_seeker_seeing_it(
    people: People,
) -> None:
    cedar = await people.counselor()
    maple = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker, topic="mood")
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "I haven't slept properly in weeks")
    await expect(maple.get_by_test_id("messages")).to_contain_text("slept properly")

    # The conversation is listed (no student identity) and can be watched.
    item = cedar.get_by_test_id("active-session")
    await expect(item).to_contain_text("Helper: Maple")
    await expect(item).to_contain_text("Mood")
    await item.get_by_test_id("monitor").click()
    await expect(cedar.get_by_test_id("monitoring-badge")).to_contain_text("Watching silently")
    await expect(cedar.get_by_test_id("messages")).to_contain_text("slept properly")
    await expect(maple.get_by_test_id("supervisor-badge")).to_have_text(
        "A counselor is watching: Cedar")

    # Live, read-only: the composer whispers to the helper.
    await people.say(maple, "That sounds really hard. What keeps you up?")
    await expect(cedar.get_by_test_id("messages")).to_contain_text("What keeps you up?")
    await expect(cedar.get_by_test_id("send")).to_have_text("Whisper")
    await people.say(cedar, WHISPER)
    mine = cedar.get_by_test_id("whisper").filter(has_text=WHISPER)
    await expect(mine).to_contain_text("Whispered (the student does not see this)")
    got = maple.get_by_test_id("whisper").filter(has_text=WHISPER)
    await expect(got).to_contain_text("Whisper · staff only")
    await expect(got).to_contain_text("Cedar (Counselor)")

    # The helper whispers back (a switch, shown because someone is watching).
    await maple.get_by_test_id("whisper-mode").check()
    await expect(maple.get_by_test_id("send")).to_have_text("Whisper")
    await people.say(maple, "ok, will do")
    await expect(cedar.get_by_test_id("whisper").filter(has_text="ok, will do")).to_be_visible()
    await maple.get_by_test_id("whisper-mode").uncheck()
    await people.say(maple, "How have your nights been lately?")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("nights been lately")

    # The student's page shows none of it, live or after a reload.
    await seeker.wait_for_timeout(playwright_ms(300))
    await seeker_never_saw(seeker, WHISPER, "ok, will do", "Cedar")
    await seeker.reload()
    await expect(seeker.get_by_test_id("messages")).to_contain_text("nights been lately")
    await seeker_never_saw(seeker, WHISPER, "ok, will do", "Cedar")

    # The counselor's console reloads: it goes on watching, whispers included.
    await cedar.reload()
    await expect(cedar.get_by_test_id("monitoring-badge")).to_be_visible()
    await expect(cedar.get_by_test_id("whisper").filter(has_text=WHISPER)).to_be_visible()
    await expect(cedar.get_by_test_id("messages")).to_contain_text("nights been lately")
    await expect(maple.get_by_test_id("supervisor-badge")).to_have_text(
        "A counselor is watching: Cedar")
    await seeker_never_saw(seeker, WHISPER, "ok, will do", "Cedar")

    # Join openly: now everyone sees the counselor, and the composer talks to the student.
    await cedar.get_by_test_id("join").click()
    await expect(seeker.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")
    await expect(maple.get_by_test_id("supervisor-badge")).to_have_count(0)
    await expect(cedar.get_by_test_id("monitoring-badge")).to_have_count(0)
    await expect(cedar.get_by_test_id("send")).to_have_text("Send")
    await people.say(cedar, "Hi, I'm Cedar, a counselor. I'm here with you both.")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Cedar")
    assert WHISPER not in await seeker.locator("body").inner_text()


async def test_counselor_manages_approved_replies_and_helpers_get_them(people: People) -> None:
    cedar = await people.counselor(on_call=False)
    await cedar.get_by_test_id("canned-manage").click()
    admin = cedar.get_by_test_id("canned-admin")
    await expect(admin).to_be_visible()
    await expect(admin.get_by_test_id("canned-row").first).to_be_visible()
    await cedar.get_by_test_id("canned-filter").select_option("zh")
    rows = admin.get_by_test_id("canned-row")
    await expect(rows.filter(has_text="· English")).to_have_count(0)
    await expect(rows.filter(has_text="请咨询师加入")).to_have_count(1)

    # Add one in Chinese; a blank text is refused in the form.
    await cedar.get_by_test_id("canned-lang").select_option("zh")
    await cedar.get_by_test_id("canned-category").select_option("closing")
    await cedar.get_by_test_id("canned-title").fill("晚安")
    await cedar.get_by_test_id("canned-save").click()
    await expect(cedar.get_by_test_id("canned-form-error")).to_contain_text("A title and a text")
    await cedar.get_by_test_id("canned-text").fill("今晚先好好休息，明天想聊随时再来。")
    await cedar.get_by_test_id("canned-save").click()
    row = admin.get_by_test_id("canned-row").filter(has_text="晚安")
    await expect(row).to_contain_text("明天想聊随时再来")
    await expect(row).to_contain_text("Closing · 中文")

    # Edit it.
    await row.get_by_test_id("canned-edit").click()
    await expect(cedar.get_by_test_id("canned-title")).to_have_value("晚安")
    await cedar.get_by_test_id("canned-text").fill("今晚先好好休息。需要的时候，我们一直在。")
    await cedar.get_by_test_id("canned-save").click()
    await expect(row).to_contain_text("我们一直在")

    # A helper with a Chinese-speaking student finds it first in the picker.
    maple = await people.helper()
    seeker = await people.seeker(locale="zh-CN")
    await people.ask(seeker)
    await expect(maple.get_by_test_id("session")).to_have_count(1)
    await maple.get_by_test_id("composer").press("Control+Space")
    await maple.get_by_test_id("canned-search").fill("晚安")
    await expect(maple.get_by_test_id("canned-item").first).to_contain_text("晚安")
    await maple.get_by_test_id("canned-search").press("Enter")
    await expect(maple.get_by_test_id("composer")).to_have_value(
        "今晚先好好休息。需要的时候，我们一直在。")

    # Delete it (a second click confirms).
    await row.get_by_test_id("canned-delete").click()
    await expect(row.get_by_test_id("canned-delete")).to_have_text("Really delete?")
    await row.get_by_test_id("canned-delete").click()
    await expect(admin.get_by_test_id("canned-row").filter(has_text="晚安")).to_have_count(0)
    await expect(cedar.get_by_test_id("canned-admin-status")).to_contain_text("Deleted “晚安”")
    await cedar.get_by_test_id("canned-manage").click()
    await expect(admin).to_be_hidden()


async def test_a_watching_counselor_claims_an_alert_and_the_badge_goes(people: People) -> None:
    cedar = await people.counselor()
    maple = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker)
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "hi")
    await cedar.get_by_test_id("active-session").get_by_test_id("monitor").click()
    await expect(maple.get_by_test_id("supervisor-badge")).to_be_visible()

    await people.say(seeker, "I have the pills ready and I'm going to take them all tonight.")
    await cedar.get_by_test_id("alert").get_by_test_id("claim").click()
    await expect(cedar.get_by_test_id("alert").get_by_test_id("alert-state")).to_have_text("Yours")
    await expect(cedar.get_by_test_id("monitoring-badge")).to_have_count(0)
    await expect(maple.get_by_test_id("supervisor-badge")).to_have_count(0)
    await expect(seeker.get_by_test_id("messages")).to_contain_text("A counselor (Cedar) joined")
    await expect(cedar.get_by_test_id("session")).to_have_count(1)
    await people.say(cedar, "I'm Cedar, a counselor. I'm here now.")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("I'm Cedar")
