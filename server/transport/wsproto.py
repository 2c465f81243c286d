"""uvicorn's sans-I/O WebSocket protocol, with a direct write path for Peerline's connections.

Why: in the relay profile every outgoing frame crossed the ASGI ``send`` coroutine, a send task
wake-up, websockets' frame serializer and its own ``transport.write``; each relayed message is
one frame in and two out (``ack``, ``message``), so that machinery cost more than the message's
own work. This class keeps uvicorn's handshake, close handshake, keepalive and parsing, and adds:

- ``write_frames``: whole data frames written straight to the transport, several in one write.
  A server's frames are unmasked, so framing is a two- to ten-byte header. Frames are always
  sent uncompressed, which permessage-deflate allows per message (RFC 7692 §6: RSV1 clear).
- ``attach``: parsed frames are handed straight to the connection (``FrameSink``) instead of
  an ASGI ``websocket.receive`` message on a queue that a task awaits: no future, coroutine
  chain or task wake-up per frame, and nothing allocated while a connection sits idle.
- ``sink.writing_resumed``: called when the transport drains below its low-water mark, so a
  connection whose client reads slowly can hold its frames (in its bounded outbox) until then.
- reading ahead: uvicorn pauses reading after every received frame and resumes when the app has
  taken it (two event-loop registrations per frame); here reading pauses only once
  ``READ_AHEAD`` frames wait to be handled, which still bounds what a client can queue.
- a fast read path for the common frame: once attached, whole, masked, unfragmented text or
  binary frames with no reserved bits, within the size limit, are cut out of the socket's bytes
  here (header, unmask, payload) instead of by websockets' generator-based parser, which cost
  about a tenth of the server's instructions per relayed message. Anything else (control
  frames, fragments, reserved bits, an unmasked or oversized frame) is handed, from its first
  byte, to websockets' parser, which then answers exactly as before (pong, close, 1002, 1009);
  the fast path resumes once that parser is back between frames with nothing buffered.
- pongs with a bound: each client ping counts against the connection's rate limit
  (``sink.control_received``; a flood closes it like any other), and a client that does not
  read gets at most one pong waiting, the answer to its latest ping (RFC 6455 §5.5.3 allows
  answering only the most recent one), written when its socket drains. websockets' parser would
  otherwise queue a pong per ping straight into the transport's unbounded buffer.

The connection finds this object in ``scope["extensions"][DIRECT_WRITE]``; under any other
ASGI server it falls back to ``websocket.receive``/``websocket.send`` messages. Selected with
``uvicorn.run(..., ws="server.transport.wsproto:PeerlineWebSocketProtocol")``.
"""

from __future__ import annotations

from collections.abc import Iterable
from struct import Struct
from typing import Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode, apply_mask
from websockets.protocol import State

DIRECT_WRITE = "peerline.direct_write"
WS_PROTOCOL = "server.transport.wsproto:PeerlineWebSocketProtocol"
READ_AHEAD = 8
"""Frames a client may have waiting for the app before the socket stops being read."""

_HEADER_16 = Struct("!BBH")
_HEADER_64 = Struct("!BBQ")
_FIN_TEXT = 0x81
_FIN_BINARY = 0x82
_MASKED = 0x80


def frame_bytes(payloads: Iterable[bytes], binary: bool) -> bytes:
    """Unmasked, unfragmented data frames (RFC 6455 §5.2) for each payload, concatenated."""
    opcode = _FIN_BINARY if binary else _FIN_TEXT
    parts: list[bytes] = []
    for payload in payloads:
        size = len(payload)
        if size < 126:
            parts.append(bytes((opcode, size)))
        elif size < 65536:
            parts.append(_HEADER_16.pack(opcode, 126, size))
        else:
            parts.append(_HEADER_64.pack(opcode, 127, size))
        parts.append(payload)
    return b"".join(parts)


class FrameSink(Protocol):
    """What a protocol hands frames to once attached (``transport.connection.Connection``)."""

    def frame_received(self, data: str | bytes) -> int:
        """A whole text (str) or binary (bytes) message; returns the frames now waiting."""
        ...

    def writing_resumed(self) -> None:
        """The transport's buffer drained below its low-water mark."""
        ...

    def control_received(self) -> bool:
        """A ping from the client: True to answer it, False if it is over the rate limit."""
        ...


class PeerlineWebSocketProtocol(WebSocketsSansIOProtocol):
    sink: FrameSink | None = None
    fast_reading = False
    """Frames are being cut out here (see the module docstring), not by websockets' parser."""
    _unparsed: bytes | bytearray = b""
    """The start of a frame whose rest has not arrived yet (fast reading only). A bytearray
    once a second piece arrives, so that a large frame is gathered without copying it again
    for every piece."""

    _pong_waiting: bytes | None = None
    """The payload of the latest ping not yet answered because the client is not reading."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._send_frame = self.conn.send_frame
        self.conn.send_frame = self._frame_out  # type: ignore[method-assign]

    def _frame_out(self, frame: Frame) -> None:
        """Every frame websockets' protocol object queues for the socket; the pongs it queues
        for the client's pings pass through ``_pong`` (Peerline itself never sends a pong)."""
        if frame.opcode is Opcode.PONG:
            self._pong(bytes(frame.data))
            return
        self._send_frame(frame)

    def _pong(self, payload: bytes) -> None:
        sink = self.sink
        if sink is not None and not sink.control_received():
            return  # over the rate limit: no answer (a flood closes the connection)
        if self.paused or self._pong_waiting is not None:
            self._pong_waiting = payload  # only the latest ping is answered once it drains
            return
        self._send_frame(Frame(Opcode.PONG, payload))

    async def run_asgi(self) -> None:
        self.scope["extensions"][DIRECT_WRITE] = self  # type: ignore[index,assignment]
        await super().run_asgi()

    def attach(self, sink: FrameSink) -> None:
        """From now on, frames go to ``sink`` as they are parsed, not through the ASGI queue
        (which keeps only the disconnect). Frames already queued (from a client that sent
        them without waiting for the handshake's answer) are handed over first, in order."""
        self.sink = sink
        self.fast_reading = self._parser_between_frames()
        kept = []
        while not self.queue.empty():
            message = self.queue.get_nowait()
            if message["type"] != "websocket.receive":
                kept.append(message)
                continue
            text = message.get("text")
            sink.frame_received(text if text is not None else message.get("bytes") or b"")
        for message in kept:
            self.queue.put_nowait(message)

    # -- the direct write path -----------------------------------------------------------------

    @property
    def open(self) -> bool:
        """Data frames may still be sent: no close sent or received, the socket still there."""
        return (not self.close_sent and not self.disconnected
                and self.conn.state is State.OPEN and not self.transport.is_closing())

    @property
    def paused(self) -> bool:
        """The transport's buffer is above its high-water mark: hold frames back."""
        return not self.writable.is_set()

    def write_frames(self, payloads: Iterable[bytes], binary: bool) -> bool:
        """Write data frames in one transport write; False (nothing written) once closed."""
        if not self.open:
            return False
        self.transport.write(frame_bytes(payloads, binary))
        return True

    def drop(self) -> None:
        """Close the socket now, dropping whatever the client has not read (``abort``)."""
        self.close_sent = True
        self.stop_keepalive()
        if not self.disconnected:
            self.transport.abort()

    def drop_later(self, delay_s: float) -> None:
        """``drop`` in ``delay_s`` unless the socket has closed by then: a transport with
        unread bytes never finishes closing, and keeps them, while its client does not read."""
        if not self.disconnected:
            self.loop.call_later(delay_s, self._drop_if_open)

    def _drop_if_open(self) -> None:
        if not self.disconnected:
            self.drop()

    def resume_writing(self) -> None:
        super().resume_writing()
        payload, self._pong_waiting = self._pong_waiting, None
        if payload is not None and not self.close_sent and self.conn.state is State.OPEN:
            self._send_frame(Frame(Opcode.PONG, payload))
            self.transport.write(b"".join(self.conn.data_to_send()))
        if self.sink is not None:
            self.sink.writing_resumed()

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink = None
        super().connection_lost(exc)

    # -- the direct read path --------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not self.fast_reading:
            self._parse_slowly(data)
            return
        if self._unparsed:
            gathered = self._unparsed
            if not isinstance(gathered, bytearray):
                gathered = bytearray(gathered)
            gathered += data
            data = gathered  # type: ignore[assignment]
            self._unparsed = b""
        size = len(data)
        at = 0
        limit = self.conn.max_message_size
        slow = False  # the frame at ``at`` is websockets' parser's (else: it is not whole yet)
        while at < size:
            first = data[at]
            if first != _FIN_TEXT and first != _FIN_BINARY:
                slow = True  # a control frame, a fragment, a reserved bit
                break
            if size - at < 2:
                break
            second = data[at + 1]
            if not second & _MASKED:
                slow = True  # a client's frames must be masked: the parser fails it (1002)
                break
            length = second & 0x7F
            extended = 0 if length < 126 else 2 if length == 126 else 8
            if size - at < 2 + extended:
                break
            if extended:
                length = int.from_bytes(data[at + 2 : at + 2 + extended], "big")
            if limit is not None and length > limit:
                slow = True  # too big: the parser closes with 1009, before the payload
                break
            start = at + 6 + extended
            end = start + length
            if end > size:
                break
            self.curr_msg_data_type = "text" if first == _FIN_TEXT else "bytes"
            self.frames = [apply_mask(data[start:end], data[start - 4 : start])]
            at = end
            self.send_receive_event_to_app()
            if self.transport.is_closing():
                return  # a text frame that was not UTF-8 (closed with 1007)
        if at == size:
            return
        if slow:
            # Not a frame for the fast path: websockets' parser takes it from its first byte.
            self.fast_reading = False
            self._parse_slowly(data[at:])
        else:
            self._unparsed = data[at:] if at else data

    def _parse_slowly(self, data: bytes) -> None:
        """websockets' parser, as uvicorn runs it; the fast path resumes once it is back
        between frames."""
        super().data_received(data)
        if self.sink is not None and self._parser_between_frames():
            self.fast_reading = True

    def _parser_between_frames(self) -> bool:
        """websockets' parser waits for the first byte of a frame, with nothing buffered, no
        fragmented message open and no extension active: the fast path may cut frames."""
        conn = self.conn
        if (conn.state is not State.OPEN or conn.reader.buffer or conn.current_size is not None
                or conn.extensions):
            return False
        # The parser is a chain of generators (the server's parse, the frame loop, ...):
        # between frames, the innermost one is the reader's wait for more bytes.
        waiting = conn.parser
        while (inner := getattr(waiting, "gi_yieldfrom", None)) is not None:
            waiting = inner
        return getattr(waiting, "__name__", "") == "at_eof"

    def send_receive_event_to_app(self) -> None:
        sink = self.sink
        if sink is None:
            self._queue_for_app()
            return
        # As the parent's (uvicorn 0.54), with the sink in place of the ASGI queue.
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        self.frames = []
        if self.close_sent:
            return
        message: str | bytes = data
        if self.curr_msg_data_type == "text":
            try:
                message = data.decode()
            except UnicodeDecodeError:
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
        if sink.frame_received(message) >= READ_AHEAD and not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        """The sink has handled what was waiting: read the socket again if it was paused."""
        if self.read_paused and self.queue.empty() and not self.disconnected:
            self.read_paused = False
            self.transport.resume_reading()

    def _queue_for_app(self) -> None:
        # Before ``attach``: the parent queues the frame and pauses reading unless
        # ``read_paused`` says it already has; keep it from doing so, and pause here only once
        # READ_AHEAD frames are waiting. ``receive`` (the parent's) resumes reading when the app
        # has emptied the queue.
        paused = self.read_paused
        self.read_paused = True
        super().send_receive_event_to_app()
        self.read_paused = paused
        if not paused and self.queue.qsize() >= READ_AHEAD:
            self.read_paused = True
            self.transport.pause_reading()
