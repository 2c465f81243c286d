"""One loop callback flushes every connection that queued frames in a turn."""

from __future__ import annotations

import asyncio

import pytest

from server.transport.flushing import FlushTurn


class Conn:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    def flush(self) -> None:
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError("broken")


async def test_connections_added_in_a_turn_are_flushed_once_in_order_at_its_end() -> None:
    log: list[str] = []
    turn = FlushTurn()
    for name in ("a", "b", "c"):
        turn.add(Conn(name, log))
    assert log == []  # nothing written before the turn ends
    await asyncio.sleep(0)
    assert log == ["a", "b", "c"]
    turn.add(Conn("d", log))  # a later turn gets its own callback
    await asyncio.sleep(0)
    assert log == ["a", "b", "c", "d"]


async def test_one_failing_connection_does_not_strand_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    turn = FlushTurn()
    turn.add(Conn("a", log, fail=True))
    turn.add(Conn("b", log))
    await asyncio.sleep(0)
    assert log == ["a", "b"]
    assert "flushing a connection failed" in caplog.text
