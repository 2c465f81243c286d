"""A seeker streaming lines to a helper while Redis fails over or reshards: what was acked,
what is stored, what was delivered (tests/sentinel/test_failover.py, tests/cluster/...)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.client import Client
from tests.conftest import LiveServer
from tests.timing import MS, WAIT


@dataclass
class Streamed:
    acked: dict[str, int] = field(default_factory=dict)
    """Each line's ref and the seq its ack gave it."""
    refused: int = 0
    """``unavailable`` answers (each line refused was sent again until acked)."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """Any other error: a client could not retry it (the tests want none)."""


async def stream(seeker: Client, sid: str, lines: int,
                 on_line: Callable[[int], Awaitable[None]]) -> Streamed:
    """Send ``lines`` lines one after another; a line refused ``unavailable`` is sent again
    (same ref, ``resend``) after 100 ms until it is acked, as the web client does."""
    out = Streamed()
    for i in range(lines):
        ref = f"line-{i}"
        frame: dict[str, Any] = {"type": "say", "session": sid, "text": ref, "ref": ref}
        while True:
            await seeker.send(frame)
            answer = await seeker.expect_any(("ack", "error"), timeout=WAIT * 4)
            if answer["type"] == "ack":
                assert answer["ref"] == ref
                out.acked[ref] = answer["seq"]
                break
            if answer["code"] != "unavailable":
                out.errors.append(answer)
                break
            out.refused += 1
            frame = {**frame, "resend": True}
            await asyncio.sleep(100 * MS)
        await on_line(i)
    return out


class Collector:
    """Every ``message`` frame a client receives, read in the background."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.messages: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            frame = await self.client.recv(timeout=600.0)
            if frame["type"] == "message":
                self.messages.append(frame)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def stored(live: LiveServer, sid: str) -> list[tuple[int, str]]:
    """The session's transcript as Redis holds it now: (seq, text) per line."""
    entries = await live.runtime.redis.xrange(live.runtime.keys.stream(sid))
    return [(int(fields[b"seq"]), fields[b"text"].decode()) for _id, fields in entries]


async def until_ready(live: LiveServer, timeout: float) -> bool:
    from tests.integration.test_outages import readyz

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await asyncio.to_thread(readyz, live) == 200:
            return True
        await asyncio.sleep(100 * MS)
    return False
