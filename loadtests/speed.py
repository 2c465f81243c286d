"""``python -m loadtests speed``: how steady this machine's CPU is, with nothing of Peerline.

Times a fixed pure-Python loop by the CPU time of this thread (``time.thread_time``), again and
again with a pause between. On a machine of its own the figures agree within a few per cent; on
a shared VM, where another tenant's work on the same physical core slows ours, they do not, and
no benchmark run there can be compared with another more closely than that spread
(docs/performance.md, "How it was measured").
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

LOOP = 2_000_000


@dataclass(frozen=True)
class Spread:
    samples_ms: list[float]

    @property
    def low(self) -> float:
        return min(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def high(self) -> float:
        return max(self.samples_ms)


def _loop_ms(n: int) -> float:
    start = time.thread_time()
    total = 0
    for i in range(n):
        total += i * i
    return (time.thread_time() - start) * 1000


def measure(samples: int = 20, pause_s: float = 0.5, n: int = LOOP) -> Spread:
    out = []
    for k in range(samples):
        if k:
            time.sleep(pause_s)
        out.append(_loop_ms(n))
    return Spread(out)


def print_speed(samples: int) -> int:
    s = measure(samples)
    print(
        f"CPU ms for the same loop, {samples} times: low {s.low:.0f}, median {s.median:.0f}, "
        f"high {s.high:.0f} (high ÷ low {s.high / s.low:.2f})"
    )
    print(" ".join(f"{x:.0f}" for x in s.samples_ms))
    return 0
