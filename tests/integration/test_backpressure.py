"""A reader that stops reading: its frames wait in its bounded outbox, then it is cut off (1013)
and resumes with every message; nobody else is slowed down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import websockets

from tests.client import WAIT
from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair
from tests.timing import MS

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def test_a_reader_that_falls_behind_is_closed_1013_and_resumes_without_loss(
    server_factory: Factory,
) -> None:
    async with server_factory(outbound_queue=20, rate_burst=100_000,
                              rate_per_s=100_000.0) as live:
        seeker, helper, sid = await matched_pair(live)
        resume = seeker.seen[0]["resume"]
        hub = live.runtime.hub
        # The seeker's websockets client stops reading the socket once 16 frames wait unread;
        # the kernel buffers fill, then the server's transport, then the seeker's outbox.
        acked: list[dict[str, Any]] = []

        async def read_acks() -> None:
            while True:
                frame = await helper.recv(timeout=30_000 * MS)
                if frame["type"] == "ack":
                    acked.append(frame)

        reader = asyncio.create_task(read_acks())
        text = "so much to say " * 120  # 1,800 characters
        sent = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60_000 * MS
        while len(hub.users) == 2 and loop.time() < deadline:
            for _ in range(50):
                sent += 1
                await helper.send({"type": "say", "session": sid, "text": text, "ref": f"h{sent}"})
            while len(acked) < sent - 100 and loop.time() < deadline:
                await asyncio.sleep(5 * MS)
        assert len(hub.users) == 1, "the seeker who stopped reading was never cut off"
        while len(acked) < sent and loop.time() < deadline:
            await asyncio.sleep(5 * MS)
        reader.cancel()
        assert len(acked) == sent  # the helper was never held back

        # The seeker reads what reached it, then the close frame: 1013, try again later.
        got: list[dict[str, Any]] = []
        try:
            while True:
                got.append(await seeker.recv(timeout=WAIT))
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code == 1013
        messages = [f for f in got if f["type"] == "message"]
        assert 0 < len(messages) < sent
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))

        # It resumes from its last message and gets every later one, once, in order.
        back = await live.client()
        await back.hello_seeker(resume=resume, last_seen={sid: messages[-1]["id"]})
        replay = [await back.expect("message") for _ in range(sent - len(messages))]
        assert [m["seq"] for m in replay] == list(range(len(messages) + 1, sent + 1))
        await back.no_frame(300 * MS, of="message")
        await back.say(sid, "sorry, I was away")
        assert (await helper.expect("message"))["text"] == "sorry, I was away"
