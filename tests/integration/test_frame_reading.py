"""Reading client frames: the fast path in ``server/wsproto.py`` and websockets' parser behind it.

A raw socket sends hand-made frames, split and mixed in every way a network or a client can, and
reads what the server answers with websockets' own (client-side) parser: every message is
handled once and in order, control frames are answered, and every malformed frame closes the
connection with the code RFC 6455 gives it, exactly as websockets' parser alone did.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlparse

import pytest
from websockets.frames import Close, Frame, Opcode
from websockets.streams import StreamReader

from tests.client import WAIT
from tests.conftest import LiveServer
from tests.timing import MS

PING = 0x89
CLOSE = 0x88
TEXT = 0x81
BINARY = 0x82


def frame(first_byte: int, payload: bytes, *, masked: bool = True, length_form: int = 0) -> bytes:
    """One client frame. ``length_form`` forces the 16-bit (126) or 64-bit (127) length form."""
    size = len(payload)
    bit = 0x80 if masked else 0
    if length_form == 127 or size >= 65536:
        head = struct.pack("!BBQ", first_byte, bit | 127, size)
    elif length_form == 126 or size >= 126:
        head = struct.pack("!BBH", first_byte, bit | 126, size)
    else:
        head = struct.pack("!BB", first_byte, bit | size)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def text(obj: dict[str, Any], pad: int = 0, **kw: Any) -> bytes:
    """A JSON text frame; ``pad`` spaces after the JSON make it longer (still valid JSON)."""
    return frame(TEXT, json.dumps(obj).encode() + b" " * pad, **kw)


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parsed = StreamReader()

    @classmethod
    async def connect(cls, live: LiveServer) -> RawClient:
        url = urlparse(live.ws_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def send(self, data: bytes, piece: int = 0) -> None:
        """Send ``data``, in pieces of ``piece`` bytes with a pause between them (0 = at once)."""
        if not piece:
            self.writer.write(data)
        else:
            for i in range(0, len(data), piece):
                self.writer.write(data[i:i + piece])
                await self.writer.drain()
                await asyncio.sleep(2 * MS)
        await self.writer.drain()

    async def next_frame(self) -> Frame:
        """The next frame from the server (unmasked); raises EOFError when the socket closes."""
        async def parse() -> Frame:
            parser = Frame.parse(self.parsed.read_exact, mask=False)
            while True:
                try:
                    next(parser)
                except StopIteration as done:
                    return done.value
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError("the server closed the socket")
                self.parsed.feed_data(data)

        return await asyncio.wait_for(parse(), WAIT)

    async def next_json(self) -> dict[str, Any]:
        got = await self.next_frame()
        assert got.opcode is Opcode.TEXT, got
        return json.loads(bytes(got.data))

    async def close_code(self) -> int:
        """Read until the server's close frame; its code."""
        while True:
            got = await self.next_frame()
            if got.opcode is Opcode.CLOSE:
                return Close.parse(got.data).code

    async def hello(self) -> None:
        await self.send(text({"type": "hello", "role": "seeker", "lang": "en"}))
        assert (await self.next_json())["type"] == "welcome"

    def close(self) -> None:
        self.writer.close()


@contextlib.asynccontextmanager
async def greeted(live: LiveServer) -> AsyncIterator[RawClient]:
    """A raw client that has said hello (as a seeker) and got its welcome."""
    client = await RawClient.connect(live)
    try:
        await client.hello()
        yield client
    finally:
        client.close()


def fast_reading(live: LiveServer) -> list[bool]:
    """Whether each connected user's frames are being read by the fast path."""
    return [bool(conn._direct and conn._direct.fast_reading)
            for conn in live.runtime.hub.users.values()]


def pings(n: int, start: int = 0) -> list[bytes]:
    return [text({"type": "ping", "ref": f"p{i}"}) for i in range(start, start + n)]


async def expect_pongs(client: RawClient, refs: list[str]) -> None:
    for ref in refs:
        got = await client.next_json()
        assert (got["type"], got.get("ref")) == ("pong", ref)


@pytest.mark.parametrize("piece", [1, 2, 3, 5, 7])
async def test_frames_cut_at_any_byte_arrive_whole_and_in_order(
    live_server: LiveServer, piece: int
) -> None:
    async with greeted(live_server) as client:
        # Short, 16-bit and 64-bit length forms, split every `piece` bytes.
        data = text({"type": "ping", "ref": "a"}) + text(
            {"type": "ping", "ref": "b"}, pad=300) + text({"type": "ping", "ref": "c"},
                                                          length_form=127)
        await client.send(data, piece)
        await expect_pongs(client, ["a", "b", "c"])


async def test_many_frames_in_one_write_with_control_frames_between(
    live_server: LiveServer,
) -> None:
    async with greeted(live_server) as client:
        assert fast_reading(live_server) == [True]
        burst = b"".join(pings(3)) + frame(PING, b"are you there") + b"".join(pings(3, 3))
        await client.send(burst)
        seen: list[tuple[str, bytes | str]] = []
        for _ in range(7):
            got = await client.next_frame()
            if got.opcode is Opcode.PONG:
                seen.append(("pong-frame", bytes(got.data)))
            else:
                seen.append(("json", json.loads(bytes(got.data))["ref"]))
        # The control frame is answered where it came in the stream; data frames keep their order.
        assert [s for s in seen if s[0] == "json"] == [("json", f"p{i}") for i in range(6)]
        assert ("pong-frame", b"are you there") in seen
        # After the ping went through websockets' parser, the fast path takes over again.
        await client.send(b"".join(pings(2, 6)))
        await expect_pongs(client, ["p6", "p7"])
        assert fast_reading(live_server) == [True]


async def test_a_fragmented_message_is_joined_then_frames_go_on(live_server: LiveServer) -> None:
    async with greeted(live_server) as client:
        body = json.dumps({"type": "ping", "ref": "joined"}).encode()
        first, second = body[:7], body[7:]
        data = frame(0x01, first) + frame(0x80, second) + pings(1)[0]  # TEXT fin=0, CONT fin=1
        await client.send(data)
        await expect_pongs(client, ["joined", "p0"])
        assert fast_reading(live_server) == [True]


async def test_a_binary_frame_is_read_as_a_message(live_server: LiveServer) -> None:
    async with greeted(live_server) as client:
        await client.send(frame(BINARY, json.dumps({"type": "ping", "ref": "bin"}).encode()))
        got = await client.next_frame()
        assert got.opcode in (Opcode.TEXT, Opcode.BINARY)
        assert json.loads(bytes(got.data))["ref"] == "bin"


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (frame(TEXT, b'{"type":"ping"}', masked=False), 1002),  # a client must mask
        (frame(TEXT | 0x40, b'{"type":"ping"}'), 1002),  # RSV1 with no extension
        (frame(0x83, b"x"), 1002),  # reserved opcode
        (frame(TEXT, b"x" * (64 * 1024 + 1)), 1009),  # over max_frame_bytes
        (frame(TEXT, b'{"type":"ping","ref":"\xff\xfe"}'), 1007),  # not UTF-8
        (frame(0x80, b"stray continuation"), 1002),
    ],
    ids=["unmasked", "rsv1", "opcode", "too-big", "not-utf8", "stray-continuation"],
)
async def test_a_malformed_frame_closes_with_its_code_after_the_good_ones(
    live_server: LiveServer, bad: bytes, code: int
) -> None:
    async with greeted(live_server) as client:
        await client.send(b"".join(pings(2)))
        await expect_pongs(client, ["p0", "p1"])
        await client.send(bad + pings(1, 2)[0])
        assert await client.close_code() == code


async def test_a_close_frame_is_answered_and_the_socket_closed(live_server: LiveServer) -> None:
    async with greeted(live_server) as client:
        await client.send(pings(1)[0])
        await expect_pongs(client, ["p0"])
        await client.send(frame(CLOSE, struct.pack("!H", 1000) + b"bye"))
        assert await client.close_code() == 1000
        with pytest.raises(EOFError):
            await client.next_frame()


async def test_a_large_frame_gathered_from_many_pieces_arrives_whole(server_factory) -> None:  # type: ignore[no-untyped-def]
    """A frame far larger than one socket read (with the limit raised) is gathered piece by
    piece, then the frames after it go on."""
    async with server_factory(max_frame_bytes=2_000_000) as live, greeted(live) as client:
        big = text({"type": "ping", "ref": "big"}, pad=1_500_000)
        assert len(big) > 1_500_000
        await client.send(big + pings(1)[0], piece=65_536)
        await expect_pongs(client, ["big", "p0"])
        assert fast_reading(live) == [True]
