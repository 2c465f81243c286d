"""Keeping the garbage collector's passes off the long-lived heap.

Measured (docs/performance.md, "The GC pauses"): with 4,000 connections, CPython's full
collections walk every object of every connection and stop the event loop for 0.3–2 s, every few
seconds under load; p99 latency was 639 ms with the default collector and 53 ms with it off.

The policy: objects that have lived a while (start-up state, open connections) are moved out of
the collector's sight with ``gc.freeze()`` every ``refreeze_s``, after a pass over the youngest
generation only, so the automatic collections only ever look at recent objects. The period
matters: CPython runs a full collection of whatever is not frozen every tenth second-generation
pass, and with 4,000 connections five seconds of survivors were ~50,000 objects, a 50–90 ms
pause each time; one second keeps that set small. The pass before each freeze is the youngest
generation's, not the middle one's: a middle-generation pass over a second's survivors took
15–25 ms, every second. The price: cyclic garbage that survived one young pass is frozen with
the rest, and is reclaimed by one full pass every ``full_s`` (``gc.unfreeze(); gc.collect();
gc.freeze()``): one pause every ten minutes by default. Under load little such garbage forms
(the young passes found almost none); a burst of disconnects leaves some until the full pass.
Measured on the `steady` load (4,000 connections, 2,000 msgs/s), p99: 639 ms with the default
collector, 104 ms refreezing every 5 s, 11–19 ms every second after a middle-generation pass,
8 ms after a young pass (the default); with the collector off, 16 ms under the older
bursty generator (and it would leak cycles).

The young generation's threshold is raised from CPython's 700 to 10,000 net allocations: under
the relay load a thousand messages are in flight at once, each holding a few dozen young
objects, so at 700 a young pass ran every few messages and walked all of them (the collector
was ~8 % of the server's CPU in `perf`); three interleaved A/B relay runs gave 110-166 µs of
CPU per message at 10,000 against 141-174 µs at 700, each pair in favour of 10,000.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("peerline.gc")


class GcPolicy:
    def __init__(
        self, refreeze_s: float = 1.0, full_s: float = 600.0, young_threshold: int = 700
    ) -> None:
        self.refreeze_s = refreeze_s
        self.full_s = full_s
        self.young_threshold = young_threshold
        self._threshold_before: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Once start-up is done: collect what start-up left, then freeze the rest."""
        gc.collect()
        gc.freeze()
        self._threshold_before = gc.get_threshold()
        _, middle, old = self._threshold_before
        gc.set_threshold(self.young_threshold, middle, old)

    async def run(self, stopping: asyncio.Event) -> None:
        last_full = time.monotonic()
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), self.refreeze_s)
            except TimeoutError:
                pass
            if stopping.is_set():
                break
            if self.full_s > 0 and time.monotonic() - last_full >= self.full_s:
                started = time.perf_counter()
                gc.unfreeze()
                found = gc.collect()
                gc.freeze()
                last_full = time.monotonic()
                log.info("full collection: %d objects freed in %.0f ms", found,
                         (time.perf_counter() - started) * 1000)
            else:
                gc.collect(0)  # the youngest generation only: see the module docstring
                gc.freeze()

    def stop(self) -> None:
        gc.unfreeze()
        if self._threshold_before is not None:
            gc.set_threshold(*self._threshold_before)
