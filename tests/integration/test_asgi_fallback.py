"""Under a stock ASGI WebSocket implementation (uvicorn's own ``websockets-sansio``, without
Peerline's direct read and write path) the hub works the same, through ASGI messages."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from tests.conftest import LiveServer
from tests.integration.test_talk import matched_pair

Factory = Callable[..., AbstractAsyncContextManager[LiveServer]]


async def test_a_conversation_and_a_bad_frame_under_plain_uvicorn(server_factory: Factory) -> None:
    async with server_factory(ws_protocol="websockets-sansio") as live:
        seeker, helper, sid = await matched_pair(live)
        ack = await seeker.say(sid, "hello, is anyone there?")
        message = await helper.expect("message")
        assert message["id"] == ack["id"] and message["text"] == "hello, is anyone there?"
        for i in range(20):  # more than the read-ahead, in one burst
            await helper.send({"type": "say", "session": sid, "text": f"line {i}", "ref": f"h{i}"})
        got = [(await seeker.expect("message"))["text"] for _ in range(20)]
        assert got == [f"line {i}" for i in range(20)]
        await seeker.send_raw("not json")
        error = await seeker.expect("error")
        assert error["code"] == "bad_frame"
        await seeker.send({"type": "leave", "session": sid, "ref": "bye"})
        assert (await helper.expect_any(("ended",)))["session"] == sid
