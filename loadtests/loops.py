"""The two traffic shapes every relay-like scenario uses, over any server.

A *room* is one conversation with exactly two members, ``a`` (the seeker side) and ``b`` (the
helper side); ``frames_a[room]`` is the pre-encoded chat frame ``a`` sends into it. Latency is taken
on the generator's own monotonic clock: from the moment a frame is written (after pacing) to the
moment the other member's socket delivered it.

- :class:`ClosedLoop`: one message in flight per room; each delivery is answered at once by the
  receiver (ping-pong). Throughput is whatever the server sustains.
- :class:`OpenLoop`: a fixed total rate spread evenly over every (room, side); a slow server does
  not slow the senders down, so latency shows queueing honestly.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .client import Client
from .run import Run


@dataclass
class Room:
    """A conversation. With ``tail`` set, each frame is ``frame + <unique ref> + tail``: Peerline
    stores a re-sent ``ref`` only once (offline re-sends are idempotent), so every chat frame
    needs its own ref."""

    room: str
    a: Client
    b: Client
    frame_a: bytes
    frame_b: bytes
    tail: bytes | None = None


_refs = itertools.count(1)


def frame_of(r: Room, from_a: bool) -> bytes:
    f = r.frame_a if from_a else r.frame_b
    if r.tail is None:
        return f
    return b"%s%d%s" % (f, next(_refs), r.tail)


class GcPauses:
    """The generator's garbage-collection pauses while measuring (count, total and longest)."""

    def __init__(self) -> None:
        self.count = 0
        self.total_ms = 0.0
        self.max_ms = 0.0
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = (time.perf_counter() - self._began) * 1000
        self.count += 1
        self.total_ms += took
        self.max_ms = max(self.max_ms, took)

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)
        gc.unfreeze()

    def summary(self) -> dict[str, float]:
        return {"count": self.count, "total_ms": round(self.total_ms, 2),
                "max_ms": round(self.max_ms, 2)}


class _Engine:
    def __init__(self, run: Run, rooms: Sequence[Room]) -> None:
        self.run = run
        self.rooms = {r.room: r for r in rooms}
        self.measuring = False
        self.stopping = False
        self.window: dict[str, Any] = {}
        for r in rooms:
            r.a.on_relay = self.on_relay
            r.b.on_relay = self.on_relay

    def on_relay(self, client: Client, room: str, now: float) -> None:  # pragma: no cover
        raise NotImplementedError

    async def measure(self, warmup: float, duration: float) -> dict[str, Any]:
        """Let traffic settle for ``warmup`` s, then count and time for ``duration`` s."""
        run = self.run
        run.phase = "warmup"
        # The generator's own long-lived objects (thousands of client connections) out of its
        # collector's sight, and its remaining collections timed: a pause here would be counted
        # as the server's latency.
        gc.collect()
        gc.freeze()
        pauses = GcPauses()
        await asyncio.sleep(warmup)
        run.phase = "measure"
        if run.probe:
            run.probe.start_cpu()
        gen_cpu0 = time.process_time()
        if run.on_measure is not None:
            run.on_measure(duration)
        d0, t0 = run.stats.delivered, time.monotonic()
        i0 = len(run.latency)
        run.window_start = run.elapsed()
        self.measuring = True
        pauses.start()
        # Sample the server's RSS while the load runs; the peak is what matters for sizing.
        end = t0 + duration
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(1.0, left))
            if run.probe:
                run.probe.rss()
        self.measuring = False
        pauses.stop()
        t1, d1 = time.monotonic(), run.stats.delivered
        run.window_end = run.elapsed()
        cpu = run.probe.cpu_percent() if run.probe else None
        gen_cpu = round(100.0 * (time.process_time() - gen_cpu0) / (t1 - t0), 1)
        run.phase = "drain"
        self.stopping = True
        await self.drain()
        return {
            "delivered": d1 - d0,
            "window_s": round(t1 - t0, 3),
            "delivered_per_s": round((d1 - d0) / (t1 - t0), 1),
            "latency_ms": run.latency.summary(i0),
            "server_cpu_pct": cpu,
            "generator_cpu_pct": gen_cpu,
            "server_rss_mb": round(run.probe.peak_rss / 2**20, 1) if run.probe else None,
            "generator_gc": pauses.summary(),
        }

    async def drain(self) -> None:
        await asyncio.sleep(0.5)


class ClosedLoop(_Engine):
    """Ping-pong: each room has one message in flight."""

    def __init__(self, run: Run, rooms: Sequence[Room]) -> None:
        super().__init__(run, rooms)
        self.inflight: dict[str, float] = {}

    def start(self) -> None:
        for r in self.rooms.values():
            self.inflight[r.room] = r.a.send_raw(frame_of(r, True))

    def on_relay(self, client: Client, room: str, now: float) -> None:
        t = self.inflight.get(room)
        if t is None:
            return
        run = self.run
        run.stats.delivered += 1
        if self.measuring:
            run.latency.add(now, now - t)
        if self.stopping:
            del self.inflight[room]
            return
        r = self.rooms[room]
        self.inflight[room] = client.send_raw(frame_of(r, client is r.a))

    async def drain(self) -> None:
        end = time.monotonic() + 3.0
        while self.inflight and time.monotonic() < end:
            await asyncio.sleep(0.05)
        if self.inflight:
            self.run.results["undelivered_at_end"] = len(self.inflight)


class OpenLoop(_Engine):
    """``rate`` messages per second in total, each (room, side) sending at ``rate / (2 rooms)``.

    Sends go out every ``tick`` (2 ms: four messages at a time at 2,000/s). Until 23:30 UTC on
    22 Nov 2026 the tick was 20 ms, which sent the same rate in bursts of forty: every stack's
    latency then included waiting behind the rest of its burst (for Peerline about half of its
    p50), which is not how people's messages arrive.
    """

    def __init__(self, run: Run, rooms: Sequence[Room], rate: float, tick: float = 0.002) -> None:
        super().__init__(run, rooms)
        self.rate = rate
        self.tick = tick
        self.to_a: dict[str, deque[float]] = {r: deque() for r in self.rooms}
        self.to_b: dict[str, deque[float]] = {r: deque() for r in self.rooms}
        slots = [(r, True) for r in self.rooms.values()] + [(r, False) for r in self.rooms.values()]
        random.Random(11).shuffle(slots)
        self.slots = slots
        self.task: asyncio.Task[None] | None = None
        self.lost = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self._ticker())

    async def _ticker(self) -> None:
        owed = 0.0
        i = 0
        n = len(self.slots)
        last = time.monotonic()
        while not self.stopping and n:
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            owed += (now - last) * self.rate
            last = now
            k = int(owed)
            owed -= k
            for _ in range(min(k, n)):
                r, from_a = self.slots[i]
                i = (i + 1) % n
                if from_a:
                    self.to_b[r.room].append(r.a.send_raw(frame_of(r, True)))
                else:
                    self.to_a[r.room].append(r.b.send_raw(frame_of(r, False)))

    def on_relay(self, client: Client, room: str, now: float) -> None:
        r = self.rooms.get(room)
        if r is None:
            return
        q = self.to_a[room] if client is r.a else self.to_b[room]
        if not q:
            return
        t = q.popleft()
        run = self.run
        run.stats.delivered += 1
        if self.measuring:
            run.latency.add(now, now - t)

    async def drain(self) -> None:
        if self.task:
            self.task.cancel()
        end = time.monotonic() + 3.0
        while time.monotonic() < end and (any(self.to_a.values()) or any(self.to_b.values())):
            await asyncio.sleep(0.05)
        self.lost = sum(len(q) for q in self.to_a.values()) + sum(
            len(q) for q in self.to_b.values()
        )
        if self.lost:
            self.run.results["undelivered_at_end"] = self.lost
