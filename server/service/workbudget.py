"""A per-process budget for expensive work (Argon2id password checks): slots and a bounded queue.

Why: each password check costs ~0.1–0.3 s of a CPU core by design. Without a bound, 300
sign-ins with made-up names took 55 CPU-seconds (issue 16, defect 6) and starved every socket
of the process. With ``slots`` checks at a time and at most ``waiting`` queued (each for at most
``max_wait_s``), guessing can use at most ``slots`` cores; anything beyond is refused at once
with ``Busy`` (HTTP 503 and ``Retry-After``) and costs nothing.

Priority: a sign-in through a trusted device (see ``store/signin_gate.py``) is queued ahead of
the others and may wait even when the ordinary queue is full, so a flood of guesses delays the
real counselor's sign-in by at most the checks already running.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator

from ..core.errors import Busy


class WorkBudget:
    def __init__(self, slots: int, waiting: int, max_wait_s: float) -> None:
        self.slots = max(1, slots)
        self.waiting = max(0, waiting)
        self.max_wait_s = max_wait_s
        self.in_use = 0
        self.peak_in_use = 0
        """The most slots ever in use at once (for tests and diagnostics)."""
        self.refused = 0
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, priority: bool = False) -> AsyncIterator[None]:
        """Hold one slot for the body; raises ``Busy`` if none is free soon enough."""
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: bool) -> None:
        if self.in_use < self.slots and not self._queue:
            self._take()
            return
        queued = sum(1 for rank, _, _ in self._queue if rank == 1)
        if not priority and queued >= self.waiting:
            self.refused += 1
            raise Busy("too many sign-ins at once; try again in a moment", 1.0)
        if priority and len(self._queue) >= 2 * self.waiting + 1:
            self.refused += 1
            raise Busy("too many sign-ins at once; try again in a moment", 1.0)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (0 if priority else 1, next(self._order), future)
        heapq.heappush(self._queue, entry)
        try:
            await asyncio.wait_for(asyncio.shield(future), self.max_wait_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed over just as we gave up: pass it on
            else:
                future.cancel()
                self._queue.remove(entry)
                heapq.heapify(self._queue)
            if isinstance(exc, TimeoutError):
                self.refused += 1
                raise Busy("sign-in is busy; try again in a moment", 1.0) from None
            raise

    def _take(self) -> None:
        self.in_use += 1
        self.peak_in_use = max(self.peak_in_use, self.in_use)

    def _release(self) -> None:
        self.in_use -= 1
        while self._queue:
            _, _, future = heapq.heappop(self._queue)
            if not future.done():
                self._take()
                future.set_result(None)
                return
