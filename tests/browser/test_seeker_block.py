"""The seeker blocks their helper: a confirmation that says what happens, the chat ends, and the
two are never matched again, while another helper can still take the seeker's next request."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import WebSocket, expect

from tests.timing import playwright_ms

from .conftest import People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_seeker_blocks_helper_and_is_not_matched_with_them_again(people: People) -> None:
    maple = await people.helper()
    seeker = await people.seeker()
    sent: list[dict] = []

    def watch(ws: WebSocket) -> None:
        ws.on("framesent", lambda payload: sent.append(json.loads(payload))
              if isinstance(payload, str) else None)

    seeker.on("websocket", watch)
    await people.ask(seeker, note="my helper is being rude to me")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await expect(maple.get_by_test_id("session")).to_have_count(1)

    # Keyboard: open the confirmation; the safe choice has the focus; Escape closes it.
    block = seeker.get_by_test_id("block-helper")
    box = seeker.get_by_test_id("block-box")
    await expect(box).to_be_hidden()
    await expect(block).to_have_text("Block this helper")
    await block.focus()
    await seeker.keyboard.press("Enter")
    await expect(box).to_be_visible()
    await expect(block).to_have_attribute("aria-expanded", "true")
    await expect(seeker.get_by_test_id("block-cancel")).to_be_focused()
    for said in ("This chat ends now.", "You will not be matched with this helper again.",
                 "You can ask for help again straight away", "Crisis help"):
        await expect(box).to_contain_text(said)
    await expect(seeker.get_by_test_id("crisis-help")).to_be_visible()
    await seeker.keyboard.press("Escape")
    await expect(box).to_be_hidden()
    await expect(block).to_be_focused()
    await expect(block).to_have_attribute("aria-expanded", "false")

    # Cancel by mouse: nothing happens, the chat goes on.
    await block.click()
    await seeker.get_by_test_id("block-cancel").click()
    await expect(box).to_be_hidden()
    await people.say(seeker, "still here")
    await expect(maple.get_by_test_id("messages")).to_contain_text("still here")
    await expect(seeker.get_by_test_id("composer")).to_be_visible()
    await expect(maple.get_by_test_id("pane-ended")).to_have_count(0)
    assert not [f for f in sent if f.get("type") == "block"]

    # Block: the chat ends for both, with the ended view and an easy way to ask again.
    await block.click()
    await seeker.get_by_test_id("block-confirm").click()
    ended = seeker.get_by_test_id("ended")
    await expect(ended).to_be_visible()
    await expect(seeker.get_by_test_id("ended-text")).to_contain_text(
        "You blocked this helper and the chat ended")
    await expect(seeker.locator("#ended-title")).to_be_focused()
    await expect(box).to_be_hidden()
    await expect(block).to_be_hidden()
    await expect(seeker.get_by_test_id("composer")).to_be_hidden()
    await expect(maple.get_by_test_id("pane-ended")).to_contain_text(
        "asked not to be matched with you again")
    blocks = [f for f in sent if f.get("type") == "block"]
    assert len(blocks) == 1 and blocks[0]["session"], blocks

    # Ask again at once. Maple is the only helper available and has room, yet is not matched.
    await seeker.get_by_test_id("new-chat").click()
    await people.ask(seeker, note="trying again")
    status = seeker.get_by_test_id("queue-status")
    await expect(status).to_be_visible()
    await expect(seeker.get_by_test_id("queue-helpers")).to_have_text("1 peer helper online.")
    await expect(maple.get_by_test_id("presence")).to_contain_text("Available")
    # Going unavailable and back runs the matcher again for Maple: still no match.
    await maple.get_by_test_id("available").set_checked(False)
    await expect(maple.get_by_test_id("presence")).not_to_contain_text("Available")
    await maple.get_by_test_id("available").set_checked(True)
    await expect(maple.get_by_test_id("presence")).to_contain_text("Available")
    await seeker.wait_for_timeout(playwright_ms(1_000))
    await expect(status).to_be_visible()
    await expect(seeker.get_by_test_id("chat-with")).to_be_hidden()
    await expect(maple.get_by_test_id("session")).to_have_count(1)

    # A second helper comes online: the waiting seeker is matched with them, not with Maple.
    birch = await people.helper("birch", "Birch")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Birch")
    await expect(status).to_be_hidden()
    await expect(birch.get_by_test_id("pane-note")).to_contain_text("trying again")
    await expect(maple.get_by_test_id("session")).to_have_count(1)
    await expect(block).to_be_visible()
