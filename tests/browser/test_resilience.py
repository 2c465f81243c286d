"""The seeker's page survives reloads and lost connections, and leaves no trace on quick exit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.conftest import run_server
from tests.integration.test_outages import wait_until
from tests.redis_process import redis_process
from tests.timing import MS, playwright_ms

from .conftest import SERVER_SETTINGS, People

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_reload_resumes_the_chat(people: People) -> None:
    helper = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker, note="can't sleep")
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    await people.say(seeker, "first from seeker")
    await people.say(helper, "first from helper")
    await expect(seeker.get_by_test_id("messages")).to_contain_text("first from helper")
    token = await seeker.evaluate("JSON.parse(sessionStorage.getItem('peerline.seeker')).resume")
    assert token

    await seeker.reload()
    # The same conversation, the whole transcript once, in order, and it goes on.
    await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
    texts = seeker.get_by_test_id("messages").locator(".msg__text")
    await expect(texts).to_have_text(["first from seeker", "first from helper"])
    await expect(seeker.locator(".msg--own")).to_have_attribute("data-state", "delivered")
    await people.say(helper, "still here")
    await expect(texts).to_have_text(["first from seeker", "first from helper", "still here"])
    await people.say(seeker, "after reload")
    await expect(helper.get_by_test_id("messages")).to_contain_text("after reload")
    assert await seeker.evaluate(
        "JSON.parse(sessionStorage.getItem('peerline.seeker')).resume") == token


async def test_messages_written_offline_are_sent_once_when_back(people: People) -> None:
    helper = await people.helper()
    seeker = await people.seeker()
    await people.ask(seeker)
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "before")
    await expect(helper.get_by_test_id("messages")).to_contain_text("before")

    # Cut the seeker's network right after a send: its ack may or may not have come back.
    context = seeker.context
    await seeker.get_by_test_id("composer").fill("racing the cut")
    await seeker.get_by_test_id("send").click()
    await context.set_offline(True)
    await expect(seeker.get_by_test_id("conn-status")).to_contain_text("Reconnecting")
    await people.say(seeker, "written offline 1")
    await people.say(seeker, "written offline 2")
    pending = seeker.locator(".msg--own[data-state='queued']")
    await expect(pending.filter(has_text="written offline 1")).to_have_count(1)
    await people.say(helper, "while you were away")

    await context.set_offline(False)
    await expect(seeker.get_by_test_id("conn-status")).to_be_hidden(timeout=playwright_ms(20_000))
    await expect(seeker.locator(".msg--own[data-state='delivered']")).to_have_count(4)
    await expect(seeker.get_by_test_id("messages")).to_contain_text("while you were away")

    # The helper got every message exactly once, in the order written.
    seeker_lines = helper.locator(".msg--seeker .msg__text")
    await expect(seeker_lines).to_have_text(
        ["before", "racing the cut", "written offline 1", "written offline 2"])
    # And the seeker's page shows each once too.
    await expect(seeker.locator(".msg__text", has_text=re.compile("^while you were away$"))
                 ).to_have_count(1)
    await expect(seeker.locator(".msg--own .msg__text")).to_have_text(
        ["before", "racing the cut", "written offline 1", "written offline 2"])


async def test_quick_exit_leaves_and_clears_everything(people: People) -> None:
    helper = await people.helper()
    seeker = await people.seeker()
    await seeker.evaluate("localStorage.setItem('something', 'personal')")
    await people.ask(seeker, note="please don't let anyone see this")
    await expect(seeker.get_by_test_id("chat-with")).to_be_visible()
    await people.say(seeker, "secret")
    await expect(helper.get_by_test_id("messages")).to_contain_text("secret")
    assert await seeker.evaluate("sessionStorage.length") > 0

    await seeker.get_by_test_id("quick-exit").click()
    await seeker.wait_for_url(re.compile(r"^https://www\.google\.com/search"))
    await expect(seeker.locator("body")).to_contain_text("Sunny")
    # The chat was left at once…
    await expect(helper.get_by_test_id("pane-ended")).to_contain_text("The student ended the chat")
    # …and Back does not return to Peerline: the page replaced itself in the history.
    assert await seeker.evaluate("history.length") == 2  # about:blank, then the neutral page
    # Nothing is left in this tab's storage for Peerline's origin: a fresh start page.
    await seeker.goto(people.server.http_url + "/")
    assert await seeker.evaluate("sessionStorage.length") == 0
    assert await seeker.evaluate("localStorage.length") == 0
    await expect(seeker.get_by_test_id("request-help")).to_be_visible()
    await expect(seeker.get_by_test_id("messages")).not_to_contain_text("secret")


async def test_counselor_console_carries_on_after_a_reload(people: People) -> None:
    """Seeker and helper are plain protocol clients here; the counselor is the browser."""
    counselor = await people.counselor()
    server = people.server
    helper = await server.helper("maple")
    seeker, _ = await server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    await helper.expect("matched")
    await seeker.send({"type": "say", "session": sid, "ref": "c1",
                       "text": "I want to kill myself tonight, I have the pills ready"})
    await seeker.expect("ack", skip=("queued", "typing", "resources"))

    await counselor.get_by_test_id("claim").click()
    await expect(counselor.get_by_test_id("messages")).to_contain_text("pills ready")
    await people.say(counselor, "I'm here. Are you somewhere safe?")
    assert (await seeker.expect("message", skip=("participant", "resources", "typing"))
            )["text"] == "I'm here. Are you somewhere safe?"

    await counselor.reload()
    # Still on call, still in the session, with its transcript and its alert to resolve.
    await expect(counselor.get_by_test_id("on-call")).to_be_checked()
    await expect(counselor.get_by_test_id("presence")).to_have_text("On call")
    await expect(counselor.get_by_test_id("session")).to_have_count(1)
    texts = counselor.get_by_test_id("messages").locator(".msg__text")
    await expect(texts).to_have_text(["I want to kill myself tonight, I have the pills ready",
                                      "I'm here. Are you somewhere safe?"])
    await expect(counselor.locator(".msg--own .msg__who")).to_have_text("You")
    await counselor.get_by_test_id("resolve").click()
    await counselor.get_by_test_id("resolve-outcome").select_option("safe")
    await counselor.get_by_test_id("resolve-submit").click()
    await expect(counselor.get_by_test_id("messages")).to_contain_text("Alert resolved: Safe")
    await seeker.close()
    await helper.close()


async def test_seeker_goes_back_to_the_front_when_the_helper_drops(
    browser: Browser, embedded_redis: Any
) -> None:
    async with run_server(embedded_redis.url, helper_grace_s=0.5, seeker_grace_s=30.0) as server:
        crowd = People(browser, server)
        try:
            maple = await server.helper("maple", alias="Maple")
            seeker = await crowd.seeker()
            await crowd.ask(seeker)
            await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Maple")
            sid = (await maple.expect("matched"))["session"]
            await maple.say(sid, "hello from Maple")
            await expect(seeker.get_by_test_id("messages")).to_contain_text("hello from Maple")

            await maple.close()  # Maple's laptop dies and does not come back in time
            await expect(seeker.get_by_test_id("messages")).to_contain_text(
                "Maple was disconnected")
            await expect(seeker.get_by_test_id("queue-status")).to_contain_text("next in line")
            await expect(seeker.get_by_test_id("composer")).to_be_hidden()

            await server.helper("willow", alias="Willow")
            await expect(seeker.get_by_test_id("chat-with")).to_contain_text("Willow")
            await expect(seeker.get_by_test_id("messages")).to_contain_text("hello from Maple")
            await expect(seeker.get_by_test_id("composer")).to_be_visible()
        finally:
            await crowd.close()
        assert not crowd.page_errors


async def test_a_resume_asks_again_for_a_message_missed_in_a_gap(people: People) -> None:
    """The page resumes from the highest message seen with none missing before it, not the
    highest seen: a message lost in a gap (seq 3 here) is asked for again, not skipped."""
    page = await people.page("/")
    last = await page.evaluate("""async () => {
        const { MessageList } = await import('/static/js/chat.js');
        const list = new MessageList({ ownRole: 'seeker' });
        const seen = [];
        const add = (seq) => {
            list.addMessage({ id: `${seq}-0`, seq, from: 'helper', alias: 'Maple',
                              text: `line ${seq}`, ts: seq });
            seen.push(list.lastId);
        };
        add(1); add(2); add(4); add(5); add(3);
        return seen;
    }""")
    assert last == ["1-0", "2-0", "2-0", "2-0", "5-0"]


async def test_a_message_redis_could_not_take_is_sent_again_by_the_page(
        browser: Browser) -> None:
    """Redis frozen (a failover, a restart): the server answers the seeker's message
    ``unavailable``. The page keeps it "sending" and sends it again (marked ``resend``) with a
    growing pause until it is taken; the helper gets it once. (The first sending's call ran
    when Redis woke, after the server had given up on its reply, so the re-send is found
    stored: it must still reach the helper on the same process, who never had it.)"""
    with redis_process() as redis:
        async with run_server(redis.url, **SERVER_SETTINGS) as live:
            people = People(browser, live)
            try:
                helper = await live.helper("maple")
                seeker = await people.seeker()
                refusals: list[str] = []
                seeker.on("websocket", lambda ws: ws.on(
                    "framereceived", lambda payload: refusals.append(str(payload))
                    if '"unavailable"' in str(payload) else None))
                await people.ask(seeker)
                sid = (await helper.expect("matched"))["session"]
                await people.say(seeker, "before")
                assert (await helper.expect("message", skip=("typing",)))["text"] == "before"

                redis.freeze()
                try:
                    await people.say(seeker, "while redis is away")

                    async def refused() -> bool:
                        return bool(refusals)

                    await wait_until(refused)
                    own = seeker.locator(".msg--own", has_text="while redis is away")
                    await expect(own).not_to_have_attribute("data-state", "failed")
                finally:
                    redis.thaw()
                await expect(own).to_have_attribute("data-state", "delivered",
                                                     timeout=playwright_ms(20_000))
                got = await helper.expect("message", skip=("typing",))
                assert (got["session"], got["text"]) == (sid, "while redis is away")
                await helper.no_frame(500 * MS, of="message")  # once
                await helper.close()
            finally:
                await people.close()
            assert not people.page_errors, people.page_errors
