"""Latency recording and percentiles (pure, no I/O).

Percentiles are nearest-rank: p99 of 1,000 samples is the 990th smallest, a value that was really
observed. Samples are kept whole (4 bytes each in an ``array``) because runs are bounded in time;
the recorder also keeps the second each sample landed in, for the latency-over-time plot.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence

PCTS = (50, 95, 99)


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence; ``None`` when it is empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    rank = max(1, math.ceil(q / 100.0 * n))
    return float(sorted_values[rank - 1])


def summarize(values: Iterable[float], pcts: Iterable[float] = PCTS) -> dict[str, float | None]:
    """``{"p50": …, "p95": …, "p99": …, "max": …, "mean": …, "count": n}`` in the values' unit,
    rounded to 3 decimals; ``None`` for every figure when there are no values."""
    s = sorted(values)
    out: dict[str, float | None] = {}
    for q in pcts:
        v = percentile(s, q)
        out[f"p{q:g}"] = None if v is None else round(v, 3)
    out["max"] = round(s[-1], 3) if s else None
    out["mean"] = round(sum(s) / len(s), 3) if s else None
    out["count"] = len(s)
    return out


class Recorder:
    """Latency samples in milliseconds with the run-relative second each was taken in."""

    __slots__ = ("ms", "at", "t0", "cap", "dropped")

    def __init__(self, t0: float, cap: int = 20_000_000) -> None:
        self.ms = array("f")
        self.at = array("f")
        self.t0 = t0
        self.cap = cap
        self.dropped = 0

    def add(self, now: float, latency_s: float) -> None:
        if len(self.ms) >= self.cap:
            self.dropped += 1
            return
        self.ms.append(latency_s * 1000.0)
        self.at.append(now - self.t0)

    def __len__(self) -> int:
        return len(self.ms)

    def since(self, start_index: int) -> list[float]:
        return list(self.ms[start_index:])

    def summary(self, start_index: int = 0) -> dict[str, float | None]:
        return summarize(self.ms[start_index:])

    def series(self, bucket_s: float = 1.0) -> list[dict[str, float]]:
        """Per-bucket count, p50, p99 and max, for the plot and the report."""
        buckets: dict[int, list[float]] = {}
        for t, v in zip(self.at, self.ms, strict=True):
            buckets.setdefault(int(t // bucket_s), []).append(v)
        out = []
        for b in sorted(buckets):
            vals = sorted(buckets[b])
            out.append(
                {
                    "t": round(b * bucket_s, 3),
                    "count": len(vals),
                    "p50": round(percentile(vals, 50) or 0.0, 3),
                    "p99": round(percentile(vals, 99) or 0.0, 3),
                    "max": round(vals[-1], 3),
                }
            )
        return out
