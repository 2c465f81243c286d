"""Helpers for the contract tests: an outside client that speaks PROTOCOL.md and nothing else.

These helpers only send frames written exactly as /work/shared/PROTOCOL.md writes them, and only
rely on fields the contract names. Server extensions (docs/protocol.md) are never required.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

import msgpack

from tests.client import WAIT, Client
from tests.conftest import LiveServer
from tests.timing import MS

CRISIS_EN = "I have the pills ready and I'm going to take them all tonight"
CRISIS_ZH = "我已经准备好安眠药了，今晚就全部吃下去"

# Contract frames the server may push at any time that a test waiting for something else skips.
PUSHED = ("queued", "typing", "watch", "presence", "cooldown")


def now_ms() -> int:
    return int(time.time() * 1000)


def ref() -> str:
    return "r-" + secrets.token_hex(6)


async def raw_json(c: Client, frame: dict[str, Any]) -> None:
    """Send a frame as an outside client would: json.dumps text (or a msgpack map if binary)."""
    if c.binary:
        await c.send_raw(msgpack.packb(frame, use_bin_type=True))
    else:
        await c.send_raw(json.dumps(frame))


async def until(c: Client, kind: str, timeout: float = WAIT) -> dict[str, Any]:
    """The next frame of type ``kind``, skipping any other (recorded in ``c.seen``)."""
    return await c.expect_any((kind,), timeout)


async def frames_for(c: Client, seconds: float) -> list[dict[str, Any]]:
    """Everything that arrives within ``seconds``."""
    out: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return out
        try:
            out.append(await c.recv(remaining))
        except TimeoutError:
            return out


async def seeker(live: LiveServer, lang: str = "en") -> tuple[Client, dict[str, Any]]:
    c = await live.client()
    await raw_json(c, {"type": "hello", "role": "seeker", "lang": lang, "resume": None})
    welcome = await c.expect("welcome", skip=())
    return c, welcome


async def staff(live: LiveServer, name: str, role: str, tier: int = 1,
                url: str | None = None) -> tuple[Client, dict[str, Any]]:
    token = await live.staff_token(name, role, tier=tier, alias=name.title())
    c = await live.client(url)
    await raw_json(c, {"type": "hello", "role": role, "token": token})
    welcome = await c.expect("welcome", skip=())
    return c, welcome


async def helper(live: LiveServer, name: str = "maple", capacity: int = 3,
                 topics: tuple[str, ...] = ("academic", "mood"),
                 langs: tuple[str, ...] = ("zh", "en"), url: str | None = None) -> Client:
    c, _ = await staff(live, name, "helper", url=url)
    r = ref()
    await raw_json(c, {"type": "status", "available": True, "capacity": capacity,
                       "topics": list(topics), "langs": list(langs), "ref": r})
    presence = await until(c, "presence")
    assert presence.get("ref") == r, presence
    return c


async def counselor(live: LiveServer, name: str = "cedar", tier: int = 1,
                    on_call: bool = True, url: str | None = None) -> Client:
    c, _ = await staff(live, name, "counselor", tier=tier, url=url)
    if on_call:
        r = ref()
        await raw_json(c, {"type": "status", "on_call": True, "ref": r})
        presence = await until(c, "presence")
        assert presence.get("ref") == r, presence
    return c


async def request(c: Client, topic: str = "academic", lang: str = "en",
                  note: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "request", "topic": topic, "lang": lang}
    if note is not None:
        frame["note"] = note
    await raw_json(c, frame)
    return await c.expect("queued", skip=())


async def pair(live: LiveServer, h: Client | None = None, note: str | None = None,
               topic: str = "academic", lang: str = "en",
               ) -> tuple[Client, Client, str, dict[str, Any]]:
    """A seeker matched with a helper; returns (seeker, helper, session, seeker welcome)."""
    h = h or await helper(live)
    s, welcome = await seeker(live, lang)
    queued = await request(s, topic=topic, lang=lang, note=note)
    matched = await s.expect("matched")
    assert matched["session"] == queued["session"]
    hm = await until(h, "matched")
    assert hm["session"] == matched["session"]
    return s, h, matched["session"], welcome


async def say(c: Client, sid: str, text: str, r: str | None = None) -> dict[str, Any]:
    """Send ``say`` and return the ack with our ref (skipping anything else)."""
    r = r or ref()
    await raw_json(c, {"type": "say", "session": sid, "text": text, "ref": r})
    while True:
        frame = await c.recv()
        if frame.get("ref") == r and frame["type"] in ("ack", "error"):
            assert frame["type"] == "ack", frame
            return frame


async def reply_to(c: Client, frame: dict[str, Any], timeout: float = WAIT) -> dict[str, Any]:
    """Send ``frame`` (given a fresh ref) and return the first reply carrying that ref."""
    r = ref()
    await raw_json(c, {**frame, "ref": r})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await c.recv(max(10 * MS, deadline - loop.time()))
        if got.get("ref") == r:
            return got


async def drop(c: Client) -> None:
    """The network goes away under a client: no close handshake (as a phone losing signal)."""
    transport = c.ws.transport
    transport.abort()
    await asyncio.sleep(50 * MS)
