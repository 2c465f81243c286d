"""Prometheus metrics. Counts and timings only: no label ever carries text, ids or addresses."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("peerline_connections", "Open WebSocket connections", ["role"],
                                 registry=r)
        self.frames_in = Counter("peerline_frames_in_total", "Frames received", registry=r)
        self.frames_out = Counter("peerline_frames_out_total", "Frames sent", registry=r)
        self.messages = Counter("peerline_messages_total", "Chat messages stored", ["role"],
                                registry=r)
        self._message_children: dict[str, Any] = {}
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
        self.sessions_ended = Counter("peerline_sessions_ended_total", "Sessions ended",
                                      ["reason"], registry=r)

    def message_stored(self, role: str) -> None:
        """Hot path: the labelled child is looked up once per role, not per message."""
        child = self._message_children.get(role)
        if child is None:
            child = self._message_children[role] = self.messages.labels(role)
        child.inc()
