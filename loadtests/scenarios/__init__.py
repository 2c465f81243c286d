"""Scenarios: each is ``async def scenario(run, target, params)`` filling ``run.results``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..params import Params
from ..run import Run
from ..target import Target
from .alert import alert
from .relay import multi, relay
from .rush import rush
from .steady import steady

Scenario = Callable[[Run, Target, Params], Awaitable[Any]]

SCENARIOS: dict[str, Scenario] = {
    "relay": relay,
    "rush": rush,
    "steady": steady,
    "alert": alert,
    "multi": multi,
}

__all__ = ["SCENARIOS", "Scenario"]
