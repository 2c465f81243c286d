"""A lean RFC 6455 WebSocket client on a bare ``asyncio.Protocol``.

The load generator shares two cores with the server it measures, so every microsecond the
client spends per frame is a microsecond taken from the server. ``websockets``' own client runs
a reader task, a frame queue and futures for every connection; this one parses frames in
``data_received`` and hands each text frame to a callback in the same loop iteration, so a
closed-loop reply is written before the loop even looks at the next socket.

What it does: client handshake (with one subprotocol), masked text/binary frames out, text,
binary, fragmented, ping, pong and close frames in. What it does not: extensions (no
permessage-deflate is offered, so the server never compresses), TLS (loopback only).

Contract: ``connect()`` returns an open ``WSConn``; after that, ``on_text(conn, str)`` is called
for each text (or binary) message and ``on_close(conn, code)`` once when the connection ends.
``send_text`` never blocks; it buffers in the transport (bounded by the kernel and the transport's
high-water mark, which the scenarios keep small by running closed loops or fixed rates).
"""

from __future__ import annotations

import asyncio
import base64
import random
import struct
from collections.abc import Callable
from typing import Any

try:  # the C helper ships with websockets; the pure fallback keeps the client importable
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pragma: no cover - only on a websockets without speedups

    def _apply_mask(data: bytes, mask: bytes) -> bytes:
        n = int.from_bytes(mask * (len(data) // 4 + 1), "big") >> (8 * (4 - len(data) % 4) % 32)
        return (int.from_bytes(data, "big") ^ n).to_bytes(len(data), "big") if data else b""


_randbytes = random.Random().randbytes
_MAX_FRAME = 16 * 1024 * 1024

OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    """The server did not answer the upgrade with 101."""


def _frame(opcode: int, payload: bytes) -> bytes:
    mask = _randbytes(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + _apply_mask(payload, mask)


class WSConn(asyncio.Protocol):
    """One client connection. Create with :func:`connect`."""

    __slots__ = (
        "transport",
        "on_text",
        "on_close",
        "closed",
        "close_code",
        "_buf",
        "_hs",
        "_hs_done",
        "_frag",
        "_frag_op",
        "_pending",
        "subprotocol",
        "user",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        # Frames that arrive before anyone listens (a server may speak first, in the very packet
        # that completes the handshake) wait in ``_pending`` until :meth:`attach`.
        self._pending: list[str | bytes] | None = []
        self.on_text: Callable[[WSConn, str | bytes], None] = self._hold
        self.on_close: Callable[[WSConn, int], None] = lambda c, code: None
        self.closed = False
        self.close_code = 0
        self._buf = bytearray()
        self._hs: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._hs_done = False
        self._frag: list[bytes] = []
        self._frag_op = 0
        self.subprotocol: str | None = None
        self.user: Any = None  # free slot for the scenario's own per-connection state

    def _hold(self, conn: WSConn, msg: str | bytes) -> None:
        if self._pending is not None:
            self._pending.append(msg)

    def attach(
        self,
        on_text: Callable[[WSConn, str | bytes], None],
        on_close: Callable[[WSConn, int], None] | None = None,
    ) -> None:
        """Start delivering to ``on_text`` (first whatever arrived before), and closes to
        ``on_close``."""
        self.on_text = on_text
        if on_close is not None:
            self.on_close = on_close
        pending, self._pending = self._pending or [], None
        for msg in pending:
            on_text(self, msg)

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._hs_done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            status = head.split("\r\n", 1)[0]
            if " 101 " not in status + " ":
                if not self._hs.done():
                    self._hs.set_exception(HandshakeError(status))
                self._abort(1006)
                return
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "sec-websocket-protocol":
                    self.subprotocol = v.strip()
            self._hs_done = True
            if not self._hs.done():
                self._hs.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        while n - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            ln = b1 & 0x7F
            hdr = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                hdr = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = struct.unpack_from("!Q", buf, pos + 2)[0]
                hdr = 10
            if b1 & 0x80:  # servers must not mask; accept it anyway
                hdr += 4
            if ln > _MAX_FRAME:
                self._abort(1009)
                return
            if n - pos < hdr + ln:
                break
            payload = bytes(buf[pos + hdr : pos + hdr + ln])
            if b1 & 0x80:
                payload = _apply_mask(payload, bytes(buf[pos + hdr - 4 : pos + hdr]))
            pos += hdr + ln
            op = b0 & 0x0F
            fin = b0 & 0x80
            if op == OP_TEXT or op == OP_BIN:
                if fin:
                    self.on_text(self, payload.decode() if op == OP_TEXT else payload)
                else:
                    self._frag = [payload]
                    self._frag_op = op
            elif op == OP_CONT:
                self._frag.append(payload)
                if fin:
                    whole = b"".join(self._frag)
                    self._frag = []
                    self.on_text(self, whole.decode() if self._frag_op == OP_TEXT else whole)
            elif op == OP_PING:
                self._write(_frame(OP_PONG, payload))
            elif op == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if not self.closed:
                    self._write(_frame(OP_CLOSE, payload[:2]))
                self._abort(code)
                del buf[:pos]
                return
            if self.closed:
                return
        if pos:
            del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._hs.done():
            self._hs.set_exception(exc or ConnectionError("closed during handshake"))
        if not self.closed:
            self.closed = True
            self.close_code = self.close_code or 1006
            self.on_close(self, self.close_code)

    # -- sending ------------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        t = self.transport
        if t is not None and not t.is_closing():
            t.write(data)

    def send_text(self, text: str) -> None:
        if not self.closed:
            self._write(_frame(OP_TEXT, text.encode()))

    def send_bytes(self, data: bytes, binary: bool = False) -> None:
        """Send already-encoded UTF-8 JSON as a text frame (or raw bytes as binary)."""
        if not self.closed:
            self._write(_frame(OP_BIN if binary else OP_TEXT, data))

    def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        self._write(_frame(OP_CLOSE, struct.pack("!H", code)))
        self._abort(code)

    def _abort(self, code: int) -> None:
        first = not self.closed
        self.closed = True
        self.close_code = self.close_code or code
        t = self.transport
        if t is not None and not t.is_closing():
            t.close()
        if first:
            self.on_close(self, self.close_code)


async def connect(
    host: str,
    port: int,
    path: str = "/",
    subprotocol: str | None = None,
    on_text: Callable[[WSConn, str | bytes], None] | None = None,
    on_close: Callable[[WSConn, int], None] | None = None,
    timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> WSConn:
    """Open a WebSocket to ``ws://host:port/path`` and return it once the server said 101."""
    loop = asyncio.get_running_loop()
    _, conn = await asyncio.wait_for(loop.create_connection(WSConn, host, port), timeout)
    if on_close is not None:
        conn.on_close = on_close
    key = base64.b64encode(_randbytes(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if subprotocol:
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    assert conn.transport is not None
    conn.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    try:
        await asyncio.wait_for(conn._hs, timeout)
    except BaseException:
        conn._abort(1006)
        raise
    if on_text is not None:
        conn.attach(on_text)
    return conn
