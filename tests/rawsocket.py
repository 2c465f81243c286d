"""A raw TCP WebSocket client for tests of misbehaving peers: it can stop reading altogether
(a tiny receive buffer, nothing read), send frames of any kind, or say nothing at all."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from typing import Any

from tests.timing import WAIT


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One client frame (RFC 6455 §5.2: FIN set, masked)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return header + mask + body


def text_frame(frame: dict[str, Any]) -> bytes:
    return masked_frame(0x1, json.dumps(frame).encode())


def ping_frame(payload: bytes = b"") -> bytes:
    return masked_frame(0x9, payload)


class RawSocket:
    """A loopback TCP socket driven with the event loop's ``sock_*`` calls."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def open(cls, http_url: str, rcvbuf: int | None = None) -> RawSocket:
        host, port = http_url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        return cls(sock)

    @classmethod
    async def websocket(cls, http_url: str, rcvbuf: int | None = 4096) -> RawSocket:
        """Open and complete the WebSocket handshake (JSON subprotocol); nothing read after."""
        raw = await cls.open(http_url, rcvbuf)
        key = base64.b64encode(os.urandom(16)).decode()
        host = http_url.removeprefix("http://")
        await raw.send(
            (f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: peerline.v1.json\r\n\r\n"
             ).encode())
        head = await raw.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        return raw

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def read_until(self, marker: bytes, timeout: float = WAIT) -> bytes:
        """Bytes one at a time up to ``marker`` (so that nothing after it is consumed)."""
        loop = asyncio.get_running_loop()
        got = bytearray()
        async with asyncio.timeout(timeout):
            while not got.endswith(marker):
                chunk = await loop.sock_recv(self.sock, 1)
                if not chunk:
                    break
                got += chunk
        return bytes(got)

    async def read_all(self, timeout: float = WAIT) -> bytes:
        """Everything until the server closes the socket (or ``timeout``)."""
        loop = asyncio.get_running_loop()
        got = bytearray()
        try:
            async with asyncio.timeout(timeout):
                while chunk := await loop.sock_recv(self.sock, 65536):
                    got += chunk
        except (TimeoutError, ConnectionError):
            pass
        return bytes(got)

    async def closed_by_server(self, timeout: float = WAIT) -> bool:
        """True once the server has closed (or reset) the socket, reading whatever came."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                while await loop.sock_recv(self.sock, 65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            return True
        return True

    def close(self) -> None:
        self.sock.close()
