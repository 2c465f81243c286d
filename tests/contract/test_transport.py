"""Transport, framing, errors, limits and the opening (PROTOCOL.md: Transport, Opening, Errors)."""

from __future__ import annotations

import asyncio
import json

import msgpack
import pytest
import websockets

from tests.conftest import LiveServer
from tests.timing import MS

from ._util import pair, raw_json, ref, seeker, until


async def test_json_subprotocol_is_negotiated_and_speaks_text_frames(
        live_server: LiveServer) -> None:
    ws = await websockets.connect(live_server.ws_url, subprotocols=["peerline.v1.json"])
    try:
        assert ws.subprotocol == "peerline.v1.json"
        await ws.send(json.dumps({"type": "hello", "role": "seeker", "lang": "zh",
                                  "resume": None}))
        data = await asyncio.wait_for(ws.recv(), 5_000 * MS)
        assert isinstance(data, str)
        welcome = json.loads(data)
        assert welcome["type"] == "welcome" and welcome["role"] == "seeker"
        assert isinstance(welcome["resume"], str) and welcome["resume"]
        assert isinstance(welcome["alias"], str) and welcome["alias"]
        assert welcome["sessions"] == []
    finally:
        await ws.close()


async def test_msgpack_subprotocol_speaks_binary_maps(live_server: LiveServer) -> None:
    ws = await websockets.connect(live_server.ws_url, subprotocols=["peerline.v1.msgpack"])
    try:
        assert ws.subprotocol == "peerline.v1.msgpack"
        await ws.send(msgpack.packb({"type": "hello", "role": "seeker", "lang": "en",
                                     "resume": None}, use_bin_type=True))
        data = await asyncio.wait_for(ws.recv(), 5_000 * MS)
        assert isinstance(data, bytes)
        welcome = msgpack.unpackb(data, raw=False)
        assert welcome["type"] == "welcome" and welcome["resume"]
        # A reply to a later frame also comes back as a binary map with our ref.
        await ws.send(msgpack.packb({"type": "nonsense", "ref": "m1"}, use_bin_type=True))
        err = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5_000 * MS), raw=False)
        assert err["type"] == "error" and err["code"] == "unknown_type" and err["ref"] == "m1"
        # Not MessagePack at all → bad_frame, the connection stays open.
        await ws.send(b"\xc1\xc1\xc1")
        err = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5_000 * MS), raw=False)
        assert err["type"] == "error" and err["code"] == "bad_frame"
        # Not a map → bad_frame.
        await ws.send(msgpack.packb([1, 2, 3]))
        err = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 5_000 * MS), raw=False)
        assert err["type"] == "error" and err["code"] == "bad_frame"
    finally:
        await ws.close()


async def test_msgpack_seeker_and_json_helper_talk(live_server: LiveServer) -> None:
    from ._util import helper, request

    h = await helper(live_server)
    s = await live_server.client(msgpack_codec=True)
    await s.send({"type": "hello", "role": "seeker", "lang": "en", "resume": None})
    await s.expect("welcome", skip=())
    queued = await request(s)
    matched = await s.expect("matched")
    assert matched["session"] == queued["session"]
    await until(h, "matched")
    await s.send({"type": "say", "session": matched["session"], "text": "hi 你好", "ref": "b1"})
    ack = await until(s, "ack")
    assert ack["ref"] == "b1" and ack["text"] == "hi 你好"
    msg = await until(h, "message")
    assert msg["text"] == "hi 你好" and msg["id"] == ack["id"]


async def test_no_subprotocol_gets_json(live_server: LiveServer) -> None:
    ws = await websockets.connect(live_server.ws_url)
    try:
        assert ws.subprotocol is None
        await ws.send(json.dumps({"type": "hello", "role": "seeker", "lang": "en",
                                  "resume": None}))
        data = await asyncio.wait_for(ws.recv(), 5_000 * MS)
        assert isinstance(data, str) and json.loads(data)["type"] == "welcome"
    finally:
        await ws.close()


async def test_unknown_subprotocol_only_gets_json(live_server: LiveServer) -> None:
    ws = await websockets.connect(live_server.ws_url, subprotocols=["chat", "peerline.v1.json"])
    try:
        assert ws.subprotocol == "peerline.v1.json"
        await ws.send(json.dumps({"type": "hello", "role": "seeker", "lang": "en"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5_000 * MS))["type"] == "welcome"
    finally:
        await ws.close()


async def test_errors_keep_the_connection_open_and_echo_ref(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    cases: list[tuple[str | bytes, str, str | None]] = [
        ("not json at all", "bad_frame", None),
        ("[1,2,3]", "bad_frame", None),
        ('"a string"', "bad_frame", None),
        (json.dumps({"ref": "e1"}), "bad_frame", "e1"),                     # no type
        (json.dumps({"type": 7, "ref": "e2"}), "bad_frame", "e2"),          # type not a string
        (json.dumps({"type": "dance", "ref": "e3"}), "unknown_type", "e3"),
        (json.dumps({"type": "say", "ref": "e4"}), "bad_frame", "e4"),      # missing fields
        (json.dumps({"type": "say", "session": 5, "text": "x", "ref": "e5"}), "bad_frame", "e5"),
        (json.dumps({"type": "request", "topic": "astrology", "lang": "en", "ref": "e6"}),
         "bad_frame", "e6"),
    ]
    for data, code, r in cases:
        await c.send_raw(data)
        err = await c.expect("error", skip=())
        assert err["code"] == code, (data, err)
        assert isinstance(err.get("detail"), str), err
        if r is not None:
            assert err.get("ref") == r, (data, err)
    # Still open and working.
    await raw_json(c, {"type": "typing", "session": "x" * 30, "ref": "e7"})
    err = await c.expect("error", skip=())
    assert err["code"] == "not_in_session" and err["ref"] == "e7"


async def test_unknown_extra_fields_are_ignored(live_server: LiveServer) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "lang": "en", "resume": None,
                       "client": "outside/1.0", "x": {"nested": [1, 2]}})
    await c.expect("welcome", skip=())
    from ._util import helper
    h = await helper(live_server)
    await raw_json(c, {"type": "request", "topic": "mood", "lang": "en", "colour": "blue",
                       "ref": "q1"})
    queued = await c.expect("queued", skip=())
    assert queued["ref"] == "q1"
    sid = (await c.expect("matched"))["session"]
    await until(h, "matched")
    await raw_json(c, {"type": "say", "session": sid, "text": "hi", "ref": "s1",
                       "mood": 3, "attachments": []})
    ack = await until(c, "ack")
    assert ack["ref"] == "s1"


async def test_first_frame_not_hello_closes_1008(live_server: LiveServer) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "request", "topic": "mood", "lang": "en"})
    assert await c.close_code() == 1008


async def test_no_hello_in_time_closes_1008(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(hello_timeout_s=500 * MS) as live:
        c = await live.client()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await c.close_code(timeout=5_000 * MS) == 1008
        assert loop.time() - t0 < 3_000 * MS


async def test_hello_just_in_time_is_accepted(server_factory) -> None:  # type: ignore[no-untyped-def]
    async with server_factory(hello_timeout_s=1_000 * MS) as live:
        c = await live.client()
        await asyncio.sleep(600 * MS)
        await raw_json(c, {"type": "hello", "role": "seeker", "lang": "en", "resume": None})
        await c.expect("welcome", skip=())
        await asyncio.sleep(800 * MS)  # past the hello deadline: a greeted connection stays open
        await raw_json(c, {"type": "dance", "ref": "d"})
        err = await c.expect("error", skip=())
        assert err["code"] == "unknown_type" and err["ref"] == "d"


async def test_default_hello_timeout_is_not_shorter_than_10s(live_server: LiveServer) -> None:
    assert live_server.settings.hello_timeout_s >= 10


async def test_frame_of_64_kib_is_read(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    base = {"type": "dance", "ref": "big", "pad": ""}
    pad = 64 * 1024 - len(json.dumps(base).encode())
    data = json.dumps({**base, "pad": "a" * pad})
    assert len(data.encode()) == 64 * 1024
    await c.send_raw(data)
    err = await c.expect("error", skip=())
    assert err["code"] == "unknown_type" and err["ref"] == "big"


async def test_frame_of_64_kib_multibyte_is_read(live_server: LiveServer) -> None:
    """64 KiB of UTF-8 (CJK text) in a say: read, then refused as too_long, not closed."""
    s, h, sid, _ = await pair(live_server)
    base = {"type": "say", "session": sid, "ref": "cjk", "text": ""}
    room = 64 * 1024 - len(json.dumps(base, ensure_ascii=False).encode())
    text = "好" * (room // 3)
    data = json.dumps({**base, "text": text}, ensure_ascii=False)
    assert len(data.encode()) <= 64 * 1024
    await s.send_raw(data)
    err = await until(s, "error")
    assert err["code"] == "too_long" and err["ref"] == "cjk"


async def test_frame_over_64_kib_closes_1009(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    await c.send_raw(json.dumps({"type": "dance", "pad": "a" * (80 * 1024)}))
    assert await c.close_code() == 1009


async def test_msgpack_frame_of_64_kib_is_read(live_server: LiveServer) -> None:
    c = await live_server.client(msgpack_codec=True)
    await c.send({"type": "hello", "role": "seeker", "lang": "en", "resume": None})
    await c.expect("welcome", skip=())
    base = {"type": "dance", "ref": "mbig", "pad": b""}
    overhead = len(msgpack.packb(base, use_bin_type=True))
    pad = b"a" * (64 * 1024 - overhead - 4)  # bin 32 header is 5 bytes instead of 2 for small
    data = msgpack.packb({**base, "pad": pad}, use_bin_type=True)
    while len(data) < 64 * 1024:
        pad += b"a"
        data = msgpack.packb({**base, "pad": pad}, use_bin_type=True)
    assert len(data) == 64 * 1024
    await c.send_raw(data)
    err = await c.expect("error", skip=())
    assert err["code"] == "unknown_type" and err["ref"] == "mbig"


async def test_ref_is_echoed_up_to_64_chars(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    r64 = "R" * 64
    await raw_json(c, {"type": "dance", "ref": r64})
    err = await c.expect("error", skip=())
    assert err["ref"] == r64
    # Non-ASCII ref of 64 code points (more than 64 bytes) is still a valid ref.
    r64u = "参" * 64
    await raw_json(c, {"type": "dance", "ref": r64u})
    err = await c.expect("error", skip=())
    assert err["ref"] == r64u and err["code"] == "unknown_type"


async def test_ref_longer_than_64_chars_is_refused_and_connection_stays(
        live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    await raw_json(c, {"type": "dance", "ref": "R" * 65})
    err = await c.expect("error", skip=())
    assert err["code"] in ("bad_frame", "unknown_type")
    await raw_json(c, {"type": "dance", "ref": "ok"})
    assert (await c.expect("error", skip=()))["ref"] == "ok"


async def test_burst_of_50_frames_after_hello_is_never_rate_limited(
        live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    frames = [json.dumps({"type": "dance", "ref": f"b{i}"}) for i in range(50)]
    for data in frames:
        await c.send_raw(data)
    got = [await c.expect("error", skip=()) for _ in range(50)]
    assert [g["code"] for g in got] == ["unknown_type"] * 50
    assert [g["ref"] for g in got] == [f"b{i}" for i in range(50)]


async def test_burst_of_50_says_is_never_rate_limited(live_server: LiveServer) -> None:
    s, h, sid, _ = await pair(live_server)
    for i in range(50):
        await raw_json(s, {"type": "say", "session": sid, "text": f"m{i}", "ref": f"s{i}"})
    acks = []
    while len(acks) < 50:
        f = await s.recv()
        assert f["type"] != "error", f
        if f["type"] == "ack":
            acks.append(f)
    assert [a["ref"] for a in acks] == [f"s{i}" for i in range(50)]


async def test_sustained_flood_gets_rate_limited_then_1008(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    data = json.dumps({"type": "typing", "session": "nope-nope-nope-nope-nope", "ref": "f"})
    codes: list[str] = []
    closed: int | None = None

    async def reader() -> None:
        nonlocal closed
        try:
            while True:
                frame = json.loads(await c.ws.recv())
                if frame["type"] == "error":
                    codes.append(frame["code"])
        except websockets.ConnectionClosed as exc:
            closed = exc.rcvd.code if exc.rcvd else None

    task = asyncio.create_task(reader())
    try:
        for _ in range(400):
            if task.done():
                break
            await c.ws.send(data)
        await asyncio.wait_for(task, 10_000 * MS)
    except websockets.ConnectionClosed:
        await asyncio.wait_for(task, 10_000 * MS)
    assert "rate_limited" in codes
    assert closed == 1008


async def test_rate_limited_error_carries_ref(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    for i in range(120):
        await raw_json(c, {"type": "dance", "ref": f"x{i}"})
    limited = []
    for _ in range(120):
        f = await c.recv()
        if f["type"] == "error" and f["code"] == "rate_limited":
            limited.append(f)
    assert limited, "120 frames at once should see rate_limited"
    assert all(f.get("ref", "").startswith("x") for f in limited), limited[:3]


async def test_ids_are_unguessable(live_server: LiveServer) -> None:
    from ._util import CRISIS_EN, counselor, say
    co = await counselor(live_server)
    s, h, sid, _ = await pair(live_server)
    assert isinstance(sid, str) and len(sid) >= 22
    await say(s, sid, CRISIS_EN)
    alert = await until(co, "alert")
    assert isinstance(alert["alert"], str) and len(alert["alert"]) >= 22


@pytest.mark.parametrize("role", ["helper", "counselor"])
async def test_staff_hello_without_token_is_unauthorized_1008(live_server: LiveServer,
                                                              role: str) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": role, "ref": "h"})
    err = await c.expect("error", skip=())
    assert err["code"] == "unauthorized" and err.get("ref") == "h"
    assert await c.close_code() == 1008


@pytest.mark.parametrize("role", ["helper", "counselor"])
async def test_staff_hello_wrong_token_is_unauthorized_1008(live_server: LiveServer,
                                                            role: str) -> None:
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": role, "token": "not-a-token-" + ref()})
    err = await c.expect("error", skip=())
    assert err["code"] == "unauthorized"
    assert await c.close_code() == 1008


async def test_staff_hello_with_null_or_empty_token_is_unauthorized_1008(
        live_server: LiveServer) -> None:
    for token in (None, ""):
        c = await live_server.client()
        await raw_json(c, {"type": "hello", "role": "helper", "token": token})
        err = await c.expect("error", skip=())
        assert err["code"] == "unauthorized", (token, err)
        assert await c.close_code() == 1008


async def test_expired_token_is_unauthorized_1008(live_server: LiveServer) -> None:
    token = await live_server.staff_token("oak", "helper")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "helper", "token": token})
    await c.expect("welcome", skip=())
    await c.close()
    # Expire every token of this account by letting its Redis keys lapse (server-side expiry).
    redis = live_server.runtime.redis
    prefix = live_server.settings.key_prefix
    n = 0
    async for key in redis.scan_iter(match=f"{prefix}:*tok*"):
        await redis.pexpire(key, 1)
        n += 1
    assert n, "could not find the token's key to expire it"
    await asyncio.sleep(50 * MS)
    c2 = await live_server.client()
    await raw_json(c2, {"type": "hello", "role": "helper", "token": token})
    err = await c2.expect("error", skip=())
    assert err["code"] == "unauthorized"
    assert await c2.close_code() == 1008


async def test_revoked_token_is_unauthorized_1008(live_server: LiveServer) -> None:
    token = await live_server.staff_token("birch", "helper")
    await live_server.runtime.staff.remove("birch")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "helper", "token": token})
    err = await c.expect("error", skip=())
    assert err["code"] == "unauthorized"
    assert await c.close_code() == 1008


async def test_revoked_token_closes_a_connected_staff_member_eventually(
        live_server: LiveServer) -> None:
    """Not contract text; kept informational: a removed account's later hello is refused."""
    token = await live_server.staff_token("elm", "counselor")
    await live_server.runtime.staff.remove("elm")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "counselor", "token": token})
    assert (await c.expect("error", skip=()))["code"] == "unauthorized"


async def test_helper_token_cannot_open_as_counselor(live_server: LiveServer) -> None:
    token = await live_server.staff_token("ash", "helper")
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "counselor", "token": token})
    first = await c.recv()
    if first["type"] == "welcome":
        # If the server lets it in, it must be as what the account is, never a counselor.
        assert first["role"] == "helper", first
    else:
        assert first["type"] == "error" and first["code"] == "unauthorized"
        assert await c.close_code() == 1008


async def test_seeker_hello_with_unknown_resume_token(live_server: LiveServer) -> None:
    """The contract does not say what an unknown/expired resume token gets. Either a fresh
    welcome (new token, no sessions) or an ``error`` with a contract code is acceptable; a
    silent close is not. (This server answers ``unauthorized`` and closes: see the report.)"""
    c = await live_server.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "resume": "bogus-" + ref(),
                       "last_seen": {}})
    first = await c.recv()
    if first["type"] == "welcome":
        assert first["role"] == "seeker" and first["sessions"] == []
        assert first["resume"] and not first["resume"].startswith("bogus-")
    else:
        assert first["type"] == "error" and first["code"] == "unauthorized", first
        assert await c.close_code() == 1008
    # A fresh anonymous hello on a new connection always works.
    c2, welcome = await seeker(live_server)
    assert welcome["resume"]


async def test_second_hello_is_refused_not_crash(live_server: LiveServer) -> None:
    c, _ = await seeker(live_server)
    await raw_json(c, {"type": "hello", "role": "seeker", "lang": "en", "ref": "h2"})
    f = await c.recv()
    assert f["type"] == "error" and f.get("ref") == "h2", f
    await raw_json(c, {"type": "dance", "ref": "after"})
    assert (await c.expect("error", skip=()))["ref"] == "after"

