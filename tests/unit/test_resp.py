"""The hot-path Redis connection: packing, and a real round trip against the embedded Redis."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from server.store.embedded import EmbeddedRedis
from server.store.keys import Keys
from server.store.resp import RespConnection, RespError, Subscription, bulk, pack
from server.store.scripts import ScriptRunner
from server.store.sessions import SessionStore, _lua_filled
from tests.timing import MS


def test_pack_writes_resp_arrays_of_bulk_strings() -> None:
    assert pack(["SET", "k", 5]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n"
    assert pack(["ECHO", "你好".encode()]) == (
        b"*2\r\n$4\r\nECHO\r\n$6\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
    )
    assert pack(["ECHO", "é"]) == b"*2\r\n$4\r\nECHO\r\n$2\r\n\xc3\xa9\r\n"

    assert bulk("你".encode()) == b"$3\r\n\xe4\xbd\xa0\r\n" and bulk(b"") == b"$0\r\n\r\n"


def test_a_say_packed_by_hand_is_what_hiredis_packs() -> None:
    """``say_command`` packs most of its call once; the bytes must still be the whole call."""
    runner = ScriptRunner(aioredis.Redis(), "redis://127.0.0.1:1/0")
    keys = Keys("pl")
    store = SessionStore(aioredis.Redis(), keys, runner, "node-1", live_ttl_s=3600,
                         retention_s=60, escalated_retention_s=120)
    sha = store._say.sha
    sid = "s" * 22
    session_keys = [keys.session(sid), keys.stream(sid), keys.refs(sid)]
    head = store.say_head(sid, "u1", "seeker", "Quiet Fox")
    assert store.say_command(head, "u1", "你好 there", 2, '{"v":1}', "r-7", True) == pack(
        ["EVALSHA", sha, 3, *session_keys,
         "u1", "seeker", "Quiet Fox", "你好 there", 2, '{"v":1}', "!u1:r-7", "node-1"])
    head = store.say_head(sid, "u2", "helper", "Maple")
    assert store.say_command(head, "u2", "hi", 0, "") == pack(
        ["EVALSHA", sha, 3, *session_keys, "u2", "helper", "Maple", "hi", 0, "", "", "node-1"])
    assert store.say_command(head, "u2", "über", 3, "", "réf") == pack(
        ["EVALSHA", sha, 3, *session_keys, "u2", "helper", "Maple", "über", 3, "", "u2:réf",
         "node-1"])


async def test_values_written_into_a_script_mean_just_themselves_in_lua(
    embedded_redis: EmbeddedRedis,
) -> None:
    """say.lua gets the deployment's key prefix written in as a Lua string: any prefix."""
    prefix = "a'b\\c]]\n{x}:é\"7"
    source = _lua_filled("return {'@P@', '@N@'}", {"@P@": prefix, "@N@": "80000"})
    connection = RespConnection(embedded_redis.url)
    try:
        (reply,) = await connection.batch([("EVAL", source, 0)])
    finally:
        connection.close()
    assert reply == [prefix.encode(), b"80000"]
    store = SessionStore(aioredis.Redis(), Keys("pl"), ScriptRunner(aioredis.Redis(), "redis://127.0.0.1:1/0"),
                         "node-1", live_ttl_s=80, retention_s=60, escalated_retention_s=120)
    assert "local LIVE = '80000'" in store._say.source and "@" not in store._say.source


async def test_batches_return_replies_in_order_with_errors_in_place(
    embedded_redis: EmbeddedRedis,
) -> None:
    connection = RespConnection(embedded_redis.url)
    try:
        replies = await connection.batch([
            ("SET", "resp-test", "x" * 100_000),  # more than one read's worth of reply below
            ("GET", "resp-test"),
            ("EVALSHA", "0" * 40, 0),
            ("EVAL", "return {1, 'two', {3}}", 0),
            ("DEL", "resp-test"),
        ])
        assert replies[0] == b"OK" and replies[1] == b"x" * 100_000
        assert isinstance(replies[2], RespError) and str(replies[2]).startswith("NOSCRIPT")
        assert replies[3] == [1, b"two", [3]] and replies[4] == 1
        # The connection is still usable after an error reply.
        assert await connection.batch([("PING",)]) == [b"PONG"]
    finally:
        connection.close()


async def test_a_subscription_hands_over_every_message_of_a_read_and_pings_when_idle(
    embedded_redis: EmbeddedRedis,
) -> None:
    got: list[bytes] = []
    subscribed = asyncio.Event()
    subscription = Subscription(embedded_redis.url, ["resp-sub-a", "resp-sub-b"], got.append,
                                idle_s=200 * MS)
    task = asyncio.create_task(subscription.run(on_subscribed=subscribed.set))
    publisher = aioredis.Redis.from_url(embedded_redis.url)
    try:
        await asyncio.wait_for(subscribed.wait(), 5_000 * MS)
        async with publisher.pipeline(transaction=False) as pipe:
            for i in range(200):  # one pipeline: many messages arrive in one read
                pipe.publish("resp-sub-a" if i % 2 else "resp-sub-b", f"m{i}")
            await pipe.execute()
        await asyncio.sleep(1_000 * MS)  # five idle periods: each answered PING keeps it up
        assert not task.done()
        assert got == [f"m{i}".encode() for i in range(200)]
        await publisher.publish("resp-sub-a", "late")
        await asyncio.sleep(100 * MS)
        assert got[-1] == b"late"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await publisher.aclose()


async def test_a_subscription_gives_up_on_a_redis_that_stops_answering() -> None:
    """A server that accepts and then says nothing (a half-open connection, a hung Redis):
    no answer to the PING after a silence ends the subscription, so the caller reconnects."""
    writers: list[asyncio.StreamWriter] = []

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        subscription = Subscription(f"redis://127.0.0.1:{port}/0", ["c"], lambda data: None,
                                    idle_s=200 * MS)
        with pytest.raises(ConnectionError, match="PING"):
            await asyncio.wait_for(subscription.run(on_subscribed=lambda: None), 5_000 * MS)
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()
