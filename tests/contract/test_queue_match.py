"""Seeker asks for help; helper and counselor presence (PROTOCOL.md sections of those names)."""

from __future__ import annotations

import asyncio

from tests.conftest import LiveServer
from tests.timing import MS

from ._util import counselor, frames_for, helper, pair, raw_json, reply_to, seeker, staff, until


async def test_request_with_no_helper_online_is_queued_with_helpers_online_0(
        live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "mood", "lang": "en",
                       "note": "can't sleep", "ref": "q1"})
    queued = await s.expect("queued", skip=())
    assert queued["ref"] == "q1"
    assert isinstance(queued["session"], str) and len(queued["session"]) >= 22
    assert queued["position"] == 1
    assert "estimated_wait_s" in queued
    assert queued["helpers_online"] == 0
    # Stays queued: no matched, no ended.
    rest = await frames_for(s, 500 * MS)
    assert not [f for f in rest if f["type"] in ("matched", "ended", "error")], rest


async def test_helpers_online_0_after_the_only_helper_goes_unavailable(
        live_server: LiveServer) -> None:
    h = await helper(live_server, topics=("mood",), langs=("zh",))
    presence = await reply_to(h, {"type": "status", "available": False})
    assert presence["type"] == "presence" and presence["available"] is False
    s, _ = await seeker(live_server, "en")
    await raw_json(s, {"type": "request", "topic": "mood", "lang": "en"})
    queued = await s.expect("queued", skip=())
    assert queued["helpers_online"] == 0


async def test_queued_is_resent_when_position_changes(live_server: LiveServer) -> None:
    seekers = []
    for i in range(3):
        s, _ = await seeker(live_server)
        await raw_json(s, {"type": "request", "topic": "academic", "lang": "en",
                           "ref": f"q{i}"})
        q = await s.expect("queued", skip=())
        assert q["position"] == i + 1, q
        seekers.append((s, q["session"]))
    # First seeker is served: the others move up by one.
    await helper(live_server, capacity=1)
    m = await until(seekers[0][0], "matched")
    assert m["session"] == seekers[0][1]
    for idx in (1, 2):
        s, sid = seekers[idx]
        while True:
            q = await s.expect("queued", skip=("typing",))
            assert q["session"] == sid
            if q["position"] == idx:
                break
            assert q["position"] == idx + 1, q  # an unchanged re-send is fine, a wrong one not
    # The second seeker leaves the queue: the third moves to position 1.
    await raw_json(seekers[1][0], {"type": "leave", "session": seekers[1][1]})
    ended = await until(seekers[1][0], "ended")
    assert ended["session"] == seekers[1][1] and ended["by"] == "seeker"
    s, sid = seekers[2]
    while True:
        q = await s.expect("queued", skip=("typing",))
        if q["position"] == 1:
            break


async def test_matched_frames_to_both_sides(live_server: LiveServer) -> None:
    h = await helper(live_server)
    s, welcome = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "mood", "lang": "en",
                       "note": "I feel low lately", "ref": "q"})
    queued = await s.expect("queued", skip=())
    matched = await s.expect("matched")
    assert matched["session"] == queued["session"]
    assert matched["peers"] == [{"role": "helper", "alias": "Maple"}]
    hm = await until(h, "matched")
    assert hm["session"] == matched["session"]
    assert hm["peers"] == [{"role": "seeker", "alias": welcome["alias"]}]
    assert hm["topic"] == "mood"
    assert hm["note"] == "I feel low lately"


async def test_helper_matched_note_is_masked(live_server: LiveServer) -> None:
    h = await helper(live_server)
    s, _ = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "academic", "lang": "en",
                       "note": "email me at jane.doe@example.com"})
    await s.expect("matched")
    hm = await until(h, "matched")
    assert "jane.doe@example.com" not in (hm.get("note") or "")


async def test_zh_seeker_goes_to_a_zh_speaking_helper(live_server: LiveServer) -> None:
    en_only = await helper(live_server, "oak", langs=("en",))
    zh = await helper(live_server, "pine", langs=("zh",))
    s, _ = await seeker(live_server, "zh")
    await raw_json(s, {"type": "request", "topic": "family", "lang": "zh"})
    m = await s.expect("matched")
    assert m["peers"][0]["alias"] == "Pine"
    assert (await until(zh, "matched"))["session"] == m["session"]
    assert not [f for f in await frames_for(en_only, 300 * MS) if f["type"] == "matched"]


async def test_capacity_is_never_exceeded(live_server: LiveServer) -> None:
    h = await helper(live_server, capacity=2)
    ss = []
    for _ in range(4):
        s, _ = await seeker(live_server)
        await raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
        q = await s.expect("queued", skip=())
        ss.append((s, q["session"]))
    await asyncio.sleep(500 * MS)
    got = [f for f in await frames_for(h, 500 * MS) if f["type"] == "matched"]
    got += [f for f in h.seen if f["type"] == "matched" and f not in got]
    assert len({f["session"] for f in h.seen if f["type"] == "matched"}) == 2
    presence = await reply_to(h, {"type": "status", "available": True, "capacity": 2,
                                  "topics": ["academic"], "langs": ["en"]})
    assert presence["type"] == "presence" and presence["active"] == 2
    assert presence["capacity"] == 2
    # Lowering capacity below active must not drop anyone, and a freed seat is not refilled
    # beyond the new capacity.
    presence = await reply_to(h, {"type": "status", "available": True, "capacity": 1})
    assert presence["capacity"] == 1 and presence["active"] == 2
    matched_sids = [f["session"] for f in h.seen if f["type"] == "matched"]
    first = next(s for s, sid in ss if sid == matched_sids[0])
    await raw_json(first, {"type": "leave", "session": matched_sids[0]})
    await until(h, "ended")
    later = [f for f in await frames_for(h, 600 * MS) if f["type"] == "matched"]
    assert later == [], "capacity 1 with 1 active: no new seeker"


async def test_capacity_0_gets_no_seekers(live_server: LiveServer) -> None:
    h, _ = await staff(live_server, "larch", "helper")
    await reply_to(h, {"type": "status", "available": True, "capacity": 0,
                       "topics": ["academic"], "langs": ["en"]})
    s, _ = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
    await s.expect("queued", skip=())
    assert not [f for f in await frames_for(h, 600 * MS) if f["type"] == "matched"]
    # A later status that does not mention capacity keeps it at 0.
    await reply_to(h, {"type": "status", "available": True})
    assert not [f for f in await frames_for(h, 600 * MS) if f["type"] == "matched"]


async def test_presence_reports_capacity_0_as_0(live_server: LiveServer) -> None:
    h, _ = await staff(live_server, "larch", "helper")
    p = await reply_to(h, {"type": "status", "available": True, "capacity": 0,
                           "topics": ["academic"], "langs": ["en"]})
    assert p["type"] == "presence" and p["active"] == 0
    assert p["capacity"] == 0, p


async def test_helper_presence_reply_fields(live_server: LiveServer) -> None:
    h, _ = await staff(live_server, "maple", "helper")
    await raw_json(h, {"type": "status", "available": True, "capacity": 3,
                       "topics": ["academic", "mood"], "langs": ["zh", "en"], "ref": "p1"})
    p = await h.expect("presence", skip=())
    assert p["ref"] == "p1"
    assert p["available"] is True and p["capacity"] == 3 and p["active"] == 0
    # A partial status (only availability) is answered too, with the current figures.
    await raw_json(h, {"type": "status", "available": False, "ref": "p2"})
    p = await h.expect("presence", skip=())
    assert p["ref"] == "p2" and p["available"] is False
    assert p["capacity"] == 3 and p["active"] == 0


async def test_active_counts_sessions_now(live_server: LiveServer) -> None:
    h = await helper(live_server)
    s, h, sid, _ = await pair(live_server, h)
    p = await reply_to(h, {"type": "status", "available": True})
    assert p["type"] == "presence" and p["active"] == 1
    await raw_json(s, {"type": "leave", "session": sid})
    await until(h, "ended")
    p = await reply_to(h, {"type": "status", "available": True})
    assert p["active"] == 0


async def test_counselor_on_call_presence(live_server: LiveServer) -> None:
    c, welcome = await staff(live_server, "cedar", "counselor")
    assert welcome["role"] == "counselor" and welcome["alias"] == "Cedar"
    await raw_json(c, {"type": "status", "on_call": True, "ref": "oc"})
    p = await c.expect("presence", skip=())
    assert p["ref"] == "oc" and p["on_call"] is True
    assert "capacity" in p and isinstance(p["active"], int)
    await raw_json(c, {"type": "status", "on_call": False, "ref": "off"})
    p = await c.expect("presence", skip=())
    assert p["ref"] == "off" and p["on_call"] is False


async def test_counselor_is_never_matched_as_a_helper(live_server: LiveServer) -> None:
    c = await counselor(live_server)
    await raw_json(c, {"type": "status", "available": True, "capacity": 3,
                       "langs": ["en"], "topics": ["academic"], "ref": "x"})
    await frames_for(c, 200 * MS)
    s, _ = await seeker(live_server)
    q = await (raw_json(s, {"type": "request", "topic": "academic", "lang": "en"}))
    del q
    queued = await s.expect("queued", skip=())
    assert queued["helpers_online"] == 0
    assert not [f for f in await frames_for(c, 500 * MS) if f["type"] == "matched"]


async def test_seeker_cannot_send_status(live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    got = await reply_to(s, {"type": "status", "available": True, "capacity": 3})
    assert got["type"] == "error"
    # And is never treated as a helper.
    s2, _ = await seeker(live_server)
    await raw_json(s2, {"type": "request", "topic": "other", "lang": "en"})
    q = await s2.expect("queued", skip=())
    assert q["helpers_online"] == 0


async def test_two_helpers_one_seeker_goes_to_one(live_server: LiveServer) -> None:
    h1 = await helper(live_server, "oak")
    h2 = await helper(live_server, "pine")
    s, _ = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
    m = await s.expect("matched")
    await asyncio.sleep(300 * MS)
    got = [f for c in (h1, h2) for f in await frames_for(c, 200 * MS) if f["type"] == "matched"]
    assert len(got) == 1 and got[0]["session"] == m["session"]


async def test_request_while_queued_is_refused_not_a_second_session(
        live_server: LiveServer) -> None:
    s, _ = await seeker(live_server)
    q1 = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    assert q1["type"] == "queued"
    second = await reply_to(s, {"type": "request", "topic": "mood", "lang": "en"})
    # Either an error, or the same session again: never a second queue entry.
    if second["type"] == "queued":
        assert second["session"] == q1["session"]
    else:
        assert second["type"] == "error"


async def test_helper_capacity_above_10(live_server: LiveServer) -> None:
    """The contract puts no bound on capacity; a server limit must not look like a broken
    frame without saying so. Either accepted, or an error whose detail names capacity."""
    h, _ = await staff(live_server, "larch", "helper")
    got = await reply_to(h, {"type": "status", "available": True, "capacity": 12,
                             "topics": ["academic"], "langs": ["en"]})
    if got["type"] == "error":
        assert "capacity" in got["detail"], got
    else:
        assert got["type"] == "presence"


async def test_longest_waiting_seeker_is_served_first_topic_is_only_a_preference(
        live_server: LiveServer) -> None:
    """Issue 2: the longest-waiting seeker goes first, to a helper who speaks the language and
    preferably knows the topic; a topic the helper did not list does not make them wait."""
    first, _ = await seeker(live_server)
    q1 = await reply_to(first, {"type": "request", "topic": "family", "lang": "en"})
    second, _ = await seeker(live_server)
    await reply_to(second, {"type": "request", "topic": "mood", "lang": "en"})
    h = await helper(live_server, capacity=1, topics=("mood",), langs=("en",))
    m = await until(h, "matched")
    assert m["session"] == q1["session"], "the seeker who waited longest goes first"
