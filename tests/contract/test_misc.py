"""Odds and ends of the contract that an outside client will hit."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.timing import MS

from ._util import drop, frames_for, helper, pair, raw_json, reply_to, say, seeker, until


async def test_welcome_is_a_reply_to_hello_and_carries_its_ref(live_server: LiveServer) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "lang": "en", "resume": None,
                       "ref": "h1"})
    w = await c.expect("welcome", skip=())
    assert w.get("ref") == "h1", w


async def test_minimal_seeker_hello(live_server: LiveServer) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker"})
    w = await c.expect("welcome", skip=())
    assert w["role"] == "seeker" and w["resume"] and w["alias"] and w["sessions"] == []


async def test_each_seeker_gets_its_own_resume_token(live_server: LiveServer) -> None:
    tokens = set()
    for _ in range(5):
        _, w = await seeker(live_server)
        tokens.add(w["resume"])
        assert len(w["resume"]) >= 22
    assert len(tokens) == 5


async def test_last_seen_naming_someone_elses_session_reveals_nothing(
        live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    await say(s, sid, "private words")
    _, w = await seeker(live_server)
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "resume": w["resume"],
                       "last_seen": {sid: "0-0"}})
    welcome = await c.expect("welcome", skip=())
    assert welcome["sessions"] == []
    assert not [f for f in await frames_for(c, 400 * MS) if f["type"] == "message"]


async def test_counselor_token_with_role_helper_as_in_the_table(live_server: LiveServer) -> None:
    """The contract's hello table shows one row for 'helper, counselor' with role "helper".
    A counselor whose client sends that row literally must either be let in as a counselor
    (the account's role) or be refused with unauthorized + 1008; never let in as a helper."""
    token = await live_server.staff_token("cedar", "counselor", alias="Cedar")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "helper", "token": token})
    first = await c.recv()
    if first["type"] == "welcome":
        assert first["role"] == "counselor", first
    else:
        assert first["type"] == "error" and first["code"] == "unauthorized", first
        assert await c.close_code() == 1008


async def test_helper_who_drops_and_does_not_come_back_requeues_the_seeker_at_the_front(
        live_server: LiveServer) -> None:
    """Issue 2: the seeker is told and put back at the front of the queue (ahead of a seeker
    who was already waiting)."""
    h = await helper(live_server, capacity=1)
    s, h, sid, _ = await pair(live_server, h)
    other, _ = await seeker(live_server)
    await raw_json(other, {"type": "request", "topic": "academic", "lang": "en"})
    oq = await until(other, "queued")
    assert oq["position"] == 1
    await drop(h)
    q = await s.expect_any(("queued",), timeout=live_server.settings.helper_grace_s + 4_000 * MS)
    more = [f for f in await frames_for(s, 400 * MS) if f["type"] == "queued"]
    positions = [f["position"] for f in [q] + more]
    assert q["session"] == sid and positions[-1] == 1, positions
    others = [f["position"] for f in await frames_for(other, 100 * MS) if f["type"] == "queued"]
    assert others[-1:] in ([2], [])
    h2 = await helper(live_server, "oak", capacity=1)
    m = await until(h2, "matched")
    assert m["session"] == sid
    assert (await until(s, "matched"))["peers"][0]["alias"] == "Oak"


async def test_helper_who_comes_back_in_time_keeps_the_session(live_server: LiveServer) -> None:
    token = await live_server.staff_token("maple", "helper", alias="Maple")
    h = await live_server.client()
    await raw_json(h, {"type": "hello", "role": "helper", "token": token})
    await h.expect("welcome", skip=())
    await reply_to(h, {"type": "status", "available": True, "capacity": 2,
                       "topics": ["academic"], "langs": ["en"]})
    s, h, sid, _ = await pair(live_server, h)
    await drop(h)
    a = await say(s, sid, "are you there?")
    h2 = await live_server.client()
    await raw_json(h2, {"type": "hello", "role": "helper", "token": token,
                        "last_seen": {}})
    w = await h2.expect("welcome", skip=())
    assert sid in [x["session"] for x in w["sessions"]]
    got = await reply_to(h2, {"type": "say", "session": sid, "text": "yes, sorry"})
    assert got["type"] == "ack"
    assert (await until(s, "message"))["id"] == got["id"]
    assert not [f for f in await frames_for(s, live_server.settings.helper_grace_s + 300 * MS)
                if f["type"] in ("queued", "ended")]
    del a
