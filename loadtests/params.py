"""The knobs of a run, with the defaults the command line shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Params:
    pairs: int = 200
    seekers: int = 300
    helpers: int = 10
    capacity: int = 3
    connections: int = 1000
    rate: float | None = None
    duration: float = 10.0
    warmup: float = 2.0
    arrival: float | None = None
    hold: float = 1.0
    alerts: int = 20
    counselors: int = 1
    resolve: bool = False
    conn_rate: float = 19.0
    conn_burst: int = 40
    fair_slack_ms: float = 5.0
    match_timeout: float = 60.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
