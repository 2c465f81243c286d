"""Pairing and talking, end to end: real server, real Redis, real WebSocket clients."""

from __future__ import annotations

import asyncio

from tests.client import Client
from tests.conftest import LiveServer
from tests.timing import MS


async def matched_pair(live: LiveServer, note: str | None = None) -> tuple[Client, Client, str]:
    helper = await live.helper()
    seeker, _ = await live.seeker()
    request = {"type": "request", "topic": "academic", "lang": "en", "ref": "q"}
    if note is not None:
        request["note"] = note
    await seeker.send(request)
    queued = await seeker.expect("queued", skip=())
    assert queued["ref"] == "q" and queued["position"] == 1
    matched = await seeker.expect("matched")
    assert matched["peers"] == [{"role": "helper", "alias": "Maple"}]
    helper_matched = await helper.expect("matched")
    assert helper_matched["session"] == matched["session"] == queued["session"]
    assert helper_matched["peers"][0]["role"] == "seeker"
    assert helper_matched["topic"] == "academic"
    return seeker, helper, matched["session"]


async def test_seeker_and_helper_are_matched_and_talk(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    assert len(sid) >= 22

    ack = await seeker.say(sid, "  I failed my exam today  ", ref="c1")
    assert ack["ref"] == "c1" and ack["seq"] == 1 and ack["text"] == "I failed my exam today"
    message = await helper.expect("message")
    assert message == {"type": "message", "session": sid, "id": ack["id"], "from": "seeker",
                       "alias": seeker.seen[0]["alias"], "text": "I failed my exam today",
                       "ts": ack["ts"], "seq": 1}

    ack2 = await helper.say(sid, "I'm sorry, that sounds hard.", ref="h1")
    assert ack2["seq"] == 2
    reply = await seeker.expect("message")
    assert reply["from"] == "helper" and reply["alias"] == "Maple" and reply["seq"] == 2

    await seeker.send({"type": "typing", "session": sid})
    typing = await helper.expect("typing", skip=())
    assert typing == {"type": "typing", "session": sid, "from": "seeker"}

    await helper.send({"type": "leave", "session": sid})
    for side in (seeker, helper):
        ended = await side.expect("ended")
        assert ended["session"] == sid and ended["by"] == "helper"
    await seeker.send({"type": "say", "session": sid, "text": "hello?", "ref": "late"})
    error = await seeker.expect("error")
    assert error["code"] in ("session_ended", "not_in_session") and error["ref"] == "late"


async def test_messages_keep_the_order_they_were_accepted_in(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    for i in range(40):
        await seeker.send({"type": "say", "session": sid, "text": f"line {i}", "ref": f"c{i}"})
    acks = [await seeker.expect("ack") for _ in range(40)]
    assert [a["ref"] for a in acks] == [f"c{i}" for i in range(40)]
    assert [a["seq"] for a in acks] == list(range(1, 41))
    got = [await helper.expect("message") for _ in range(40)]
    assert [m["text"] for m in got] == [f"line {i}" for i in range(40)]
    assert [m["seq"] for m in got] == list(range(1, 41))


async def test_personal_data_is_masked_before_anyone_sees_it(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    ack = await seeker.say(sid, "call me on 138 1234 5678 or mail a.b@example.com")
    assert "1234" not in ack["text"] and "example.com" not in ack["text"]
    assert "[phone]" in ack["text"] and "[email]" in ack["text"]
    message = await helper.expect("message", skip=("queued", "typing", "flag"))
    assert message["text"] == ack["text"]


async def test_msgpack_subprotocol_works_both_ways(live_server: LiveServer) -> None:
    helper = await live_server.helper()
    seeker = await live_server.client(msgpack_codec=True)
    assert seeker.ws.subprotocol == "peerline.v1.msgpack"
    await seeker.hello_seeker()
    await seeker.send({"type": "request", "topic": "mood", "lang": "en"})
    sid = (await seeker.expect("matched"))["session"]
    await helper.expect("matched")
    ack = await seeker.say(sid, "hello in msgpack")
    assert ack["seq"] == 1
    assert (await helper.expect("message"))["text"] == "hello in msgpack"


async def test_client_without_subprotocol_gets_json(live_server: LiveServer) -> None:
    c = await live_server.client(subprotocol=False)
    assert c.ws.subprotocol is None
    welcome = await c.hello_seeker()
    assert welcome["role"] == "seeker" and welcome["resume"]


async def test_queue_positions_are_honest_and_fifo(live_server: LiveServer) -> None:
    seekers = []
    for _ in range(3):
        s, _ = await live_server.seeker()
        await s.send({"type": "request", "topic": "other", "lang": "en"})
        seekers.append(s)
    positions = [(await s.expect("queued", skip=()))["position"] for s in seekers]
    assert positions == [1, 2, 3]
    assert seekers[2].seen[-1]["helpers_online"] == 0
    assert seekers[2].seen[-1]["estimated_wait_s"] is None

    helper = await live_server.helper(capacity=1)
    sid0 = (await seekers[0].expect("matched"))["session"]
    assert (await helper.expect("matched"))["session"] == sid0
    # The others move up and are told so.
    update = await seekers[1].expect("queued", skip=())
    while update["position"] != 1:
        update = await seekers[1].expect("queued", skip=())
    assert update["helpers_online"] == 1
    update = await seekers[2].expect("queued", skip=())
    while update["position"] != 2:
        update = await seekers[2].expect("queued", skip=())
    # Capacity 1: nobody else is matched while the first session lasts.
    await seekers[1].no_frame(500 * MS, of="matched")
    await helper.send({"type": "leave", "session": sid0})
    await helper.expect("ended")
    sid1 = (await seekers[1].expect("matched"))["session"]
    assert (await helper.expect("matched", skip=("queued", "typing", "ended")))["session"] == sid1


async def test_helper_is_never_given_more_than_capacity(live_server: LiveServer) -> None:
    helper = await live_server.helper(capacity=2)
    seekers = []
    for _ in range(5):
        s, _ = await live_server.seeker()
        await s.send({"type": "request", "topic": "other", "lang": "en"})
        seekers.append(s)
    matched = {(await helper.expect("matched"))["session"] for _ in range(2)}
    await helper.no_frame(600 * MS, of="matched")
    assert len(matched) == 2
    await helper.send({"type": "status", "ref": "p2"})
    presence = await helper.expect("presence", skip=("queued", "typing", "matched"))
    assert presence["active"] == 2 and presence["capacity"] == 2


async def test_language_decides_the_helper(live_server: LiveServer) -> None:
    en = await live_server.helper("oak", langs=("en",))
    zh = await live_server.helper("pine", langs=("zh",))
    seeker, _ = await live_server.seeker(lang="zh")
    await seeker.send({"type": "request", "topic": "family", "lang": "zh"})
    sid = (await seeker.expect("matched"))["session"]
    assert (await zh.expect("matched"))["session"] == sid
    await en.no_frame(400 * MS, of="matched")


async def test_many_seekers_few_helpers_fair_and_no_double_match(
    live_server: LiveServer,
) -> None:
    seekers = []
    for _ in range(12):
        s, _ = await live_server.seeker()
        await s.send({"type": "request", "topic": "other", "lang": "en"})
        await s.expect("queued", skip=())
        seekers.append(s)
    helpers = await asyncio.gather(*(live_server.helper(f"h{i}", capacity=2) for i in range(3)))
    got: dict[str, str] = {}
    for i, h in enumerate(helpers):
        for _ in range(2):
            got[(await h.expect("matched"))["session"]] = f"h{i}"
    assert len(got) == 6  # six different sessions, each with exactly one helper
    matched_seekers = []
    for index, s in enumerate(seekers):
        try:
            m = await s.expect("matched", timeout=500 * MS)
            matched_seekers.append(index)
            assert m["session"] in got
        except TimeoutError:
            pass
    # First come, first served: the six who asked first are the six matched.
    assert matched_seekers == list(range(6))


async def test_a_seeker_cannot_touch_someone_elses_session(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    intruder, _ = await live_server.seeker()
    for frame in ({"type": "say", "session": sid, "text": "hi", "ref": "x"},
                  {"type": "typing", "session": sid, "ref": "x"},
                  {"type": "leave", "session": sid, "ref": "x"}):
        await intruder.send(frame)
        error = await intruder.expect("error")
        assert error["code"] == "not_in_session" and error["ref"] == "x"
    await helper.no_frame(300 * MS)
    await seeker.no_frame(100 * MS)


async def test_a_marked_resend_is_stored_once_and_acked_again(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    line = {"type": "say", "session": sid, "text": "sent while the network wobbled", "ref": "m-1"}
    await seeker.send(line)
    first = await seeker.expect("ack")
    await seeker.send({**line, "resend": True})  # the client lost the ack and sends it again
    again = await seeker.expect("ack")
    assert again["id"] == first["id"] and again["seq"] == first["seq"] == 1
    assert again["ref"] == "m-1"
    assert (await helper.expect("message"))["id"] == first["id"]
    await helper.no_frame(300 * MS, of="message")
    # Without the mark the same ref and text is simply another message (refs need not be
    # unique in the contract: a client may count refs per connection).
    await seeker.send(line)
    assert (await seeker.expect("ack"))["seq"] == 2
    # A marked resend with another text is a new message too.
    await seeker.send({**line, "text": "a different line", "resend": True})
    assert (await seeker.expect("ack"))["seq"] == 3
    assert [(await helper.expect("message"))["seq"] for _ in range(2)] == [2, 3]



async def test_a_resend_finds_a_ref_stored_by_an_older_server(live_server: LiveServer) -> None:
    """Servers before the packed ``say`` stored a ref as 'id seq ts digest', not just 'id':
    a client that lost its ack across the upgrade still gets the stored message back."""
    seeker, helper, sid = await matched_pair(live_server)
    line = {"type": "say", "session": sid, "text": "sent across an upgrade", "ref": "u-1"}
    await seeker.send(line)
    first = await seeker.expect("ack")
    svc = live_server.runtime
    refs = svc.keys.refs(sid)
    (field,) = [f for f in await svc.redis.hkeys(refs) if f != b"~"]  # '~' makes it a table
    await svc.redis.hset(refs, field, f"{first['id']} 1 {first['ts']} 0123456789abcdef")
    await seeker.send({**line, "resend": True})
    again = await seeker.expect("ack")
    assert (again["id"], again["seq"], again["ts"]) == (first["id"], 1, first["ts"])
    await helper.expect("message")
    await helper.no_frame(300 * MS, of="message")


async def test_the_refs_of_a_session_are_kept_in_a_hash_table(live_server: LiveServer) -> None:
    """Not in Redis's list form, which every new ref would scan whole (say.lua): a long
    conversation would make each message dearer for Redis."""
    seeker, helper, sid = await matched_pair(live_server)
    redis, refs = live_server.runtime.redis, live_server.runtime.keys.refs(sid)
    await seeker.say(sid, "one")
    await helper.say(sid, "two")
    assert await redis.object("encoding", refs) == b"hashtable"
    assert await redis.hlen(refs) == 3  # two refs and the '~' that makes it a table


async def test_messages_survive_redis_forgetting_its_scripts(live_server: LiveServer) -> None:
    seeker, helper, sid = await matched_pair(live_server)
    await live_server.runtime.redis.script_flush()  # as after a Redis restart
    ack = await seeker.say(sid, "still delivered")
    assert ack["seq"] == 1
    assert (await helper.expect("message"))["text"] == "still delivered"


async def test_a_fault_while_handling_a_say_closes_only_that_connection_with_1011(
    live_server: LiveServer,
) -> None:
    """A bug on the message path (here: screening raises) is logged and that connection is
    closed with 1011; nothing is stored or delivered, and the rest of the server carries on."""
    import websockets

    from tests.client import WAIT

    seeker, helper, sid = await matched_pair(live_server)
    escalation = live_server.runtime.escalation
    screen = escalation.screen

    def faulty(text: str, *args: object, **kwargs: object) -> object:
        if "trigger a fault" in text:
            raise RuntimeError("a bug in screening")
        return screen(text, *args, **kwargs)  # type: ignore[arg-type]

    escalation.screen = faulty  # type: ignore[method-assign]
    await seeker.send({"type": "say", "session": sid, "text": "trigger a fault", "ref": "x"})
    try:
        while True:
            frame = await seeker.recv(timeout=WAIT)
            assert frame["type"] != "ack", frame
    except websockets.ConnectionClosed as exc:
        assert exc.rcvd is not None and exc.rcvd.code == 1011
    # The helper is still served, and the seeker can come back.
    await helper.say(sid, "are you still there?")
    transcript = await live_server.runtime.sessions.messages(sid)
    assert [m["text"] for m in transcript] == ["are you still there?"]
