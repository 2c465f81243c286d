"""Cards in a chat (docs/protocol.md ``share`` → ``card``): library items and mood summaries."""

from __future__ import annotations

from tests.between import call
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair

MOOD = {"days": 14, "entries": 5, "average": 2.4, "trend": "falling", "moods": [3, 3, 2, 2, 2]}


async def test_helper_sends_a_library_item_as_a_card(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await helper.send({"type": "share", "session": sid, "item": "calm-course-en", "ref": "s1"})
    mine = await helper.expect("card")
    assert mine["ref"] == "s1"
    card = await seeker.expect("card")
    assert card["session"] == sid and card["from"] == "helper" and card["alias"] == "Maple"
    assert card["card"]["kind"] == "library" and card["card"]["item_kind"] == "course"
    assert card["card"]["id"] == "calm-course-en" and card["card"]["title"]
    assert "steps" not in card["card"]

    # Unknown or unpublished items are refused, and nothing reaches the seeker.
    token = await live_server.staff_token("oak", "counselor")
    await call("PUT", live_server.http_url + "/api/library/sleep-en", {"published": False},
               token=token)
    for item in ("no-such-item", "sleep-en"):
        await helper.send({"type": "share", "session": sid, "item": item, "ref": "s2"})
        error = await helper.expect("error")
        assert error["code"] == "not_found" and error["ref"] == "s2"
    await seeker.no_frame(0.3, of="card")


async def test_seeker_shares_a_mood_summary_without_notes(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await seeker.send({"type": "share", "session": sid, "mood": MOOD, "ref": "m1"})
    assert (await seeker.expect("card"))["ref"] == "m1"
    card = await helper.expect("card")
    assert card["from"] == "seeker" and card["card"] == {"kind": "mood", **MOOD}

    for frame, code in [
        ({"mood": {**MOOD, "note": "secret"}}, "bad_frame"),
        ({"mood": {**MOOD, "moods": [9]}}, "bad_frame"),
        ({"item": "calm-course-en"}, "forbidden"),
        ({}, "bad_frame"),
        ({"item": "calm-course-en", "mood": MOOD}, "bad_frame"),
    ]:
        await seeker.send({"type": "share", "session": sid, "ref": "m2", **frame})
        error = await seeker.expect("error")
        assert error["code"] == code, (frame, error)
    await helper.send({"type": "share", "session": sid, "mood": MOOD, "ref": "h"})
    assert (await helper.expect("error"))["code"] == "forbidden"
    await seeker.send({"type": "share", "session": "not-my-session-xxxxxxxx", "mood": MOOD})
    assert (await seeker.expect("error"))["code"] == "not_in_session"
    await helper.no_frame(0.3, of="card")
