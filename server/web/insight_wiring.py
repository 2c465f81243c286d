"""The school's anonymous statistics and early warning, made and wired in one call.

Kept apart from ``app.py`` so that the app only builds this, routes ``stats_api.ROUTES`` and
starts the two background duties (the helper sample and the warning check).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import redis.asyncio as aioredis

from ..service.early_warning import EarlyWarning
from ..service.events import Events
from ..service.ports import Delivery
from ..service.statistics import Statistics
from ..settings import Settings
from ..store.audit import AuditLog
from ..store.early_warning import WarningStore
from ..store.keys import Keys
from ..store.stats import StatsStore


@dataclass
class Insight:
    statistics: Statistics
    early_warning: EarlyWarning

    def tasks(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.statistics.run(), name="stats-sample"),
                asyncio.create_task(self.early_warning.run(), name="early-warning")]


def build_insight(redis: aioredis.Redis, keys: Keys, settings: Settings, events: Events,
                  delivery: Delivery, stopping: asyncio.Event) -> Insight:
    stats_store = StatsStore(redis, keys, settings.stats_retention_s)

    audit = AuditLog(redis, keys)  # who (``by``), what and when, beside the escalation steps
    return Insight(
        statistics=Statistics(store=stats_store, events=events, timezone=settings.timezone,
                              sample_s=settings.stats_sample_s, stopping=stopping),
        early_warning=EarlyWarning(
            stats=stats_store,
            store=WarningStore(redis, keys, settings.warning_retention_s),
            delivery=delivery, audit=audit.write, check_s=settings.warning_check_s,
            stopping=stopping))
