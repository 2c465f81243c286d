"""Two server processes on one Redis: an outside client may land on either (PROTOCOL.md as a
whole holds across processes; issue 2: pairing atomic, relay via pub/sub)."""

from __future__ import annotations

import asyncio

from tests.conftest import LiveServer
from tests.timing import MS

from ._util import drop, frames_for, helper, raw_json, say, seeker, until


async def test_two_processes_capacity_relay_and_resume(live_server: LiveServer) -> None:
    url2 = live_server.spawn_process()
    # One helper with capacity 1 on process 2; two seekers ask at once, one per process.
    h = await helper(live_server, "maple", capacity=1, url=url2)
    s1, w1 = await seeker(live_server)
    c2 = await live_server.client(url2)
    await raw_json(c2, {"type": "hello", "role": "seeker", "lang": "en", "resume": None})
    w2 = await c2.expect("welcome", skip=())
    await asyncio.gather(
        raw_json(s1, {"type": "request", "topic": "academic", "lang": "en"}),
        raw_json(c2, {"type": "request", "topic": "academic", "lang": "en"}))
    first = await h.expect_any(("matched",))
    assert not [f for f in await frames_for(h, 800 * MS) if f["type"] == "matched"], \
        "capacity 1 exceeded across processes"
    sid = first["session"]
    s, w, other, wo = (s1, w1, c2, w2) if (await _matched_sid(s1, 500 * MS)) == sid else (
        c2, w2, s1, w1)
    # Relay across processes, in order.
    for i in range(10):
        await raw_json(s, {"type": "say", "session": sid, "text": f"m{i}", "ref": f"m{i}"})
    got = [(await until(h, "message"))["text"] for _ in range(10)]
    assert got == [f"m{i}" for i in range(10)]
    last = await say(h, sid, "reply")
    assert (await until(s, "message"))["id"] == last["id"]
    # The seeker drops and comes back on the *other* process, with last_seen.
    await drop(s)
    missed = await say(h, sid, "missed while away")
    target = url2 if s is s1 else live_server.ws_url
    back = await live_server.client(target)
    await raw_json(back, {"type": "hello", "role": "seeker", "resume": w["resume"],
                          "last_seen": {sid: last["id"]}})
    welcome = await back.expect("welcome", skip=())
    assert [x["state"] for x in welcome["sessions"] if x["session"] == sid] == ["active"]
    m = await until(back, "message")
    assert m["id"] == missed["id"]
    assert not [f for f in await frames_for(back, 300 * MS) if f["type"] == "message"]
    ack = await say(back, sid, "back")
    assert (await until(h, "message"))["id"] == ack["id"]
    del other, wo


async def _matched_sid(c, timeout: float) -> str | None:  # type: ignore[no-untyped-def]
    for f in c.seen:
        if f["type"] == "matched":
            return f["session"]
    try:
        return (await c.expect_any(("matched",), timeout))["session"]
    except TimeoutError:
        return None


async def test_one_seeker_never_goes_to_two_helpers_on_two_processes(
        live_server: LiveServer) -> None:
    url2 = live_server.spawn_process()
    h1 = await helper(live_server, "oak")
    h2 = await helper(live_server, "pine", url=url2)
    seekers = []
    for _ in range(3):
        s, _ = await seeker(live_server)
        seekers.append(s)
    await asyncio.gather(*(raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
                           for s in seekers))
    for s in seekers:
        await until(s, "matched")
    await asyncio.sleep(300 * MS)
    await frames_for(h1, 100 * MS)
    await frames_for(h2, 100 * MS)  # everything read lands in .seen
    m1 = [f["session"] for f in h1.seen if f["type"] == "matched"]
    m2 = [f["session"] for f in h2.seen if f["type"] == "matched"]
    assert len(m1) + len(m2) == 3 and not set(m1) & set(m2), (m1, m2)


async def test_resume_on_another_process_while_the_helper_keeps_talking(
        live_server: LiveServer) -> None:
    """Each message once, in order, when the seeker comes back on another process while the
    helper is sending."""
    url2 = live_server.spawn_process()
    h = await helper(live_server)
    s, welcome = await seeker(live_server)
    await raw_json(s, {"type": "request", "topic": "academic", "lang": "en"})
    sid = (await until(s, "matched"))["session"]
    await until(h, "matched")
    for i in range(10):
        await say(h, sid, f"pre{i}")
    await frames_for(s, 100 * MS)
    await drop(s)

    async def chatter() -> None:
        for i in range(25):
            await raw_json(h, {"type": "say", "session": sid, "text": f"live{i}",
                               "ref": f"l{i}"})
            await asyncio.sleep(10 * MS)

    task = asyncio.create_task(chatter())
    await asyncio.sleep(30 * MS)
    back = await live_server.client(url2)
    await raw_json(back, {"type": "hello", "role": "seeker", "resume": welcome["resume"],
                          "last_seen": {}})
    await back.expect("welcome", skip=())
    await task
    acks = 0
    while acks < 25:
        f = await h.recv()
        assert f["type"] != "error", f
        acks += f["type"] == "ack"
    await frames_for(back, 1_000 * MS)
    seqs = [f["seq"] for f in back.seen if f["type"] == "message"]
    assert len(seqs) == len(set(seqs)), f"duplicates: {seqs}"
    assert seqs == sorted(seqs), f"out of order: {seqs}"
    assert seqs == list(range(1, 36)), seqs
