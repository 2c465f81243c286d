"""The hot-path Redis connection: packing, and a real round trip against the embedded Redis."""

from __future__ import annotations

from server.redis_setup import EmbeddedRedis
from server.resp import RespConnection, RespError, pack


def test_pack_writes_resp_arrays_of_bulk_strings() -> None:
    assert pack(["SET", "k", 5]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n5\r\n"
    assert pack(["ECHO", "你好".encode()]) == (
        b"*2\r\n$4\r\nECHO\r\n$6\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
    )
    assert pack(["ECHO", "é"]) == b"*2\r\n$4\r\nECHO\r\n$2\r\n\xc3\xa9\r\n"


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
