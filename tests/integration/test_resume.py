"""Drops and returns: seekers resume with everything missed; helpers get a grace period."""

from __future__ import annotations

import asyncio

from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.timing import MS


async def test_seeker_resumes_and_gets_every_missed_message_once(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    resume = seeker.seen[0]["resume"]
    first = await seeker.say(sid, "before the drop")
    await helper.expect("message")
    reply = await helper.say(sid, "I'm here")
    seen = (await seeker.expect("message"))["id"]
    assert seen == reply["id"]
    await seeker.close()

    missed = [(await helper.say(sid, f"are you still there {i}", ref=f"h{i}"))["id"]
              for i in range(3)]
    back = await live_server.client()
    welcome = await back.hello_seeker(resume=resume, last_seen={sid: seen})
    assert welcome["resume"] == resume and welcome["alias"] == seeker.seen[0]["alias"]
    (summary,) = welcome["sessions"]
    assert summary["session"] == sid and summary["state"] == "active"
    assert summary["peers"] == [{"role": "helper", "alias": "Maple"}]
    replay = [await back.expect("message") for _ in range(3)]
    assert [m["id"] for m in replay] == missed
    assert [m["seq"] for m in replay] == [3, 4, 5]
    await back.no_frame(300 * MS, of="message")

    # The session carries on, from both sides.
    await back.say(sid, "sorry, my wifi dropped")
    assert (await helper.expect("message"))["text"] == "sorry, my wifi dropped"
    assert first["seq"] == 1


async def test_resume_without_last_seen_replays_whole_transcript(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    resume = seeker.seen[0]["resume"]
    await seeker.say(sid, "one")
    await helper.say(sid, "two")
    await seeker.close()
    back = await live_server.client()
    await back.hello_seeker(resume=resume)
    texts = [(await back.expect("message"))["text"] for _ in range(2)]
    assert texts == ["one", "two"]


async def test_a_newer_connection_replaces_the_older(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    resume = seeker.seen[0]["resume"]
    second = await live_server.client()
    await second.hello_seeker(resume=resume, last_seen={})
    assert await seeker.close_code() == 4000
    await helper.say(sid, "hello again")
    assert (await second.expect("message"))["text"] == "hello again"


async def test_wrong_resume_token_is_refused(live_server: LiveServer) -> None:
    c = await live_server.client()
    await c.send({"type": "hello", "role": "seeker", "resume": "not-a-token"})
    error = await c.expect("error")
    assert error["code"] == "unauthorized"
    assert await c.close_code() == 1008


async def test_helper_who_drops_and_returns_in_time_keeps_the_session(
    server_factory,  # type: ignore[no-untyped-def]
) -> None:
    async with server_factory(helper_grace_s=3_000 * MS) as live:
        seeker, helper, sid = await matched_pair(live)
        # Maple comes back with a fresh login of the same account.
        await live.runtime.staff.set_password("maple", "new-password-1")
        status, body = await live.login("maple", "new-password-1")
        assert status == 200
        await helper.close()
        await asyncio.sleep(200 * MS)
        back = await live.client()
        welcome = await back.hello_staff("helper", body["token"])
        assert [s["session"] for s in welcome["sessions"]] == [sid]
        await asyncio.sleep(3_500 * MS)  # past the grace period: nothing happens
        await seeker.say(sid, "still there?")
        assert (await back.expect("message"))["text"] == "still there?"
        await seeker.no_frame(200 * MS, of="participant")


async def test_helper_who_does_not_return_hands_the_seeker_back_to_the_front(
    live_server: LiveServer,
) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    waiting, _ = await live_server.seeker()
    await waiting.send({"type": "request", "topic": "other", "lang": "en"})
    await helper.close()
    left = await seeker.expect("participant", timeout=5_000 * MS)
    assert left["role"] == "helper" and left["joined"] is False
    queued = await seeker.expect("queued", skip=())
    assert queued["session"] == sid and queued["position"] == 1  # ahead of the other seeker
    other = await live_server.helper("birch")
    again = await seeker.expect("matched")
    assert again["session"] == sid and again["peers"][0]["alias"] == "Birch"
    helper_view = await other.expect("matched")
    assert helper_view["session"] == sid


async def test_seeker_who_never_returns_ends_the_session(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.close()
    ended = await helper.expect("ended", timeout=5_000 * MS)
    assert ended == {"type": "ended", "session": sid, "by": "server", "reason": "seeker_gone"}
    await helper.send({"type": "status", "ref": "p"})
    assert (await helper.expect("presence"))["active"] == 0


async def test_staff_welcome_lists_their_sessions_and_replays(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(helper_grace_s=30) as live_server:
        await _staff_welcome(live_server)


async def _staff_welcome(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    first = await seeker.say(sid, "first")
    await helper.expect("message")
    await helper.close()
    await seeker.say(sid, "second")
    await live_server.runtime.staff.set_password("maple", "new-password-2")
    status, body = await live_server.login("maple", "new-password-2")
    back = await live_server.client()
    welcome = await back.hello_staff("helper", body["token"], last_seen={sid: first["id"]})
    (summary,) = welcome["sessions"]
    assert summary["state"] == "active" and summary["peers"][0]["role"] == "seeker"
    assert welcome["presence"]["available"] is True
    assert (await back.expect("message"))["text"] == "second"
    await back.no_frame(300 * MS, of="message")
