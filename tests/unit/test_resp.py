"""The hot-path Redis connection: packing, and a real round trip against the embedded Redis."""

from __future__ import annotations

import redis.asyncio as aioredis

from server.redis_setup import EmbeddedRedis, Keys
from server.resp import RespConnection, RespError, bulk, pack
from server.scripts import ScriptRunner
from server.sessions import SessionStore, _lua_filled


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
    store = SessionStore(aioredis.Redis(), Keys("pl"), ScriptRunner(aioredis.Redis(), "x"),
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
