"""Issue 16, defect 3: a resume's replay is bounded like every other frame, and a replaced
connection holds nothing.

A seeker with a 6,000-message transcript resumes ten times from clients that never read. The
replay is read from the stream a page at a time as the connection drains, so a client that
does not read gets one page or two; each newer connection replaces the older at once and the
older's socket, with whatever it had not read, is dropped. Then a client that reads resumes
and gets every message once, in order, with what was said during its replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.transport.connection import Connection
from tests.client import Client
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.rawsocket import RawSocket, text_frame
from tests.timing import WAIT

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]
TRANSCRIPT = 6000
RESUMES = 10
TEXT = "steady notes about the week ahead " * 12  # 408 characters


def _open_ws(live: LiveServer) -> list[WebSocketsSansIOProtocol]:
    return [p for p in live.uvicorn.server_state.connections
            if isinstance(p, WebSocketsSansIOProtocol) and not p.transport.is_closing()]


async def _drain(client: Client, into: list[dict[str, Any]]) -> None:
    while True:
        into.append(await client.recv(timeout=600))


async def _until(check: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 6 * WAIT
    while not check():
        assert loop.time() < deadline, what
        await asyncio.sleep(0.02)


async def test_non_reading_resumes_of_a_long_transcript_hold_little_memory(
    server_factory: Factory,
) -> None:
    async with server_factory(rate_burst=100_000, rate_per_s=100_000.0) as live:
        seeker, helper, sid = await matched_pair(live)
        resume = seeker.seen[0]["resume"]
        seen_by_seeker: list[dict[str, Any]] = []
        helper_frames: list[dict[str, Any]] = []
        drains = [asyncio.create_task(_drain(seeker, seen_by_seeker)),
                  asyncio.create_task(_drain(helper, helper_frames))]
        for i in range(TRANSCRIPT):
            await helper.send({"type": "say", "session": sid, "text": TEXT, "ref": f"h{i}"})
            if i % 200 == 199:
                await _until(lambda i=i: sum(f["type"] == "ack" for f in helper_frames) > i - 200,
                             "the helper's messages were not acked")
        await _until(lambda: sum(f["type"] == "ack" for f in helper_frames) == TRANSCRIPT,
                     "the helper's messages were not all acked")
        drains[0].cancel()

        hub = live.runtime.hub
        uid = next(u for u, c in hub.users.items() if c.who.role == "seeker")
        raws: list[RawSocket] = []
        try:
            for _ in range(RESUMES):
                before = hub.users[uid]
                raw = await RawSocket.websocket(live.http_url, rcvbuf=4096)
                raws.append(raw)
                await raw.send(text_frame({"type": "hello", "role": "seeker", "resume": resume}))
                await _until(lambda b=before: hub.users.get(uid) is not b,
                             "the resume was not served")
                await asyncio.sleep(0.2)  # its replay goes as far as the socket lets it
            latest = hub.users[uid]
            assert isinstance(latest, Connection)
            # The replaced connections are gone, whatever their clients had not read.
            await _until(lambda: len(_open_ws(live)) <= 2,
                         f"{len(_open_ws(live)) - 2} replaced connections still open")
            buffered = sum(p.transport.get_write_buffer_size() for p in _open_ws(live))
            queued = len(latest.outbox) + len(latest._held or [])
            # One 6,000-message replay is about 2.9 MB; ten held would be 29 MB.
            assert buffered < 1024 * 1024, f"{buffered} bytes buffered for clients not reading"
            assert queued <= live.settings.outbound_queue
            assert latest._replay is not None, "the replay should wait for the client to read"

            # A client that reads resumes; the helper talks during its replay.
            back = await live.client()
            await back.send({"type": "hello", "role": "seeker", "resume": resume, "ref": "r"})
            await back.expect("welcome")
            for i in range(3):
                await helper.send({"type": "say", "session": sid, "text": f"still here {i}",
                                   "ref": f"late{i}"})
            got: list[dict[str, Any]] = []
            while len(got) < TRANSCRIPT + 3:
                got.append(await back.expect("message", timeout=6 * WAIT))
            await back.no_frame(0.3, of="message")
            assert [m["seq"] for m in got] == list(range(1, TRANSCRIPT + 4))
            assert [m["text"] for m in got[-3:]] == [f"still here {i}" for i in range(3)]
        finally:
            for raw in raws:
                raw.close()
            for task in drains:
                task.cancel()
