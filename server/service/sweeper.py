"""The sweeper: every process fires the deadlines that fall due (grace periods, alert tiers) and
runs the periodic duties it is given (the node heartbeat).

Which use case handles a kind of deadline is decided where everything is wired
(``web/app.py``), so that no use case has to call another to have its deadline fired.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from ..store.deadlines import Deadlines
from ..store.health import unavailable

log = logging.getLogger("peerline.sweeper")


class Sweeper:
    def __init__(self, deadlines: Deadlines,
                 handlers: Mapping[str, Callable[[str], Awaitable[None]]],
                 duties: Sequence[Callable[[], Awaitable[None]]], interval_s: float,
                 stopping: asyncio.Event) -> None:
        self.deadlines = deadlines
        self.handlers = handlers
        self.duties = duties
        self.interval_s = interval_s
        self.stopping = stopping
        self._quiet = False

    async def sweep(self) -> None:
        for kind, arg in await self.deadlines.due():
            handler = self.handlers.get(kind)
            if handler is None:
                log.warning("a deadline of unknown kind %r was dropped", kind)
                continue
            await handler(arg)
        for duty in self.duties:
            await duty()

    async def run(self) -> None:
        # Loop on the stop flag, not only on cancellation: a CancelledError swallowed deep in a
        # Redis call would otherwise leave this loop running through shutdown.
        while not self.stopping.is_set():
            try:
                await asyncio.sleep(self.interval_s)
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if unavailable(exc) is None:
                    log.exception("deadline sweep failed")
                elif not self._quiet:  # once per outage, not twice a second
                    log.warning("deadline sweep waits for redis")
                self._quiet = unavailable(exc) is not None
                continue
            self._quiet = False
