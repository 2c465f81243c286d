"""The per-process budget for password hashing (server/service/workbudget.py)."""

from __future__ import annotations

import asyncio

import pytest

from server.core.errors import Busy
from server.service.workbudget import WorkBudget


async def test_slots_queue_and_refusal() -> None:
    budget = WorkBudget(slots=1, waiting=2, max_wait_s=5)
    release = asyncio.Event()
    order: list[str] = []

    async def work(name: str, priority: bool = False) -> None:
        async with budget.slot(priority):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(work("first"))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(work(f"q{i}")) for i in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(Busy):
        await work("over")  # the ordinary queue is full: refused at once, no work done
    trusted = asyncio.create_task(work("trusted", priority=True))  # may still wait, and first
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, trusted, *queued)
    assert order == ["first", "trusted", "q0", "q1"]
    assert budget.peak_in_use == 1 and budget.in_use == 0 and budget.refused == 1


async def test_a_waiter_that_gives_up_passes_its_slot_on() -> None:
    budget = WorkBudget(slots=1, waiting=4, max_wait_s=0.05)
    holder_done = asyncio.Event()

    async def hold() -> None:
        async with budget.slot():
            await holder_done.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    with pytest.raises(Busy):
        async with budget.slot():
            pass  # waited too long
    cancelled = asyncio.create_task(_enter(budget))
    await asyncio.sleep(0)
    cancelled.cancel()
    holder_done.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    # Nothing leaked: the slot is free for the next one at once.
    async with budget.slot():
        assert budget.in_use == 1
    assert budget.in_use == 0 and not budget._queue


async def _enter(budget: WorkBudget) -> None:
    async with budget.slot():
        await asyncio.sleep(10)
