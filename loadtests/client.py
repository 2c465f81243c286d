"""Client connections for the scenarios: pacing, error counting, waiting for frames.

:class:`Client` is one WebSocket plus what every scenario needs around it. Peerline's frames are
JSON objects; the peers' relays speak their own framing, so :meth:`Client.decode` is the one place a
subclass changes. The hot path (a relayed chat message) goes straight to ``on_relay`` without
touching futures or queues; everything else (welcome, matched, alert, …) is handed to per-type
handlers or to whoever is waiting for it with :meth:`expect`.

Pacing: Peerline refuses frames beyond a bucket of 50 refilled at 20/s per connection. A helper
carrying several sessions on one connection can exceed that in a closed loop, so the client paces
itself (GCRA: rate ``rate``/s, burst ``burst``) and reports how many sends it had to delay. A rate
of 0 turns pacing off (for servers started with a raised limit, and for the peers, which have none).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from . import fastjson
from .wsclient import WSConn

SUBPROTOCOL = "peerline.v1.json"

# Plain, neutral chat lines: no digits (PII masking would rewrite them), no lexicon words.
TEXTS = (
    "thanks, that makes sense to me",
    "I think the library is quieter in the morning",
    "ok, I will try that before the next class",
    "that sounds like a good plan for the week",
    "it helps to talk it through like this",
    "I usually feel better after a walk outside",
    "maybe I can ask my tutor about it tomorrow",
    "yes, writing a short list could help",
)
CRISIS_TEXT = "I have the pills ready and I'm going to take them all tonight"


class RunStats:
    """Counters shared by every client of one run."""

    __slots__ = (
        "errors",
        "closes",
        "sent",
        "delivered",
        "acks",
        "paced",
        "connect_failures",
        "other",
    )

    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()
        self.closes: Counter[int] = Counter()
        self.sent = 0
        self.delivered = 0
        self.acks = 0
        self.paced = 0
        self.connect_failures = 0
        self.other: Counter[str] = Counter()

    def error_total(self) -> int:
        return sum(self.errors.values()) + sum(self.closes.values()) + self.connect_failures


class Client:
    __slots__ = (
        "conn",
        "stats",
        "label",
        "rate",
        "burst_tau",
        "tat",
        "handlers",
        "waiters",
        "backlog",
        "on_relay",
        "closing",
        "endpoint",
        "user",
    )

    def __init__(
        self, conn: WSConn, stats: RunStats, label: str, rate: float = 0.0, burst: int = 1
    ) -> None:
        self.conn = conn
        self.stats = stats
        self.label = label
        self.rate = rate
        self.burst_tau = (max(1, burst) - 1) / rate if rate > 0 else 0.0
        self.tat = 0.0
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.waiters: dict[str, deque[asyncio.Future[dict[str, Any]]]] = {}
        self.backlog: dict[str, deque[dict[str, Any]]] = {}
        self.on_relay: Callable[[Client, str, float], None] | None = None
        self.closing = False
        self.endpoint = 0
        self.user: Any = None
        conn.attach(self._on_text, self._on_close)

    # -- receiving ----------------------------------------------------------------------------
    def decode(self, data: str | bytes) -> dict[str, Any] | None:
        obj = fastjson.loads(data)
        return obj if isinstance(obj, dict) else None

    def _on_text(self, conn: WSConn, data: str | bytes) -> None:
        obj = self.decode(data)
        if obj is None:
            return
        t = obj.get("type")
        if t == "message":
            cb = self.on_relay
            if cb is not None:
                cb(self, obj["session"], time.monotonic())
                return
        elif t == "ack":
            self.stats.acks += 1
            return
        elif t == "error":
            ref = obj.get("ref")
            key = str(obj.get("code"))
            self.stats.errors[f"{key}@{ref}" if ref else key] += 1
        h = self.handlers.get(t)  # type: ignore[arg-type]
        if h is not None:
            h(obj)
            return
        self.deliver(t, obj)  # type: ignore[arg-type]

    def deliver(self, t: str, obj: dict[str, Any]) -> None:
        q = self.waiters.get(t)
        while q:
            fut = q.popleft()
            if not fut.done():
                fut.set_result(obj)
                return
        self.backlog.setdefault(t, deque(maxlen=64)).append(obj)

    def _on_close(self, conn: WSConn, code: int) -> None:
        if not self.closing:
            self.stats.closes[code] += 1
        err = ConnectionError(f"{self.label} closed ({code})")
        for q in self.waiters.values():
            while q:
                fut = q.popleft()
                if not fut.done():
                    fut.set_exception(err)
        h = self.handlers.get("_close")
        if h is not None:
            h({"code": code})

    async def expect(self, *types: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame of one of ``types`` (from the backlog if it already came)."""
        for t in types:
            b = self.backlog.get(t)
            if b:
                return b.popleft()
        if self.conn.closed:
            raise ConnectionError(f"{self.label} closed ({self.conn.close_code})")
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        for t in types:
            self.waiters.setdefault(t, deque()).append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            for t in types:
                q = self.waiters.get(t)
                if q and fut in q:
                    q.remove(fut)

    # -- sending ------------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> float:
        """Send one pre-encoded text frame, paced; returns when it goes out (monotonic)."""
        self.stats.sent += 1
        if self.rate <= 0:
            self.conn.send_bytes(data)
            return time.monotonic()
        now = time.monotonic()
        tat = self.tat if self.tat > now else now
        due = tat - self.burst_tau
        self.tat = tat + 1.0 / self.rate
        if due <= now:
            self.conn.send_bytes(data)
            return now
        self.stats.paced += 1
        asyncio.get_running_loop().call_later(due - now, self.conn.send_bytes, data)
        return due

    def send(self, obj: dict[str, Any]) -> float:
        return self.send_raw(fastjson.dumps(obj))

    def close(self) -> None:
        self.closing = True
        self.conn.close(1000)
