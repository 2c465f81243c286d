"""Transfer and blocking end to end: history and capacity kept, blocked pairs never rematched."""

from __future__ import annotations

import asyncio
import json

from tests.client import Client
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.timing import MS

HANDOVER = "exam stress; prefers short answers"


async def ask(live: LiveServer, url: str | None = None) -> tuple[Client, str]:
    seeker, _ = await live.seeker(url=url)
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    return seeker, (await seeker.expect("queued", skip=()))["session"]


async def test_transfer_to_a_named_helper_keeps_history_and_hides_the_note(
    live_server: LiveServer,
) -> None:
    seeker, maple, sid = await matched_pair(live_server)
    other = await asyncio.to_thread(live_server.spawn_process)
    birch = await live_server.helper("birch", capacity=1, url=other)
    first = await seeker.say(sid, "Exams are next week")
    await maple.expect("message")

    await maple.send({"type": "transfer", "session": sid, "to": "birch", "note": HANDOVER,
                      "ref": "t1"})
    done = await maple.expect("transferred")
    assert done == {"type": "transferred", "session": sid, "to": "Birch", "ref": "t1"}
    left = await seeker.expect("participant")
    assert left == {"type": "participant", "session": sid, "role": "helper", "alias": "Maple",
                    "joined": False, "reason": "transferred"}
    matched = await seeker.expect("matched")
    assert matched["session"] == sid and matched["peers"] == [{"role": "helper",
                                                               "alias": "Birch"}]
    got = await birch.expect("matched")
    assert got["session"] == sid and got["transferred"] is True
    assert got["handover_note"] == HANDOVER
    assert [m["text"] for m in got["transcript"]] == [first["text"]]

    # The conversation goes on with the new helper; the old one is out of it.
    second = await seeker.say(sid, "hello again")
    assert second["seq"] == 2
    assert (await birch.expect("message"))["text"] == "hello again"
    await maple.send({"type": "say", "session": sid, "text": "still me?", "ref": "x"})
    assert (await maple.expect("error"))["code"] in ("not_in_session", "session_ended")
    await seeker.no_frame(400 * MS)
    assert HANDOVER not in json.dumps(seeker.seen)

    # Capacity holds: Birch (capacity 1) is full, so a second transfer to Birch is refused.
    seeker2, s2 = await ask(live_server)
    await seeker2.expect("matched")
    await maple.expect("matched")
    await maple.send({"type": "transfer", "session": s2, "to": "Birch", "ref": "t2"})
    refused = await maple.expect("error")
    assert refused["code"] == "conflict" and refused["ref"] == "t2"
    await maple.say(s2, "I'm still here with you")  # and nothing broke
    assert (await seeker2.expect("message"))["from"] == "helper"
    assert len(await live_server.runtime.queue.helper_sessions(
        await _uid(live_server, "birch"))) == 1


async def _uid(live: LiveServer, name: str) -> str:
    account = await live.runtime.staff.get(name)
    assert account is not None
    return account.uid


async def test_transfer_back_to_the_queue_is_never_given_back_to_the_same_helper(
    live_server: LiveServer,
) -> None:
    seeker, maple, sid = await matched_pair(live_server)
    await seeker.say(sid, "Exams are next week")
    await maple.expect("message")
    await maple.send({"type": "transfer", "session": sid, "to": None, "note": HANDOVER,
                      "ref": "t"})
    assert (await maple.expect("transferred"))["to"] is None
    assert (await seeker.expect("participant"))["reason"] == "transferred"
    queued = await seeker.expect("queued", skip=())
    assert queued["session"] == sid and queued["position"] == 1
    # Maple is free and available, but is not given this seeker back.
    await maple.no_frame(1_000 * MS, of="matched")
    await seeker.no_frame(200 * MS, of="matched")

    birch = await live_server.helper("birch")
    got = await birch.expect("matched")
    assert got["session"] == sid and got["transferred"] is True
    assert got["handover_note"] == HANDOVER and len(got["transcript"]) == 1
    assert (await seeker.expect("matched"))["peers"][0]["alias"] == "Birch"
    assert HANDOVER not in json.dumps(seeker.seen)


async def test_transfer_refuses_bad_input(live_server: LiveServer) -> None:
    seeker, maple, sid = await matched_pair(live_server)

    async def code(c: Client, frame: dict[str, object]) -> str:
        await c.send({**frame, "ref": "e"})
        return str((await c.expect("error"))["code"])

    assert await code(seeker, {"type": "transfer", "session": sid, "to": None}) == "forbidden"
    assert await code(maple, {"type": "transfer", "session": sid, "to": "Nobody"}) == \
        "not_found"
    assert await code(maple, {"type": "transfer", "session": sid, "to": "Maple"}) == \
        "conflict"
    assert await code(maple, {"type": "transfer", "session": "z" * 30, "to": None}) == \
        "not_in_session"
    assert await code(maple, {"type": "transfer", "session": sid, "to": 5}) == "bad_frame"
    assert await code(maple, {"type": "transfer", "session": sid, "note": "x" * 1001}) == \
        "bad_frame"
    await seeker.say(sid, "still talking")
    assert (await maple.expect("message"))["text"] == "still talking"


async def test_a_blocked_pair_is_never_matched_again(live_server: LiveServer) -> None:
    seeker, maple, sid = await matched_pair(live_server)
    await maple.send({"type": "block", "session": sid, "reason": "abusive", "ref": "b"})
    mine = await maple.expect("ended")
    assert mine["reason"] == "blocked" and mine["by"] == "helper" and mine["ref"] == "b"
    assert (await seeker.expect("ended"))["reason"] == "blocked"
    entries = await live_server.runtime.redis.xrange(live_server.runtime.keys.audit)
    blocked = [e for _, e in entries if e[b"event"] == b"blocked"]
    assert blocked and b"abusive" not in b"".join(v for e in blocked for v in e.values())

    # The same seeker asks again: Maple is free, but they are never paired.
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q2"})
    assert (await seeker.expect("queued", skip=()))["ref"] == "q2"
    await seeker.no_frame(1_000 * MS, of="matched")
    birch = await live_server.helper("birch")
    assert (await seeker.expect("matched"))["peers"][0]["alias"] == "Birch"
    await birch.expect("matched")


async def test_blocked_pairs_never_rematch_under_many_seekers(live_server: LiveServer) -> None:
    maple = await live_server.helper("maple", capacity=20)
    blocked: list[tuple[Client, str]] = []
    for _ in range(4):
        seeker, sid = await ask(live_server)
        await seeker.expect("matched")
        await maple.expect("matched")
        await maple.send({"type": "block", "session": sid})
        await maple.expect("ended")
        blocked.append((seeker, sid))
    # Everyone asks at once: the four blocked seekers and eight others.
    for seeker, _ in blocked:
        await seeker.send({"type": "request", "topic": "academic", "lang": "en"})
    others = await asyncio.gather(*(ask(live_server) for _ in range(8)))
    matched = {(await maple.expect("matched"))["session"] for _ in range(8)}
    assert matched == {sid for _, sid in others}
    await maple.no_frame(1_000 * MS, of="matched")
    for seeker, _ in blocked:
        await seeker.no_frame(100 * MS, of="matched")
        blocked_at = max(i for i, f in enumerate(seeker.seen) if f["type"] == "ended")
        after = [f["type"] for f in seeker.seen[blocked_at:]]
        assert "queued" in after and "matched" not in after


async def test_a_seeker_blocked_three_times_is_paused_with_help_still_shown(
    live_server: LiveServer,
) -> None:
    seeker, _ = await live_server.seeker()
    for name in ("maple", "birch", "cedar"):
        helper = await live_server.helper(name)
        await seeker.send({"type": "request", "topic": "academic", "lang": "en"})
        sid = (await seeker.expect("matched"))["session"]
        await helper.expect("matched")
        await helper.send({"type": "block", "session": sid})
        await seeker.expect("ended")
        await helper.close()
    await seeker.send({"type": "request", "topic": "academic", "lang": "en", "ref": "q"})
    refused = await seeker.expect("error")
    assert refused["code"] == "blocked" and refused["ref"] == "q"
    assert refused["resources"] and refused["detail"]
    assert refused["retry_after_s"] > 0


async def test_the_seeker_can_block_a_helper(live_server: LiveServer) -> None:
    seeker, maple, sid = await matched_pair(live_server)
    await seeker.send({"type": "block", "session": sid, "ref": "b"})
    assert (await seeker.expect("ended"))["reason"] == "blocked"
    ended = await maple.expect("ended")
    assert ended["by"] == "seeker" and ended["reason"] == "blocked"
    await seeker.send({"type": "request", "topic": "academic", "lang": "en"})
    await seeker.expect("queued", skip=())
    await maple.no_frame(1_000 * MS, of="matched")
    # A seeker's own block is not counted against them.
    runtime = live_server.runtime
    assert await runtime.redis.keys(runtime.keys.blocked_by("*")) == []
