"""A connection's bounded outbound queue, with the overflow policy stated in one place.

A slow reader must not grow the server's memory without bound. When the queue is full:
ephemeral frames (typing, queue updates, presence) are dropped; anything else means the client
can no longer keep up, so the connection is closed (1013) and the client resumes, getting every
stored message it missed from the transcript.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

DROPPABLE = frozenset({"typing", "queued", "presence", "pong", "watch"})


class Overflow(Exception):
    """The outbox is full of frames that cannot be dropped."""


class Outbox:
    __slots__ = ("_frames", "_limit", "_ready", "_closed", "closed", "dropped")

    def __init__(self, limit: int) -> None:
        self._frames: deque[dict[str, Any]] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._closed = asyncio.Event()
        self.closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: dict[str, Any]) -> None:
        """Queue a frame (a resume's replay too: it is read in pages that fit, see
        ``Connection.release``)."""
        if self.closed:
            return
        if len(self._frames) >= self._limit:
            if frame.get("type") in DROPPABLE:
                self.dropped += 1
                return
            raise Overflow
        self._frames.append(frame)
        self._ready.set()

    async def take_all(self) -> list[dict[str, Any]]:
        """Wait for frames and return all queued ones; empty list once closed."""
        while not self._frames:
            if self.closed:
                return []
            self._ready.clear()
            await self._ready.wait()
        frames = list(self._frames)
        self._frames.clear()
        return frames

    def take_nowait(self) -> list[dict[str, Any]]:
        """Every queued frame, at once (possibly none)."""
        frames = list(self._frames)
        self._frames.clear()
        return frames

    async def wait_closed(self) -> None:
        """Until ``close``. Its own event, not ``_ready``: waking on every frame would churn a
        coroutine and a future per frame that live until the next one (see gcpolicy.py)."""
        await self._closed.wait()

    def close(self) -> None:
        self.closed = True
        self._ready.set()
        self._closed.set()
