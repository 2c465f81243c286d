"""Minimal Redis connections for the hot path: pipelined EVALSHA batches, and the subscription
that brings other processes' events. Nothing else.

Why not redis-py here: in the relay profile its pipeline machinery (a Pipeline object per batch,
command packing, the retry wrapper, per-reply parsing calls) cost about a fifth of the server's
CPU, for what is one write and one read; its ``PubSub.get_message`` is a coroutine with a timeout
context and a dict per message. These write RESP bytes in one call and parse the replies with
hiredis (already a dependency, the same parser redis-py uses). Everything else (ordinary
commands) stays on redis-py.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import hiredis

READ_CHUNK = 1 << 16


class RespError(Exception):
    """An error reply from Redis (for one command of a batch)."""


def pack(args: Sequence[Any]) -> bytes:
    """One command in RESP (an array of bulk strings), packed by hiredis in C (a third of the
    time of the same in Python, which was 3 % of the relay profile)."""
    return hiredis.pack_command(tuple(args))


def bulk(value: bytes) -> bytes:
    """One bulk string in RESP: for callers that pack a command from parts packed once."""
    return b"$%d\r\n%s\r\n" % (len(value), value)


async def open_redis(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A stream to the Redis at ``url`` (``redis://``, ``rediss://``, ``unix://``), authenticated
    and on its database when the URL names them."""
    parts = urlparse(url)
    query = parse_qs(parts.query)
    if parts.scheme == "unix":
        reader, writer = await asyncio.open_unix_connection(unquote(parts.path))
        db = query.get("db", ["0"])[0]
    else:
        context = ssl.create_default_context() if parts.scheme == "rediss" else None
        reader, writer = await asyncio.open_connection(
            parts.hostname or "localhost", parts.port or 6379, ssl=context
        )
        db = (parts.path or "/0").lstrip("/") or query.get("db", ["0"])[0]
    setup: list[list[Any]] = []
    if parts.password:
        user = unquote(parts.username) if parts.username else None
        setup.append(["AUTH", user, unquote(parts.password)] if user else
                     ["AUTH", unquote(parts.password)])
    if db and db != "0":
        setup.append(["SELECT", db])
    if setup:
        try:
            for reply in await _roundtrip(reader, writer, setup):
                if isinstance(reply, RespError):
                    raise reply
        except BaseException:
            writer.close()
            raise
    return reader, writer


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     commands: Sequence[Sequence[Any] | bytes]) -> list[Any]:
    """Write ``commands`` in one call and read their replies (errors as ``RespError``)."""
    writer.write(b"".join([c if isinstance(c, bytes) else pack(c) for c in commands]))
    parser = hiredis.Reader()
    replies: list[Any] = []
    while len(replies) < len(commands):
        data = await reader.read(READ_CHUNK)
        if not data:
            raise ConnectionError("Redis closed the connection")
        parser.feed(data)
        while (reply := parser.gets()) is not False:
            replies.append(RespError(str(reply)) if isinstance(reply, hiredis.ReplyError)
                           else reply)
    return replies


class RespConnection:
    """One connection; ``batch`` sends commands together and returns their replies in order.

    A reply that is an error comes back as ``RespError`` in its place; a failure of the connection
    itself raises, and the next batch reconnects.
    """

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def batch(self, commands: Sequence[Sequence[Any] | bytes]) -> list[Any]:
        """Send ``commands`` (each a sequence of arguments, or already packed) in one write and
        return their replies."""
        try:
            async with asyncio.timeout(self.timeout_s):
                if self._reader is not None and self._reader.at_eof():
                    # Redis closed this idle connection (it restarted, or killed it): nothing
                    # was sent on it, so open a new one instead of failing the batch.
                    self.close()
                if self._reader is None or self._writer is None:
                    self._reader, self._writer = await open_redis(self.url)
                return await _roundtrip(self._reader, self._writer, commands)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class Subscription:
    """A connection subscribed to ``channels``: each message's payload goes to ``on_message`` as
    soon as it is read, all the messages of one read in one go, with no await between them.

    ``run`` returns only by raising: when Redis closes the connection, refuses the subscription,
    or stays silent past ``idle_s`` twice (a ``PING`` after the first silence; a subscribed
    connection answers it too). The caller reconnects.
    """

    def __init__(self, url: str, channels: Sequence[str], on_message: Callable[[bytes], None],
                 idle_s: float = 30.0, name: str = "") -> None:
        self.url = url
        self.channels = list(channels)
        self.on_message = on_message
        self.idle_s = idle_s
        self.name = name
        """Shown by ``CLIENT LIST`` (which process this subscription belongs to)."""

    async def run(self, on_subscribed: Callable[[], None]) -> None:
        """Subscribe, call ``on_subscribed`` once Redis has confirmed every channel, then hand
        over messages until the connection fails."""
        async with asyncio.timeout(self.idle_s):
            reader, writer = await open_redis(self.url)
        try:
            if self.name:
                writer.write(pack(["CLIENT", "SETNAME", self.name]))
            writer.write(pack(["SUBSCRIBE", *self.channels]))
            parser = hiredis.Reader()
            confirmed = 0
            pinged = False
            while True:
                try:
                    async with asyncio.timeout(self.idle_s):
                        data = await reader.read(READ_CHUNK)
                except TimeoutError:
                    if pinged:
                        raise ConnectionError("Redis did not answer a PING") from None
                    writer.write(pack(["PING"]))
                    pinged = True
                    continue
                if not data:
                    raise ConnectionError("Redis closed the connection")
                pinged = False
                parser.feed(data)
                while (reply := parser.gets()) is not False:
                    if isinstance(reply, hiredis.ReplyError):
                        raise RespError(str(reply))
                    if not isinstance(reply, list):
                        continue  # +OK to CLIENT SETNAME
                    kind = reply[0]
                    if kind == b"message":
                        self.on_message(reply[2])
                    elif kind == b"subscribe":
                        confirmed += 1
                        if confirmed == len(self.channels):
                            on_subscribed()
        finally:
            writer.close()
