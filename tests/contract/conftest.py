"""Contract-suite fixtures: teardown hygiene and test speed; no server behaviour is assumed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from argon2 import PasswordHasher

from tests.conftest import LiveServer
from tests.timing import MS


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Staff accounts made by these tests are hashed with cheap Argon2id parameters.

    The default parameters cost ~0.3 s per hash and per verify on this 2-core machine, and a test
    with four staff members would spend seconds on set-up alone. Still Argon2id, still verified
    by the real ``POST /api/login`` path; only the cost parameters differ (a stored hash carries
    its own parameters, so verification is unchanged)."""
    import server.store.staff as staff

    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))
    yield


@pytest.fixture
async def live_server(live_server: LiveServer) -> AsyncIterator[LiveServer]:
    """The parent fixture, unchanged; only: a test client that left frames unread stops reading
    its socket (websockets' flow control), so a polite close at teardown would wait 10 s for the
    server's close frame. Give up after 0.5 s instead."""
    yield live_server
    for c in live_server.clients:
        c.ws.close_timeout = 500 * MS
