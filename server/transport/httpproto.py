"""uvicorn's httptools HTTP protocol, with a deadline for each request and a bound on sockets
that have not sent one (``gate.py`` says why and what the bounds are).

uvicorn's own timeouts do not cover this: ``timeout_keep_alive`` starts only after a response,
so a socket that connects and sends nothing, or half a request, is kept for good. Here a
connection is *waiting* from the moment it connects, and again after each response, until its
next request is complete (``on_message_complete``; for a WebSocket handshake, its upgrade
request): while waiting it has a deadline and a place in the process's count. The gate comes
from the lifespan state; without one (another app) this is uvicorn's protocol unchanged.
Selected with ``uvicorn.run(..., http="server.transport.httpproto:PeerlineHttpProtocol")``.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .gate import GATE, Gate

HTTP_PROTOCOL = "server.transport.httpproto:PeerlineHttpProtocol"
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
              b"content-length: 39\r\nconnection: close\r\n\r\n"
              b'{"detail": "the request took too long"}')


class PeerlineHttpProtocol(HttpToolsProtocol):
    gate: Gate | None = None
    _heard = False
    """Some bytes of the current request have arrived (a timeout then answers 408)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.gate = self.app_state.get(GATE)
        if self.gate is not None:
            self.gate.waiting(self)

    def data_received(self, data: bytes) -> None:
        self._heard = True
        super().data_received(data)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.gate is not None:
            self.gate.answered(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.gate is not None and not self.transport.is_closing() and not self.pipeline:
            self._heard = False
            self.gate.waiting(self)  # idle keep-alive: waiting for the next request

    def handle_websocket_upgrade(self) -> None:
        if self.gate is not None:
            self.gate.answered(self)
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.gate is not None:
            self.gate.answered(self)
        super().connection_lost(exc)

    # -- called by the gate ------------------------------------------------------------------

    def request_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self._heard and (self.cycle is None or self.cycle.response_complete
                            or not self.cycle.response_started):
            self.transport.write(_TIMED_OUT)
            self.transport.close()
        else:
            self.transport.abort()

    def evicted(self) -> None:
        if not self.transport.is_closing():
            self.transport.abort()
