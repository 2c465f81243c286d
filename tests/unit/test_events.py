"""Events between use cases: handlers in order, one failing does not stop the others."""

from __future__ import annotations

import logging

import pytest

from server.service.events import Events, QueueChanged, SessionEnded
from server.store.records import Ended


async def test_handlers_run_in_subscription_order_for_their_event_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = Events()
    seen: list[str] = []

    async def first(e: SessionEnded) -> None:
        seen.append(f"first {e.sid}")

    async def broken(e: SessionEnded) -> None:
        raise RuntimeError("a bug in one subscriber")

    async def last(e: SessionEnded) -> None:
        seen.append(f"last {e.sid}")

    async def queue(e: QueueChanged) -> None:
        seen.append("queue")

    for handler in (first, broken, last):
        events.on(SessionEnded, handler)
    events.on(QueueChanged, queue)
    with caplog.at_level(logging.ERROR, logger="peerline.events"):
        await events.emit(SessionEnded("s1", Ended("s.1", "h.1", "", False)))
    assert seen == ["first s1", "last s1"]
    assert "SessionEnded handler failed" in caplog.text
    await events.emit(QueueChanged())
    assert seen[-1] == "queue"
