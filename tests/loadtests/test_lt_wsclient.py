"""The lean WebSocket client against a real ``websockets`` server in the test's own loop."""

import asyncio

import pytest
from websockets.asyncio.server import ServerConnection, serve

from loadtests import wsclient
from tests.timing import MS


async def echo(ws: ServerConnection) -> None:
    async for msg in ws:
        if msg == "ping-me":
            await asyncio.wait_for(await ws.ping(), 5_000 * MS)
            await ws.send("ponged")
        elif msg == "close-me":
            await ws.close(4000, "replaced")
        elif msg == "fragments":
            await ws.send(["frag", "ment", "ed"])
        else:
            await ws.send(msg)


@pytest.fixture
async def server():
    async with serve(echo, "127.0.0.1", 0, subprotocols=["peerline.v1.json"]) as srv:
        yield srv.sockets[0].getsockname()[1]


async def test_round_trip_sizes_and_subprotocol(server: int) -> None:
    got: asyncio.Queue = asyncio.Queue()
    conn = await wsclient.connect(
        "127.0.0.1", server, "/ws", "peerline.v1.json", on_text=lambda c, m: got.put_nowait(m)
    )
    assert conn.subprotocol == "peerline.v1.json"
    for size in (1, 125, 126, 65535, 65536, 200_000):
        text = "é" * (size // 2) + "x" * (size % 2)
        conn.send_text(text)
        assert await asyncio.wait_for(got.get(), 5_000 * MS) == text
    conn.send_bytes(b'{"type":"x"}')
    assert await asyncio.wait_for(got.get(), 5_000 * MS) == '{"type":"x"}'
    conn.close()
    assert conn.closed


async def test_answers_pings_and_reassembles_fragments(server: int) -> None:
    got: asyncio.Queue = asyncio.Queue()
    conn = await wsclient.connect(
        "127.0.0.1", server, "/", "peerline.v1.json", on_text=lambda c, m: got.put_nowait(m)
    )
    conn.send_text("ping-me")
    assert await asyncio.wait_for(got.get(), 5_000 * MS) == "ponged"
    conn.send_text("fragments")
    assert await asyncio.wait_for(got.get(), 5_000 * MS) == "fragmented"
    conn.close()


async def test_server_close_code_is_reported(server: int) -> None:
    closed: asyncio.Future = asyncio.get_running_loop().create_future()
    conn = await wsclient.connect(
        "127.0.0.1",
        server,
        "/",
        "peerline.v1.json",
        on_close=lambda c, code: closed.done() or closed.set_result(code),
    )
    conn.send_text("close-me")
    assert await asyncio.wait_for(closed, 5_000 * MS) == 4000


async def test_refused_upgrade_raises() -> None:
    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(plain_http, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    with pytest.raises(wsclient.HandshakeError):
        await wsclient.connect("127.0.0.1", port, "/ws")
    srv.close()
    await srv.wait_closed()
