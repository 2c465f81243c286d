"""Per-connection token bucket, and the rule that turns a sustained flood into a close."""

from __future__ import annotations

import time
from collections import deque


class TokenBucket:
    """``burst`` frames at once, refilled at ``rate`` frames a second."""

    __slots__ = ("burst", "rate", "tokens", "stamp")

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class AbuseCounter:
    """Counts refusals in a sliding window; ``exceeded`` once there are ``limit`` of them."""

    __slots__ = ("limit", "window", "times")

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window = window_s
        self.times: deque[float] = deque()

    def record(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.times.append(now)
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        return len(self.times) >= self.limit
