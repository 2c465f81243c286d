"""Frame codecs: JSON text frames and MessagePack binary frames. Nothing else lives here.

A codec turns bytes or str from the socket into a ``dict`` and a ``dict`` into what the socket
sends. It knows nothing of frame types; validation is ``protocol.py``'s job.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgpack
import orjson

from ..core.errors import ProtocolError

JSON_SUBPROTOCOL = "peerline.v1.json"
MSGPACK_SUBPROTOCOL = "peerline.v1.msgpack"


class Codec(Protocol):
    subprotocol: str
    binary: bool

    def decode(self, data: str | bytes) -> dict[str, Any]: ...

    def encode(self, frame: dict[str, Any]) -> str | bytes: ...

    def payload(self, frame: dict[str, Any]) -> bytes:
        """The frame as the bytes of a WebSocket message (UTF-8 for the JSON codec)."""
        ...


class JsonCodec:
    """JSON through orjson: encoding was the largest cost of ours in the relay profile
    (the standard library's encoder took about 7% of the server's CPU, orjson a fifth of that)."""

    subprotocol = JSON_SUBPROTOCOL
    binary = False

    def decode(self, data: str | bytes) -> dict[str, Any]:
        try:
            frame = orjson.loads(data)
        except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProtocolError("frame is not valid JSON") from exc
        if not isinstance(frame, dict):
            raise ProtocolError("frame must be a JSON object")
        return frame

    def encode(self, frame: dict[str, Any]) -> str:
        return orjson.dumps(frame).decode()

    def payload(self, frame: dict[str, Any]) -> bytes:
        return orjson.dumps(frame)


class MsgpackCodec:
    subprotocol = MSGPACK_SUBPROTOCOL
    binary = True

    def decode(self, data: str | bytes) -> dict[str, Any]:
        if isinstance(data, str):
            raise ProtocolError("the msgpack subprotocol takes binary frames")
        try:
            frame = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except Exception as exc:  # msgpack raises several unrelated types
            raise ProtocolError("frame is not valid MessagePack") from exc
        if not isinstance(frame, dict):
            raise ProtocolError("frame must be a MessagePack map")
        return frame

    def encode(self, frame: dict[str, Any]) -> bytes:
        return msgpack.packb(frame, use_bin_type=True)

    payload = encode


JSON = JsonCodec()
MSGPACK = MsgpackCodec()


def choose_codec(offered: list[str]) -> Codec:
    """Pick the codec for the subprotocols a client offered; JSON when it asked for neither."""
    for name in offered:
        if name == MSGPACK_SUBPROTOCOL:
            return MSGPACK
        if name == JSON_SUBPROTOCOL:
            return JSON
    return JSON
