"""A small protocol client for tests: a real ``websockets`` connection plus frame helpers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
import websockets

from tests.timing import MS, QUIET, WAIT

__all__ = ["WAIT", "Client"]


class Client:
    def __init__(self, ws: websockets.ClientConnection, binary: bool = False) -> None:
        self.ws = ws
        self.binary = binary
        self.seen: list[dict[str, Any]] = []
        self._refs = 0

    @classmethod
    async def connect(cls, ws_url: str, msgpack_codec: bool = False,
                      subprotocol: bool = True) -> Client:
        protocols = None
        if subprotocol:
            protocols = ["peerline.v1.msgpack" if msgpack_codec else "peerline.v1.json"]
        ws = await websockets.connect(ws_url, subprotocols=protocols,  # type: ignore[arg-type]
                                      max_size=None, open_timeout=WAIT)
        return cls(ws, binary=msgpack_codec)

    async def send(self, frame: dict[str, Any]) -> None:
        if self.binary:
            await self.ws.send(msgpack.packb(frame, use_bin_type=True))
        else:
            await self.ws.send(json.dumps(frame))

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        frame = msgpack.unpackb(data, raw=False) if isinstance(data, bytes) else json.loads(data)
        self.seen.append(frame)
        return frame  # type: ignore[no-any-return]

    async def expect(self, kind: str, timeout: float = WAIT,
                     skip: tuple[str, ...] = ("queued", "typing")) -> dict[str, Any]:
        """The next frame of type ``kind``, skipping only the ephemeral kinds in ``skip``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(10 * MS, deadline - loop.time()))
            if frame["type"] == kind:
                return frame
            if frame["type"] not in skip:
                raise AssertionError(f"expected {kind!r}, got {frame!r}")

    async def expect_any(self, kinds: tuple[str, ...], timeout: float = WAIT) -> dict[str, Any]:
        """The next frame whose type is one of ``kinds``, skipping any other."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(10 * MS, deadline - loop.time()))
            if frame["type"] in kinds:
                return frame

    async def no_frame(self, timeout: float = QUIET, of: str | None = None) -> None:
        """Assert that nothing (or nothing of type ``of``) arrives within ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                frame = await self.recv(remaining)
            except TimeoutError:
                return
            if of is None or frame["type"] == of:
                raise AssertionError(f"unexpected frame {frame!r}")

    async def close_code(self, timeout: float = WAIT) -> int | None:
        """Read until the server closes; return its close code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None

    async def close(self) -> None:
        await self.ws.close()

    # -- openings ----------------------------------------------------------------------------

    async def hello_seeker(self, lang: str = "en", resume: str | None = None,
                           last_seen: dict[str, str] | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello", "role": "seeker", "lang": lang, "resume": resume}
        if last_seen is not None:
            frame["last_seen"] = last_seen
        await self.send(frame)
        return await self.expect("welcome")

    async def hello_staff(self, role: str, token: str,
                          last_seen: dict[str, str] | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello", "role": role, "token": token}
        if last_seen is not None:
            frame["last_seen"] = last_seen
        await self.send(frame)
        return await self.expect("welcome")

    async def say(self, session: str, text: str, ref: str | None = None) -> dict[str, Any]:
        self._refs += 1
        ref = ref or f"say-{id(self):x}-{self._refs}"  # unique across a person's connections
        await self.send({"type": "say", "session": session, "text": text, "ref": ref})
        return await self.expect("ack", skip=("queued", "typing", "message", "flag", "resources",
                                              "participant", "watch", "alert"))
