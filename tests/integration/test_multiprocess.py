"""Two server processes sharing one Redis: Redis is the only shared state."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from server.store.client import connect
from tests.conftest import LiveServer
from tests.integration.test_escalation import CRISIS_EN
from tests.timing import MS

pytestmark = pytest.mark.multiprocess


async def test_seeker_on_one_process_helper_on_another(live_server: LiveServer) -> None:
    other = await asyncio.to_thread(live_server.spawn_process)
    helper = await live_server.helper(url=other)
    seeker, welcome = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    assert (await helper.expect("matched"))["session"] == sid
    helper_welcome = helper.seen[0]
    assert helper_welcome["node"] != welcome["node"]  # really two processes

    for i in range(20):
        await seeker.send({"type": "say", "session": sid, "text": f"s{i}", "ref": f"s{i}"})
        await helper.send({"type": "say", "session": sid, "text": f"h{i}", "ref": f"h{i}"})
    seeker_got = [f for f in [await seeker.recv() for _ in range(40)]]
    helper_got = [f for f in [await helper.recv() for _ in range(40)]]
    assert [f["text"] for f in helper_got if f["type"] == "message"] == [f"s{i}" for i in range(20)]
    assert [f["text"] for f in seeker_got if f["type"] == "message"] == [f"h{i}" for i in range(20)]
    seqs = sorted(f["seq"] for f in seeker_got + helper_got if f["type"] in ("ack",))
    assert seqs == list(range(1, 41))  # one sequence for the session, across both processes
    # What crossed processes (packed by say.lua) is the message the sender's ack stored.
    acks = {f["id"]: f for f in seeker_got if f["type"] == "ack"}
    crossed = [f for f in helper_got if f["type"] == "message"]
    assert [f["id"] for f in crossed] == [f["id"] for f in seeker_got if f["type"] == "ack"]
    for message in crossed:
        ack = acks[message["id"]]
        assert message["session"] == sid and message["from"] == "seeker"
        assert message["alias"] == welcome["alias"]
        assert (message["seq"], message["ts"]) == (ack["seq"], ack["ts"])

    await seeker.send({"type": "typing", "session": sid})
    assert (await helper.expect("typing", skip=()))["from"] == "seeker"
    await seeker.send({"type": "leave", "session": sid})
    assert (await helper.expect("ended"))["by"] == "seeker"


async def test_resume_on_the_other_process(live_server: LiveServer) -> None:
    other = await asyncio.to_thread(live_server.spawn_process)
    helper = await live_server.helper()
    seeker, welcome = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    await helper.expect("matched")
    await seeker.close()
    missed = await helper.say(sid, "did you get disconnected?")
    back = await live_server.client(other)
    await back.hello_seeker(resume=welcome["resume"], last_seen={})
    assert (await back.expect("message"))["id"] == missed["id"]
    await back.say(sid, "yes, I'm back")
    assert (await helper.expect("message"))["text"] == "yes, I'm back"
    await helper.say(sid, "welcome back")
    assert (await back.expect("message"))["text"] == "welcome back"


async def test_claim_race_across_processes_has_one_winner(live_server: LiveServer) -> None:
    other = await asyncio.to_thread(live_server.spawn_process)
    here = await live_server.counselor("cedar")
    there = await live_server.counselor("aspen", url=other)
    helper = await live_server.helper(url=other)
    seeker, _ = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    await helper.expect("matched")
    await seeker.say(sid, CRISIS_EN)
    alert_here = await here.expect("alert", skip=("watch",))
    alert_there = await there.expect("alert", skip=("watch",))
    assert alert_here["alert"] == alert_there["alert"]
    await asyncio.gather(
        here.send({"type": "claim", "alert": alert_here["alert"], "ref": "a"}),
        there.send({"type": "claim", "alert": alert_here["alert"], "ref": "b"}),
    )
    outcomes = []
    for c in (here, there):
        # The loser may first see the broadcast alert_claimed (no ref); its own answer has one.
        frame = await c.expect_any(("joined", "alert_claimed"))
        while frame["type"] == "alert_claimed" and "ref" not in frame:
            frame = await c.expect_any(("joined", "alert_claimed"))
        outcomes.append(frame["type"])
    assert sorted(outcomes) == ["alert_claimed", "joined"]


async def test_no_seeker_is_matched_twice_with_helpers_on_two_processes(
    live_server: LiveServer,
) -> None:
    other = await asyncio.to_thread(live_server.spawn_process)
    helpers = [await live_server.helper(f"h{i}", capacity=3, url=other if i % 2 else None)
               for i in range(4)]
    seekers = []
    for i in range(12):
        s = await live_server.client(other if i % 2 else None)
        await s.hello_seeker()
        seekers.append(s)
    await asyncio.gather(*(s.send({"type": "request", "topic": "other", "lang": "en"})
                           for s in seekers))
    sessions = [(await s.expect("matched"))["session"] for s in seekers]
    assert len(set(sessions)) == 12
    per_helper = [[(await h.expect("matched"))["session"] for _ in range(3)] for h in helpers]
    flat = [sid for group in per_helper for sid in group]
    assert sorted(flat) == sorted(sessions)  # each session exactly once, none over capacity


async def test_a_process_that_dies_does_not_leave_ghost_helpers(live_server: LiveServer) -> None:
    other = await asyncio.to_thread(live_server.spawn_process)
    ghost = await live_server.helper("ghost", url=other)
    seeker, _ = await live_server.seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    assert (await ghost.expect("matched"))["session"] == sid
    live_server.extra_processes[0].kill()  # no clean shutdown: the process just dies
    # Its helper is taken for gone: after the grace the seeker is back at the front...
    left = await seeker.expect("participant", timeout=15_000 * MS)
    assert left["role"] == "helper" and left["joined"] is False
    queued = await seeker.expect("queued", skip=())
    assert queued["session"] == sid
    # ...and a new seeker is not matched to the ghost.
    assert await live_server.runtime.queue.helpers_online() == 0
    real = await live_server.helper("real")
    assert (await real.expect("matched"))["session"] == sid


async def test_the_listener_subscribes_again_when_redis_drops_it(live_server: LiveServer) -> None:
    """Events from other processes arrive on one subscription; when Redis drops it (a restart,
    a failover, CLIENT KILL), the hub subscribes again and events flow as before."""
    hub = live_server.runtime.hub
    channel = hub.keys.node_channel(hub.node)
    seeker, _ = await live_server.seeker()
    (uid,) = list(hub.users)
    redis = connect(live_server.redis_url, pool_size=2)

    async def subscribers() -> int:
        return int(dict(await redis.pubsub_numsub(channel))[channel.encode()])

    async def event_reaches_the_seeker(text: str) -> None:
        event = {"k": "user", "uid": uid, "frames": [{"type": "notice", "text": text}]}
        await redis.publish(channel, msgpack.packb(event))
        assert (await seeker.expect("notice"))["text"] == text

    try:
        assert hub.listening and await subscribers() == 1
        await event_reaches_the_seeker("before")
        assert await redis.client_kill_filter(_type="pubsub") >= 1
        deadline = asyncio.get_running_loop().time() + 10_000 * MS
        while await subscribers() != 1 or not hub.listening:
            assert asyncio.get_running_loop().time() < deadline, "no new subscription"
            await asyncio.sleep(50 * MS)
        await event_reaches_the_seeker("after")
    finally:
        await redis.aclose(close_connection_pool=True)  # connect() hands the pool in
