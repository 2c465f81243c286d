"""Privacy is a feature: no message text, token or address in logs; transcripts expire."""

from __future__ import annotations

import asyncio
import logging

import pytest

from server.web import logs
from tests.client import WAIT
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_logs_carry_no_text_tokens_or_addresses(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, log_format: str
) -> None:
    caplog.set_level(logging.DEBUG)
    seeker, helper, sid = await matched_pair(live_server, note="my secret first words")
    await seeker.say(sid, "a very private sentence")
    await helper.expect("message")
    await seeker.send({"type": "say", "session": "nope", "text": "another private line"})
    await seeker.expect("error")
    await seeker.send_raw("garbage that is private too")
    await seeker.expect("error")
    resume = seeker.seen[0]["resume"]
    await seeker.close()
    await helper.close()
    # What the server writes (the test's own client library logs its frames at DEBUG).
    def server_side() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name.split(".")[0] in (
            "peerline", "uvicorn", "server", "matching", "moderation")]

    # The server logs each connection's end (role and close code) once its socket is done.
    for _ in range(int(WAIT / 0.05)):
        if sum("connection closed" in r.getMessage() for r in server_side()) >= 2:
            break
        await asyncio.sleep(0.05)
    # As the configured formatter writes them (PEERLINE_LOG_FORMAT), tracebacks included.
    fmt = logs.formatter(log_format)
    logged = "\n".join(fmt.format(r) for r in server_side())
    assert "connection closed" in logged, "nothing logged: the check would prove nothing"
    for secret in ("private sentence", "another private line", "garbage that is private",
                   "my secret first words", resume, "127.0.0.1"):
        assert secret not in logged


async def test_ended_sessions_expire_after_the_retention(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(retention_s=120) as live:
        seeker, helper, sid = await matched_pair(live)
        await seeker.say(sid, "hello")
        redis, keys = live.runtime.redis, live.runtime.keys
        assert await redis.pttl(keys.session(sid)) > 120_000  # live sessions keep longer
        await seeker.send({"type": "leave", "session": sid})
        await helper.expect("ended", skip=("message", "queued", "typing"))
        for key in (keys.session(sid), keys.stream(sid)):
            ttl = await redis.pttl(key)
            assert 0 < ttl <= 120_000


async def test_a_live_session_outlives_its_last_message(server_factory) -> None:  # type: ignore[no-untyped-def]
    """A live session's hash and transcript expire ``seeker_ttl_s`` after the last message; the
    expiry is pushed back once an eighth of that has passed, not by every message."""
    async with server_factory(seeker_ttl_s=80) as live:
        seeker, helper, sid = await matched_pair(live)
        redis, keys = live.runtime.redis, live.runtime.keys
        hash_key, stream_key = keys.session(sid), keys.stream(sid)
        first = await seeker.say(sid, "hello")
        for key in (hash_key, stream_key):
            assert 70_000 < await redis.pttl(key) <= 80_000
        assert int(await redis.hget(hash_key, "ttl_next")) == first["ts"] + 10_000
        # Within the last eighth (10 s): a message does not push the expiry back.
        await redis.pexpire(hash_key, 40_000)
        await redis.pexpire(stream_key, 40_000)
        await helper.say(sid, "hi")
        for key in (hash_key, stream_key):
            assert await redis.pttl(key) <= 40_000
        # Once the last push is older than that, the next message pushes both back.
        next_push = int(await redis.hget(hash_key, "ttl_next"))
        await redis.hset(hash_key, "ttl_next", next_push - 10_001)
        await seeker.say(sid, "still here")
        for key in (hash_key, stream_key):
            assert 70_000 < await redis.pttl(key) <= 80_000


async def test_a_sessions_stored_refs_expire_with_it(server_factory) -> None:  # type: ignore[no-untyped-def]
    """The refs kept for re-sends expire with the session even when the first one is stored
    between two pushes of the session's expiry, and are pushed back with it."""
    async with server_factory(seeker_ttl_s=80) as live:
        seeker, helper, sid = await matched_pair(live)
        redis, keys = live.runtime.redis, live.runtime.keys
        hash_key, refs_key = keys.session(sid), keys.refs(sid)
        await seeker.send({"type": "say", "session": sid, "text": "no ref on this one"})
        await seeker.expect("ack")
        assert not await redis.exists(refs_key)
        await helper.say(sid, "this one has a ref")  # within the eighth: no push
        assert 70_000 < await redis.pttl(refs_key) <= 80_000
        await redis.pexpire(refs_key, 40_000)
        await seeker.say(sid, "so has this")
        assert await redis.pttl(refs_key) <= 40_000
        next_push = int(await redis.hget(hash_key, "ttl_next"))
        await redis.hset(hash_key, "ttl_next", next_push - 10_001)
        await seeker.send({"type": "say", "session": sid, "text": "and a push, with no ref"})
        await seeker.expect("ack")
        assert 70_000 < await redis.pttl(refs_key) <= 80_000


async def test_escalated_sessions_are_kept_longer(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(retention_s=120, escalated_retention_s=3600) as live:
        seeker, helper, sid = await matched_pair(live)
        await helper.send({"type": "escalate", "session": sid, "reason": "worried"})
        await helper.expect("escalated")
        await seeker.send({"type": "leave", "session": sid})
        await helper.expect("ended", skip=("queued", "typing", "cooldown"))
        ttl = await live.runtime.redis.pttl(live.runtime.keys.session(sid))
        assert 120_000 < ttl <= 3_600_000


async def test_peerline_serve_declines_compression(live_server: LiveServer) -> None:
    """No permessage-deflate, even when the client offers it: compressing a resume token or a
    staff token together with text an attacker chooses is how CRIME-style attacks read secrets."""
    import websockets

    url = await asyncio.to_thread(live_server.spawn_process)  # a real `peerline serve`
    for target in (url, live_server.ws_url):
        async with websockets.connect(target, compression="deflate") as ws:
            assert ws.response is not None
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
