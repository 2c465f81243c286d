"""The direct write path's framing, read back by websockets' own (client-side) parser."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.transport.wsproto import frame_bytes


def _parse_all(data: bytes) -> list[Frame]:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            while True:
                next(parser)
        except StopIteration as done:
            frames.append(done.value)
    return frames


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_each_payload_length_form_round_trips(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    (frame,) = _parse_all(frame_bytes([payload], binary=True))
    assert frame.opcode is Opcode.BINARY and frame.fin and not frame.rsv1
    assert frame.data == payload


def test_several_frames_in_one_write_keep_their_order_and_kind() -> None:
    texts = ["{\"type\":\"ack\"}", "你好" * 50, "x" * 70_000]
    frames = _parse_all(frame_bytes([t.encode() for t in texts], binary=False))
    assert [f.opcode for f in frames] == [Opcode.TEXT] * 3
    assert [f.data.decode() for f in frames] == texts
