"""Issue 16, defect 4: a ping flood from a client that does not read.

Every WebSocket ping costs a frame of the connection's rate limit (before ``hello`` too), and a
client that reads nothing has at most one pong waiting for it: the server's buffers stay small
and the flood ends with a 1008 close, as a flood of data frames does.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from tests.conftest import LiveServer
from tests.rawsocket import RawSocket, masked_frame, ping_frame, text_frame
from tests.timing import WAIT

FLOOD = 40_000
BATCH = 500


def _ws_protocols(live: LiveServer) -> list[WebSocketsSansIOProtocol]:
    return [p for p in live.uvicorn.server_state.connections
            if isinstance(p, WebSocketsSansIOProtocol)]


def _buffered(live: LiveServer) -> int:
    """Bytes waiting in the server's transports for its WebSocket clients."""
    return sum(p.transport.get_write_buffer_size() for p in _ws_protocols(live)
               if not p.transport.is_closing())


@pytest.mark.parametrize("kind", ["control", "app"])
@pytest.mark.parametrize("after_hello", [True, False])
async def test_a_ping_flood_from_a_client_that_does_not_read_is_bounded_and_closed(
    live_server: LiveServer, kind: str, after_hello: bool,
) -> None:
    raw = await RawSocket.websocket(live_server.http_url, rcvbuf=4096)
    try:
        if after_hello:
            await raw.send(text_frame({"type": "hello", "role": "seeker", "lang": "en"}))
        one = (ping_frame(b"p" * 125) if kind == "control"
               else masked_frame(0x1, json.dumps({"type": "ping", "ref": "x" * 40}).encode()))
        most = 0
        sent = 0
        try:
            while sent < FLOOD and _ws_protocols(live_server):
                await raw.send(one * BATCH)
                sent += BATCH
                await asyncio.sleep(0)
                most = max(most, _buffered(live_server))
        except (ConnectionError, OSError):
            pass  # the server closed the socket mid-flood
        # What a flood may leave in the server: the transport's high-water mark (64 KiB) and
        # one write over it; a pong per ping would be FLOOD * 127 bytes (about 5 MB).
        assert most < 256 * 1024, f"{most} bytes buffered for a client that does not read"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while _ws_protocols(live_server) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        protocols = _ws_protocols(live_server)
        assert all(p.close_sent for p in protocols), "the flood was never cut off"
    finally:
        raw.close()
    # The server is unharmed: a new client is served.
    seeker, welcome = await live_server.seeker()
    assert welcome["type"] == "welcome"
