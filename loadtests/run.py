"""One run of a scenario: its clock, its counters, the progress line, the server probe.

Every run is bounded: a hard deadline (``duration`` plus a setup allowance) after which the
scenario is cancelled, and a connection cap. The progress line goes to stderr once a second on a
terminal, every five seconds otherwise; it never shows message text.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .client import RunStats
from .params import Params
from .stats import Recorder

MAX_CONNECTIONS = 20_000
MAX_DURATION_S = 1800.0


class ServerProbe:
    """RSS and CPU of the server processes (and their children: uvicorn workers) via psutil."""

    def __init__(self, pids: Sequence[int]) -> None:
        import psutil

        self._psutil = psutil
        self.roots = [psutil.Process(p) for p in pids]
        self._cpu0: float | None = None
        self._t0 = 0.0
        self.peak_rss = 0

    def _procs(self) -> list[Any]:
        out = []
        for r in self.roots:
            try:
                out.append(r)
                out.extend(r.children(recursive=True))
            except self._psutil.NoSuchProcess:
                pass
        return out

    def rss(self) -> int:
        total = 0
        for p in self._procs():
            try:
                total += p.memory_info().rss
            except self._psutil.NoSuchProcess:
                pass
        self.peak_rss = max(self.peak_rss, total)
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except self._psutil.NoSuchProcess:
                pass
        return total

    def start_cpu(self) -> None:
        self._cpu0 = self.cpu_seconds()
        self._t0 = time.monotonic()

    def cpu_percent(self) -> float | None:
        """Server CPU since :meth:`start_cpu`, in percent of one core."""
        if self._cpu0 is None:
            return None
        wall = time.monotonic() - self._t0
        return round(100.0 * (self.cpu_seconds() - self._cpu0) / wall, 1) if wall > 0 else None


@dataclass
class Run:
    scenario: str
    params: dict[str, Any]
    duration: float
    t0: float = field(default_factory=time.monotonic)
    stats: RunStats = field(default_factory=RunStats)
    probe: ServerProbe | None = None
    open_conns: int = 0
    phase: str = "setup"
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    progress_extra: Callable[[], str] | None = None
    on_measure: Callable[[float], None] | None = None
    """Called when the measured window opens, with its length (the suite starts py-spy here)."""

    def __post_init__(self) -> None:
        self.latency = Recorder(self.t0)
        self.window_start: float | None = None
        self.window_end: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def check_connections(self, n: int) -> None:
        if n > MAX_CONNECTIONS:
            raise ValueError(f"{n} connections is above the generator's cap of {MAX_CONNECTIONS}")

    async def progress(self, stream: Any = None) -> None:
        stream = stream or sys.stderr
        tty = stream.isatty()
        every = 1.0 if tty else 5.0
        last_t, last_d, last_n = time.monotonic(), 0, 0
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            d = self.stats.delivered
            rate = (d - last_d) / (now - last_t)
            n = len(self.latency)
            recent = sorted(self.latency.ms[last_n:n])
            p99 = (
                f"{recent[min(len(recent) - 1, int(0.99 * len(recent)))]:.1f}ms" if recent else "-"
            )
            extra = f" {self.progress_extra()}" if self.progress_extra else ""
            line = (
                f"[{self.scenario}] {self.elapsed():6.1f}s {self.phase:<8} conns={self.open_conns} "
                f"delivered={d} ({rate:,.0f}/s) p99={p99} errors={self.stats.error_total()}{extra}"
            )
            stream.write(("\r" + line + "   ") if tty else line + "\n")
            stream.flush()
            last_t, last_d, last_n = now, d, n


async def bounded(run: Run, coro: Any, setup_allowance: float) -> Any:
    """Run the scenario under a hard deadline, with the progress line beside it."""
    limit = min(run.duration, MAX_DURATION_S) + setup_allowance
    prog = asyncio.create_task(run.progress())
    try:
        async with asyncio.timeout(limit) as cm:
            return await coro
    except TimeoutError:
        if not cm.expired():
            raise
        run.notes.append(f"hard deadline of {limit:.0f}s reached: the run was cut short")
        run.stats.other["deadline"] += 1
        return None
    finally:
        prog.cancel()
        if sys.stderr.isatty():
            sys.stderr.write("\n")


def setup_allowance(p: Params) -> float:
    """Seconds allowed for setup on top of the measured time: connections, plus one Argon2id
    login (~0.1 s of server CPU, more on a busy machine) per staff account, plus a margin."""
    staff = max(p.helpers, -(-p.pairs // max(1, p.capacity)), p.connections // 2)
    return 120.0 + p.warmup + p.match_timeout + 1.0 * staff
