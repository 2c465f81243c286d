"""Prometheus metrics. Counts and timings only: no label ever carries text, ids or addresses."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class HotCounts(Collector):
    """Counts bumped for every frame, kept as plain integers and read when /metrics is scraped.

    Why: a prometheus ``Counter`` takes a lock on every ``inc`` (about 2 % of the relay profile
    for three increments per message); the event loop is the only writer here, so a plain
    integer is exact.
    """

    def __init__(self) -> None:
        self.frames_in = 0
        self.frames_out = 0
        self.messages: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("peerline_frames_in", "Frames received", value=self.frames_in)
        yield CounterMetricFamily("peerline_frames_out", "Frames sent", value=self.frames_out)
        messages = CounterMetricFamily("peerline_messages", "Chat messages stored",
                                       labels=["role"])
        for role, count in sorted(self.messages.items()):
            messages.add_metric([role], count)
        yield messages


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("peerline_connections", "Open WebSocket connections", ["role"],
                                 registry=r)
        self.hot = HotCounts()
        r.register(self.hot)
        self.errors = Counter("peerline_errors_total", "Error frames sent", ["code"], registry=r)
        self.queue_length = Gauge("peerline_queue_length", "Seekers waiting (Redis)", registry=r)
        self.helpers_available = Gauge("peerline_helpers_available",
                                       "Helpers available for matching (Redis)", registry=r)
        self.match_wait = Histogram(
            "peerline_match_wait_seconds", "Time from request to match", registry=r,
            buckets=(0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800),
        )
        self.matches = Counter("peerline_matches_total", "Seekers matched", registry=r)
        self.flags = Counter("peerline_flags_total", "Messages flagged", ["severity"], registry=r)
        self.alerts = Counter("peerline_alerts_total", "Alerts raised", registry=r)
        self.signin = Counter("peerline_signin_total",
                              "Staff sign-ins by outcome: ok, wrong, slowed, busy", ["outcome"],
                              registry=r)
        self.sessions_ended = Counter("peerline_sessions_ended_total", "Sessions ended",
                                      ["reason"], registry=r)

    def message_stored(self, role: str) -> None:
        messages = self.hot.messages
        messages[role] = messages.get(role, 0) + 1
