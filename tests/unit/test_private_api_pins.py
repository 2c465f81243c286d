"""The private parts of uvicorn and websockets that Peerline's WebSocket protocol relies on.

``server/wsproto.py`` subclasses uvicorn's ``WebSocketsSansIOProtocol`` and reads or writes its
private attributes (``frames``, ``read_paused``, ``queue``, ``conn``, …) and those of the
websockets ``ServerProtocol`` it drives (``reader.buffer``, ``current_size``, the generator chain
of ``parser``, …). None of them is a public API, so pyproject.toml pins both libraries to the
minor releases this was written against. These tests look at the installed uvicorn and
websockets directly (not through ``server``): when an upgrade moves any of those names, a test
here fails and says which name and which pin, instead of the server misbehaving at run time.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from tests.timing import MS

PINS = ('pyproject.toml pins "uvicorn[standard]>=0.55,<0.56" and "websockets>=17.4,<17.5" '
        "because server/wsproto.py reads their private attributes")

HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def moved(what: str, detail: str = "") -> str:
    return f"{what} moved or changed{': ' + detail if detail else ''}. {PINS}; " \
           "check server/wsproto.py against the new release before moving the pin."


# -- uvicorn -----------------------------------------------------------------------------------


def _protocol_class() -> Any:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError as exc:  # pragma: no cover - only when uvicorn moved it
        pytest.fail(moved("uvicorn.protocols.websockets.websockets_sansio_impl."
                          "WebSocketsSansIOProtocol", str(exc)))
    return WebSocketsSansIOProtocol


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.paused = 0
        self.resumed = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def pause_reading(self) -> None:
        self.paused += 1

    def resume_reading(self) -> None:
        self.resumed += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default)


async def _close_app(scope: Any, receive: Any, send: Any) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.close"})


def _protocol(app: Any = _close_app) -> tuple[Any, FakeTransport]:
    import uvicorn
    from uvicorn.server import ServerState

    cls = _protocol_class()
    config = uvicorn.Config(app, ws="websockets-sansio", lifespan="off", log_config=None)
    config.load()
    proto = cls(config=config, server_state=ServerState(), app_state={})
    transport = FakeTransport()
    proto.connection_made(transport)
    return proto, transport


@pytest.mark.parametrize("name", [
    "run_asgi", "receive", "resume_writing", "connection_lost", "data_received",
    "send_receive_event_to_app", "handle_parser_exception",
])
def test_uvicorn_protocol_has_the_methods_wsproto_overrides_or_calls(name: str) -> None:
    cls = _protocol_class()
    assert callable(getattr(cls, name, None)), moved(f"WebSocketsSansIOProtocol.{name}")
    if name in ("run_asgi", "receive"):
        assert inspect.iscoroutinefunction(getattr(cls, name)), \
            moved(f"WebSocketsSansIOProtocol.{name}", "no longer a coroutine function")


async def test_uvicorn_protocol_has_the_attributes_wsproto_reads() -> None:
    from websockets.server import ServerProtocol

    proto, transport = _protocol()
    expected: dict[str, Any] = {
        "queue": asyncio.Queue, "conn": ServerProtocol, "writable": asyncio.Event,
        "frames": list, "close_sent": bool, "disconnected": bool, "read_paused": bool,
        "curr_msg_data_type": str,
    }
    for name, kind in expected.items():
        assert isinstance(getattr(proto, name, None), kind), \
            moved(f"WebSocketsSansIOProtocol().{name}", f"expected a {kind.__name__}")
    assert proto.transport is transport, moved("WebSocketsSansIOProtocol().transport")
    assert proto.read_paused is False and proto.close_sent is False, \
        moved("the initial read_paused/close_sent")
    assert proto.writable.is_set(), moved("WebSocketsSansIOProtocol().writable (initially set)")
    proto.writable.clear()
    proto.resume_writing()
    assert proto.writable.is_set(), moved("resume_writing() setting writable")


async def test_uvicorn_handshake_leaves_a_scope_with_an_extensions_dict() -> None:
    """wsproto's ``run_asgi`` puts itself into ``self.scope["extensions"]``."""
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)
        await _close_app(scope, receive, send)

    proto, transport = _protocol(app)
    proto.data_received(HANDSHAKE)
    for _ in range(100):
        if transport.closing:
            break
        await asyncio.sleep(10 * MS)
    assert seen, moved("WebSocketsSansIOProtocol.handle_connect", "the app never ran")
    assert isinstance(getattr(proto, "scope", None), dict), moved("WebSocketsSansIOProtocol.scope")
    assert isinstance(proto.scope.get("extensions"), dict), \
        moved('WebSocketsSansIOProtocol.scope["extensions"]', "not a dict")
    assert seen[0] is proto.scope, moved("WebSocketsSansIOProtocol.scope", "not the app's scope")
    await asyncio.gather(*proto.tasks)


async def test_uvicorn_hands_frames_to_the_app_as_wsproto_expects() -> None:
    """The parent's ``send_receive_event_to_app`` joins ``frames``, decodes by
    ``curr_msg_data_type``, queues a ``websocket.receive`` and pauses reading only when
    ``read_paused`` is false; the parent's ``receive`` resumes it once the queue is empty.
    wsproto's read-ahead (``_queue_for_app``) and fast path depend on exactly that."""
    proto, transport = _protocol()
    proto.curr_msg_data_type = "text"
    proto.frames = [b"hel", b"lo"]
    proto.send_receive_event_to_app()
    assert proto.frames == [], moved("send_receive_event_to_app()", "frames not emptied")
    assert proto.queue.get_nowait() == {"type": "websocket.receive", "text": "hello"}, \
        moved("send_receive_event_to_app()", "frames/curr_msg_data_type")
    assert proto.read_paused is True and transport.paused == 1, \
        moved("send_receive_event_to_app()", "read_paused / transport.pause_reading()")

    proto.curr_msg_data_type = "bytes"
    proto.frames = [b"\x01\x02"]
    proto.send_receive_event_to_app()  # already paused: no second pause
    assert transport.paused == 1, moved("send_receive_event_to_app()", "read_paused no longer "
                                        "keeps it from pausing again")
    assert proto.queue.qsize() == 1

    message = await asyncio.wait_for(proto.receive(), 1_000 * MS)
    assert message == {"type": "websocket.receive", "bytes": b"\x01\x02"}
    assert proto.read_paused is False and transport.resumed == 1, \
        moved("WebSocketsSansIOProtocol.receive()", "it no longer resumes reading on an empty "
              "queue through read_paused")


# -- websockets --------------------------------------------------------------------------------


def test_websockets_names_wsproto_imports() -> None:
    try:
        from websockets.frames import apply_mask
        from websockets.protocol import State
    except ImportError as exc:  # pragma: no cover - only when websockets moved them
        pytest.fail(moved("websockets.frames.apply_mask / websockets.protocol.State", str(exc)))
    assert apply_mask(b"\x01\x02\x03\x04\x05", b"\x01\x01\x01\x01") == b"\x00\x03\x02\x05\x04", \
        moved("websockets.frames.apply_mask")
    assert State.OPEN.name == "OPEN", moved("websockets.protocol.State.OPEN")


def _open_server_protocol(max_size: int = 2**16) -> Any:
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    conn = ServerProtocol(max_size=max_size)
    conn.receive_data(HANDSHAKE)
    (request,) = conn.events_received()
    conn.send_response(conn.accept(request))
    assert conn.state is State.OPEN, moved("ServerProtocol handshake")
    return conn


def _innermost(gen: Any) -> Any:
    while (inner := getattr(gen, "gi_yieldfrom", None)) is not None:
        gen = inner
    return gen


def _masked(payload: bytes, first: int = 0x81) -> bytes:
    from websockets.frames import apply_mask

    mask = b"\x11\x22\x33\x44"
    return bytes((first, 0x80 | len(payload))) + mask + apply_mask(payload, mask)


def test_websockets_parser_state_that_wsproto_reads() -> None:
    """wsproto decides that websockets' parser is between frames from ``conn.state``,
    ``conn.reader.buffer``, ``conn.current_size``, ``conn.extensions`` and the name of the
    innermost generator of ``conn.parser`` (``at_eof``, the reader's wait for a frame)."""
    conn = _open_server_protocol(max_size=12345)
    assert conn.max_message_size == 12345, moved("ServerProtocol.max_message_size")
    assert conn.extensions == [], moved("ServerProtocol.extensions")
    assert conn.current_size is None, moved("ServerProtocol.current_size")
    assert hasattr(conn, "reader") and not conn.reader.buffer, moved("ServerProtocol.reader.buffer")
    waiting = _innermost(conn.parser)
    assert getattr(waiting, "__name__", "") == "at_eof", moved(
        "ServerProtocol.parser", f"between frames it waits in {waiting!r}, not in at_eof "
        "(wsproto's _parser_between_frames)")

    frame = _masked(b"hello")
    conn.receive_data(frame[:3])  # part of a frame: no longer between frames
    assert conn.reader.buffer or _innermost(conn.parser).__name__ != "at_eof", \
        moved("ServerProtocol.reader.buffer / parser", "half a frame looks like none")
    conn.receive_data(frame[3:])
    assert [e.data for e in conn.events_received()] == [b"hello"]
    assert not conn.reader.buffer and _innermost(conn.parser).__name__ == "at_eof", \
        moved("ServerProtocol.parser", "not back at at_eof after a whole frame")

    conn.receive_data(_masked(b"frag", first=0x01))  # text, not final: a message is open
    conn.events_received()
    assert conn.current_size is not None, \
        moved("ServerProtocol.current_size", "None while a fragmented message is open")


def test_websockets_send_close_is_there_for_invalid_utf8() -> None:
    conn = _open_server_protocol()
    conn.send_close(1007)
    assert conn.close_sent is not None and conn.close_sent.code == 1007, \
        moved("ServerProtocol.send_close / close_sent")
