"""The process's door: how many sockets may wait, for how long, before they have said anything.

Why: a socket that never sends a request (silent TCP, half an HTTP request, an idle keep-alive)
cost a file descriptor for as long as its client liked, and 20,000 of them left none for
``/healthz`` or a new WebSocket. Three bounds, each with its refusal:

- ``request_timeout_s``: a TCP connection must complete an HTTP request (the WebSocket
  handshake is one) within this time of connecting or of its previous response; otherwise it is
  closed (408 if it had sent part of one, nothing if it had sent nothing).
- ``max_pending``: at most this many connections may be waiting for their request at once; one
  more closes the one that has waited longest. A real client sends its request at once, so the
  sockets that lose are the ones that were never going to say anything, and fresh requests
  (``/healthz``, a new WebSocket) always get through.
- ``max_pre_hello`` and ``max_websockets``: WebSockets not yet past ``hello`` (each has
  ``hello_timeout_s``), and WebSockets in all; a handshake beyond either is refused with HTTP
  503 and ``Retry-After``.

The HTTP side lives in ``httpproto.py``; the WebSocket side in the endpoint and ``Connection``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

GATE = "peerline.gate"
"""Where the gate sits in the lifespan state (uvicorn hands it to every protocol)."""


@dataclass(frozen=True, slots=True)
class GateLimits:
    request_timeout_s: float
    max_pending: int
    max_pre_hello: int
    max_websockets: int


class Waiting(Protocol):
    """A connection waiting for its request (``httpproto.PeerlineHttpProtocol``)."""

    def request_timed_out(self) -> None: ...

    def evicted(self) -> None: ...


class Gate:
    """Counts and deadlines for one process's connections (see the module docstring)."""

    def __init__(self, limits: GateLimits) -> None:
        self.limits = limits
        self._pending: dict[Waiting, asyncio.TimerHandle] = {}
        self.pre_hello = 0
        self.websockets = 0
        self.evictions = 0
        self.timeouts = 0
        self.refusals = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    # -- connections waiting for an HTTP request ------------------------------------------------

    def waiting(self, conn: Waiting) -> None:
        """``conn`` now waits for a request: its deadline starts; the longest-waiting other
        connection is closed if that makes too many."""
        if conn in self._pending:
            return
        while len(self._pending) >= self.limits.max_pending:
            oldest = next(iter(self._pending))
            self._pending.pop(oldest).cancel()
            self.evictions += 1
            oldest.evicted()
        loop = asyncio.get_running_loop()
        self._pending[conn] = loop.call_later(self.limits.request_timeout_s, self._due, conn)

    def answered(self, conn: Waiting) -> None:
        """``conn``'s request is complete (or it is gone): no deadline, no place in the count."""
        timer = self._pending.pop(conn, None)
        if timer is not None:
            timer.cancel()

    def _due(self, conn: Waiting) -> None:
        if self._pending.pop(conn, None) is not None:
            self.timeouts += 1
            conn.request_timed_out()

    # -- WebSockets -------------------------------------------------------------------------

    def admit_websocket(self) -> bool:
        """A WebSocket handshake: False (refuse it, 503) when either WebSocket bound is full."""
        limits = self.limits
        if self.pre_hello >= limits.max_pre_hello or self.websockets >= limits.max_websockets:
            self.refusals += 1
            return False
        self.pre_hello += 1
        self.websockets += 1
        return True

    def said_hello(self) -> None:
        self.pre_hello -= 1

    def websocket_closed(self, said_hello: bool) -> None:
        self.websockets -= 1
        if not said_hello:
            self.pre_hello -= 1
