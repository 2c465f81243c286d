"""Pure parts of the server: frame validation, codecs, rate limiting, the outbox, estimates."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from matching import Priority, estimate_wait_s, queue_score
from server.core import protocol as p
from server.core.errors import ProtocolError, TooLong, UnknownType
from server.core.ratelimit import AbuseCounter, TokenBucket
from server.transport.codec import JSON, MSGPACK, choose_codec
from server.transport.outbox import Outbox, Overflow
from tests.timing import MS


def test_frames_validate_and_ignore_extra_fields() -> None:
    frame = p.parse_frame({"type": "say", "session": "s", "text": "hi", "ref": "c1", "x": 1})
    assert isinstance(frame, p.Say) and frame.ref == "c1"
    hello = p.parse_frame({"type": "hello", "role": "seeker", "lang": "zh", "resume": None})
    assert isinstance(hello, p.Hello) and hello.resume is None


@pytest.mark.parametrize(
    "raw, error",
    [
        ({}, ProtocolError),
        ({"type": None}, ProtocolError),
        ({"type": "nope"}, UnknownType),
        ({"type": "say", "session": "s"}, ProtocolError),
        ({"type": "say", "session": "s", "text": " \n\t "}, ProtocolError),
        ({"type": "say", "session": "s", "text": "a" * 2001}, TooLong),
        ({"type": "request", "topic": "nope"}, ProtocolError),
        ({"type": "status", "capacity": -1}, ProtocolError),
        ({"type": "hello", "role": "operator"}, ProtocolError),
        ({"type": "ping", "ref": "r" * 65}, ProtocolError),
    ],
)
def test_bad_frames_raise_the_contract_error(raw: dict, error: type) -> None:  # type: ignore[type-arg]
    with pytest.raises(error) as info:
        p.parse_frame(raw)
    assert type(info.value) is error
    assert info.value.code in ("bad_frame", "unknown_type", "too_long")


def test_text_limit_counts_code_points_after_trimming() -> None:
    assert p.check_text("  " + "好" * 2000 + "  ") == "好" * 2000
    with pytest.raises(TooLong):
        p.check_text("😀" * 2001)


def test_refs_are_echoed_only_when_valid() -> None:
    assert p.frame_ref({"ref": "abc"}) == "abc"
    assert p.frame_ref({"ref": 5}) is None
    assert p.frame_ref({"ref": "x" * 65}) is None


def test_codecs_round_trip_and_refuse_garbage() -> None:
    frame = {"type": "message", "text": "你好 ✓", "seq": 3}
    assert JSON.decode(JSON.encode(frame)) == frame
    assert "你好" in JSON.encode(frame)  # UTF-8, not \\u escapes
    assert MSGPACK.decode(MSGPACK.encode(frame)) == frame
    for bad in ("{", "[1]", "\"x\"", b"\xff\xfe"):
        with pytest.raises(ProtocolError):
            JSON.decode(bad)
    with pytest.raises(ProtocolError):
        MSGPACK.decode(msgpack.packb([1, 2]))
    with pytest.raises(ProtocolError):
        MSGPACK.decode("text frame")


def test_codec_choice_follows_the_offer() -> None:
    assert choose_codec([]) is JSON
    assert choose_codec(["peerline.v1.msgpack"]) is MSGPACK
    assert choose_codec(["peerline.v1.json", "peerline.v1.msgpack"]) is JSON
    assert choose_codec(["other", "peerline.v1.msgpack"]) is MSGPACK


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    bucket = TokenBucket(burst=50, rate=10.0)
    now = bucket.stamp
    assert all(bucket.take(now) for _ in range(50))
    assert not bucket.take(now)
    assert bucket.take(now + 0.11)  # a token back after a tenth of a second
    assert not bucket.take(now + 0.11)


def test_abuse_counter_counts_within_its_window() -> None:
    counter = AbuseCounter(limit=3, window_s=10)
    assert not counter.record(0.0)
    assert not counter.record(1.0)
    assert not counter.record(20.0)  # the first two fell out of the window
    assert not counter.record(21.0)
    assert counter.record(22.0)


async def test_outbox_drops_ephemeral_frames_and_overflows_on_messages() -> None:
    box = Outbox(limit=2)
    box.put({"type": "message"})
    box.put({"type": "message"})
    box.put({"type": "typing"})  # dropped, not an error
    assert box.dropped == 1
    with pytest.raises(Overflow):
        box.put({"type": "message"})
    assert len(await asyncio.wait_for(box.take_all(), 1_000 * MS)) == 2
    box.close()
    assert await asyncio.wait_for(box.take_all(), 1_000 * MS) == []


async def test_outbox_holds_no_frame_past_its_limit_and_hands_frames_over_at_once() -> None:
    # Issue 16: nothing goes past the limit, a resume's replay included (it is read in pages
    # that fit, see Connection.release).
    box = Outbox(limit=5)
    for seq in range(5):
        box.put({"type": "message", "seq": seq})
    assert len(box) == 5
    with pytest.raises(Overflow):
        box.put({"type": "message"})
    box.put({"type": "typing"})  # droppable: dropped, counted
    assert box.dropped == 1
    assert [f["seq"] for f in box.take_nowait()] == [0, 1, 2, 3, 4]
    assert box.take_nowait() == []
    waiter = asyncio.create_task(box.wait_closed())
    await asyncio.sleep(10 * MS)
    assert not waiter.done()
    box.close()
    await asyncio.wait_for(waiter, 1_000 * MS)
    box.put({"type": "message"})  # after the close: ignored
    assert box.take_nowait() == []


def test_queue_score_orders_priority_before_time() -> None:
    assert queue_score(Priority.CRISIS, 2_000) < queue_score(Priority.NORMAL, 1_000)
    assert queue_score(Priority.NORMAL, 1_000) < queue_score(Priority.NORMAL, 1_001)
    with pytest.raises(ValueError):
        queue_score(4, 0)


def test_estimates_are_honest() -> None:
    now = 10_000_000
    assert estimate_wait_s(3, helpers_online=0, free_places=0, recent_match_times_ms=[],
                           now_ms=now) is None
    assert estimate_wait_s(1, 2, 1, [], now) == 5  # a free place: seconds
    # Ten matches in the last 100 s: one every 10 s; 4 ahead of the free places → ~40 s.
    recent = [now - i * 10_000 for i in range(1, 11)]
    assert estimate_wait_s(5, 3, 1, recent, now) == 40
    # Old history is ignored; the default pace per helper is used instead.
    stale = [now - 3_600_000] * 10
    assert estimate_wait_s(2, 1, 0, stale, now) == 600
