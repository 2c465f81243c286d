"""Coming back: resume with last_seen; staff welcome lists their sessions (PROTOCOL.md: Opening)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.client import Client
from tests.conftest import LiveServer
from tests.timing import MS

from ._util import drop, frames_for, helper, pair, raw_json, reply_to, say, seeker, until


async def resume(live: LiveServer, token: str, last_seen: dict[str, str] | None = None,
                 url: str | None = None) -> tuple[Client, dict[str, Any]]:
    c = await live.client(url)
    frame: dict[str, Any] = {"type": "hello", "role": "seeker", "resume": token}
    if last_seen is not None:
        frame["last_seen"] = last_seen
    await raw_json(c, frame)
    welcome = await c.expect("welcome", skip=())
    return c, welcome


async def messages_after_welcome(c: Client, n: int,
                                 quiet: float = 400 * MS) -> list[dict[str, Any]]:
    """The `message` frames that follow the welcome: wait for ``n``, then a quiet spell."""
    got: list[dict[str, Any]] = []
    while len(got) < n:
        f = await c.recv()
        if f["type"] == "message":
            got.append(f)
    got += [f for f in await frames_for(c, quiet) if f["type"] == "message"]
    return got


async def test_resume_replays_every_message_after_last_seen_in_order_once(
        live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    a1 = await say(s, sid, "one")
    await until(h, "message")
    a2 = await say(h, sid, "two")
    m2 = await until(s, "message")
    assert m2["id"] == a2["id"]
    a3 = await say(s, sid, "three (mine, acked, but the ack was 'lost')")
    await drop(s)
    # While the seeker is away the helper goes on.
    a4 = await say(h, sid, "four")
    a5 = await say(h, sid, "five")
    s2, w2 = await resume(live_server, welcome["resume"], {sid: a2["id"]})
    assert w2["role"] == "seeker" and w2["alias"] == welcome["alias"]
    assert w2["resume"]
    summary = [x for x in w2["sessions"] if x["session"] == sid]
    assert len(summary) == 1, w2["sessions"]
    assert summary[0]["state"] == "active"
    assert summary[0]["peers"] == [{"role": "helper", "alias": "Maple"}]
    assert summary[0]["position"] is None
    got = await messages_after_welcome(s2, 3)
    assert [m["id"] for m in got] == [a3["id"], a4["id"], a5["id"]]
    assert [m["seq"] for m in got] == [3, 4, 5]
    assert got[0]["from"] == "seeker" and got[1]["from"] == "helper"
    assert all(m["session"] == sid for m in got)
    # Carrying on works, seq continues.
    a6 = await say(s2, sid, "six")
    assert a6["seq"] == 6
    assert (await until(h, "message"))["id"] == a6["id"]
    del a1


async def test_resume_without_last_seen_entry_gets_the_whole_transcript(
        live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    ids = [(await say(s, sid, "a"))["id"], (await say(h, sid, "b"))["id"],
           (await say(s, sid, "c"))["id"]]
    await drop(s)
    s2, w2 = await resume(live_server, welcome["resume"], {})
    assert [x["session"] for x in w2["sessions"]] == [sid]
    got = await messages_after_welcome(s2, 3)
    assert [m["id"] for m in got] == ids


async def test_resume_with_no_last_seen_field_gets_the_whole_transcript(
        live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    ids = [(await say(s, sid, "a"))["id"], (await say(h, sid, "b"))["id"]]
    await drop(s)
    s2, w2 = await resume(live_server, welcome["resume"], None)
    got = await messages_after_welcome(s2, 2)
    assert [m["id"] for m in got] == ids


async def test_resume_with_last_seen_of_the_newest_message_replays_nothing(
        live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    await say(s, sid, "a")
    last = await say(h, sid, "b")
    await drop(s)
    s2, _ = await resume(live_server, welcome["resume"], {sid: last["id"]})
    assert not [f for f in await frames_for(s2, 500 * MS) if f["type"] == "message"]


async def test_resume_with_a_garbage_last_seen_keeps_the_connection(
        live_server: LiveServer) -> None:
    """An id the server never issued: not a crash (1011). Either the whole transcript or an
    error; the connection must stay usable."""
    s, h, sid, welcome = await pair(live_server)
    await say(s, sid, "a")
    await drop(s)
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "resume": welcome["resume"],
                       "last_seen": {sid: "not-an-id"}})
    first = await c.recv()
    assert first["type"] in ("welcome", "error"), first
    if first["type"] == "welcome":
        got = await reply_to(c, {"type": "say", "session": sid, "text": "still ok"})
        assert got["type"] == "ack"


async def test_messages_sent_during_resume_are_neither_lost_nor_doubled(
        live_server: LiveServer) -> None:
    """Each message once, in order, even when the helper keeps talking while the seeker comes
    back (the window between joining the session and reading the transcript)."""
    s, h, sid, welcome = await pair(live_server)
    for i in range(20):
        await raw_json(h, {"type": "say", "session": sid, "text": f"pre{i}", "ref": f"p{i}"})
    acks = 0
    while acks < 20:
        if (await h.recv())["type"] == "ack":
            acks += 1
    await drop(s)

    async def chatter() -> None:
        for i in range(30):  # within the helper's rate budget (burst 50, then 20/s)
            await raw_json(h, {"type": "say", "session": sid, "text": f"live{i}",
                               "ref": f"l{i}"})
            await asyncio.sleep(10 * MS)

    task = asyncio.create_task(chatter())
    await asyncio.sleep(30 * MS)
    s2, _ = await resume(live_server, welcome["resume"], {})
    await task
    live_acks = []
    while len(live_acks) < 30:
        f = await h.recv()
        assert f["type"] != "error", f
        if f["type"] == "ack":
            live_acks.append(f)
    got = [f for f in await frames_for(s2, 1_000 * MS) if f["type"] == "message"]
    got += [f for f in s2.seen if f["type"] == "message" and f not in got]
    seqs = [m["seq"] for m in got]
    assert len(seqs) == len(set(seqs)), f"duplicates: {seqs}"
    assert seqs == sorted(seqs), f"out of order: {seqs}"
    assert seqs == list(range(1, 51)), seqs


async def test_session_ended_while_away_is_listed_as_ended(live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    a = await say(s, sid, "hello")
    await drop(s)
    await asyncio.sleep(300 * MS)  # the server has noticed the drop
    b = await say(h, sid, "I have to go now, take care")
    await raw_json(h, {"type": "leave", "session": sid})
    await until(h, "ended")
    s2, w2 = await resume(live_server, welcome["resume"], {sid: a["id"]})
    summary = [x for x in w2["sessions"] if x["session"] == sid]
    assert len(summary) == 1 and summary[0]["state"] == "ended", w2["sessions"]
    assert summary[0]["position"] is None
    got = await messages_after_welcome(s2, 1)
    assert [m["id"] for m in got] == [b["id"]]


async def test_session_that_ended_on_a_half_open_connection_is_listed_as_ended(
        live_server: LiveServer) -> None:
    """The seeker's network dies silently (no FIN: the server still thinks it is connected),
    the helper leaves, the seeker comes back on a new connection. It never received `ended`,
    so the session ended while it was away: it must be listed as ended with the missed
    messages, not silently forgotten."""
    s, h, sid, welcome = await pair(live_server)
    a = await say(s, sid, "hello")
    await until(h, "message")
    s.ws.transport.pause_reading()  # the phone lost signal: nothing more reaches the client
    b = await say(h, sid, "I have to go now, take care")
    await raw_json(h, {"type": "leave", "session": sid})
    await until(h, "ended")
    s2, w2 = await resume(live_server, welcome["resume"], {sid: a["id"]})
    summary = [x for x in w2["sessions"] if x["session"] == sid]
    assert len(summary) == 1 and summary[0]["state"] == "ended", w2["sessions"]
    got = await messages_after_welcome(s2, 1)
    assert [m["id"] for m in got] == [b["id"]]


async def test_queued_session_is_listed_with_position_on_resume(
        live_server: LiveServer) -> None:
    s, welcome = await seeker(live_server)
    q = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    await drop(s)
    s2, w2 = await resume(live_server, welcome["resume"], {})
    assert w2["sessions"] == [{"session": q["session"], "state": "queued", "peers": [],
                               "position": 1}] or (
        len(w2["sessions"]) == 1 and w2["sessions"][0]["state"] == "queued"
        and w2["sessions"][0]["position"] == 1 and w2["sessions"][0]["peers"] == [])
    # Still served once a helper comes.
    await helper(live_server)
    m = await until(s2, "matched")
    assert m["session"] == q["session"]


async def test_resumed_seeker_is_matched_later_on_the_new_connection(
        live_server: LiveServer) -> None:
    s, welcome = await seeker(live_server)
    q = await reply_to(s, {"type": "request", "topic": "academic", "lang": "en"})
    await drop(s)
    s2, _ = await resume(live_server, welcome["resume"], {})
    h = await helper(live_server)
    assert (await until(s2, "matched"))["session"] == q["session"]
    assert (await until(h, "matched"))["session"] == q["session"]


async def test_staff_welcome_lists_their_sessions(live_server: LiveServer) -> None:
    token = await live_server.staff_token("maple", "helper", alias="Maple")
    h = await live_server.client()
    await raw_json(h, {"type": "hello", "role": "helper", "token": token})
    await h.expect("welcome", skip=())
    await raw_json(h, {"type": "status", "available": True, "capacity": 3,
                       "topics": ["academic"], "langs": ["en"], "ref": "p"})
    await until(h, "presence")
    s, h, sid, welcome = await pair(live_server, h)
    a = await say(s, sid, "hi")
    await until(h, "message")
    await drop(h)
    b = await say(s, sid, "are you there?")
    h2 = await live_server.client()
    await raw_json(h2, {"type": "hello", "role": "helper", "token": token})
    w = await h2.expect("welcome", skip=())
    assert w["role"] == "helper" and w["alias"] == "Maple"
    summary = [x for x in w["sessions"] if x["session"] == sid]
    assert len(summary) == 1, w["sessions"]
    assert summary[0]["state"] == "active"
    assert {"role": "seeker", "alias": welcome["alias"]} in summary[0]["peers"]
    # The console can carry on: it is in the session again.
    got = await reply_to(h2, {"type": "say", "session": sid, "text": "back, sorry"})
    assert got["type"] == "ack"
    assert (await until(s, "message"))["id"] == got["id"]
    del a, b


async def test_new_connection_of_the_same_seeker_replaces_the_old(
        live_server: LiveServer) -> None:
    s, h, sid, welcome = await pair(live_server)
    s2, w2 = await resume(live_server, welcome["resume"], {})
    # Only one of them gets the helper's next message afterwards: the new one.
    a = await say(h, sid, "who's there?")
    got = await until(s2, "message", )
    while got["id"] != a["id"]:
        got = await until(s2, "message")
    old = [f for f in s.seen if f["type"] == "message"]
    assert a["id"] not in [m["id"] for m in old]
    # The replaced connection is closed (the extension says 4000; any close is fine here).
    import websockets
    try:
        await frames_for(s, 300 * MS)
    except websockets.ConnectionClosed:
        pass


async def test_seeker_who_does_not_come_back_ends_the_session_for_the_helper(
        live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await drop(s)
    e = await until(h, "ended", timeout=live_server.settings.seeker_grace_s + 4_000 * MS)
    assert e["session"] == sid and e["by"] in ("server", "seeker")


async def test_staff_welcome_for_a_counselor_lists_claimed_sessions(
        live_server: LiveServer) -> None:
    from ._util import CRISIS_EN
    token = await live_server.staff_token("cedar", "counselor", alias="Cedar")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "counselor", "token": token})
    await c.expect("welcome", skip=())
    await reply_to(c, {"type": "status", "on_call": True})
    s, h, sid, _ = await pair(live_server)
    await say(s, sid, CRISIS_EN)
    alert = await until(c, "alert")
    await raw_json(c, {"type": "claim", "alert": alert["alert"]})
    await until(c, "joined")
    await drop(c)
    c2 = await live_server.client()
    await raw_json(c2, {"type": "hello", "role": "counselor", "token": token})
    w = await c2.expect("welcome", skip=())
    assert w["role"] == "counselor"
    assert sid in [x["session"] for x in w["sessions"]], w["sessions"]


async def test_resume_with_a_slow_transcript_read_neither_doubles_nor_reorders(
        live_server: LiveServer) -> None:
    """The same race as above, made certain: the transcript read on resume is slowed by 300 ms
    (as under load, or with Redis busy) while the helper talks. The contract still holds:
    every message after last_seen, in order, each once — and the welcome comes first."""
    s, h, sid, welcome = await pair(live_server)
    for i in range(5):
        await say(h, sid, f"pre{i}")
    await frames_for(s, 100 * MS)
    await drop(s)

    sessions = live_server.runtime.sessions
    original = sessions.messages

    async def slow_messages(*args, **kwargs):  # type: ignore[no-untyped-def]
        await asyncio.sleep(300 * MS)
        return await original(*args, **kwargs)

    sessions.messages = slow_messages  # type: ignore[method-assign]
    try:
        c = await live_server.client()
        await raw_json(c, {"type": "hello", "role": "seeker", "resume": welcome["resume"],
                           "last_seen": {}})
        await asyncio.sleep(100 * MS)  # the server is now reading the transcript
        live = [await say(h, sid, f"live{i}") for i in range(3)]
        await frames_for(c, 800 * MS)
    finally:
        sessions.messages = original  # type: ignore[method-assign]
    kinds = [f["type"] for f in c.seen]
    assert kinds and kinds[0] == "welcome", kinds
    seqs = [f["seq"] for f in c.seen if f["type"] == "message"]
    assert seqs == list(range(1, 9)), seqs
    del live
