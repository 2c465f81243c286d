"""Contract-suite fixtures: only teardown hygiene, no behaviour of the server is assumed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import LiveServer


@pytest.fixture
async def live_server(live_server: LiveServer) -> AsyncIterator[LiveServer]:
    """The parent fixture, unchanged; only: a test client that left frames unread stops reading
    its socket (websockets' flow control), so a polite close at teardown would wait 10 s for the
    server's close frame. Give up after 0.5 s instead."""
    yield live_server
    for c in live_server.clients:
        c.ws.close_timeout = 0.5
