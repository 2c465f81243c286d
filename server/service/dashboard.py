"""The operator console's live picture (``GET /api/admin/overview``): the queue, the helpers
and their load, counselors on call by level, open alerts and the watch list, today's figures.

Live figures are exact (a coordinator deciding whether to call in helpers needs "2 waiting",
and none of them is about one identifiable student: no alias, no text, no session id).
Today's aggregates come from the anonymous statistics (``service.statistics``: hour buckets
counted by every process) and keep their k-anonymity floor (1 to 4 → null), like every
statistic.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from matching import MatchQueue

from ..store.alerts import AlertStore
from ..store.presence import Presence
from ..store.staff import StaffStore
from .statistics import Statistics

DAY_MS = 86_400_000
TODAY_FIELDS = ("requests", "matched", "abandoned", "wait_p50_s", "alerts", "claimed",
                "time_to_claim_p50_s", "risk_sessions")
MAX_LISTED = 200
"""A bound on each list in the answer (a centre has far fewer at once)."""

Today = Callable[[int], Awaitable[dict[str, Any]]]
"""``today(since_ms)``: today's floored figures from the statistics (school-insight)."""


def today_from(statistics: Statistics) -> Today:
    """Today's figures as the statistics count them (hour buckets, every process's counts),
    already floored by ``Statistics.report``."""
    async def today(since_ms: int) -> dict[str, Any]:
        now_ms = max(int(time.time() * 1000), since_ms + 1)
        report = await statistics.report(since_ms, now_ms, "day", 2 * DAY_MS)
        row = report["buckets"][-1] if report["buckets"] else {}
        return {"since": since_ms, **{name: row.get(name, 0) for name in TODAY_FIELDS}}

    return today

class Dashboard:
    def __init__(self, *, queue: MatchQueue, presence: Presence, staff: StaffStore,
                 alerts: AlertStore, now: Callable[[], datetime], today: Today) -> None:
        self.queue = queue
        self.presence = presence
        self.staff = staff
        self.alerts = alerts
        self.now = now
        self.today_figures = today

    async def overview(self) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        return {
            "queue": await self._queue(now_ms),
            "helpers": await self._helpers(),
            "on_call": await self._on_call(),
            "alerts": await self._alerts(now_ms),
            "today": await self._today(),
            "at": now_ms,
        }

    async def _queue(self, now_ms: int) -> dict[str, Any]:
        oldest = await self.queue.oldest_enqueued_ms()
        return {"waiting": await self.queue.length(),
                "longest_wait_s": None if oldest is None else max(0, (now_ms - oldest) // 1000)}

    async def _helpers(self) -> dict[str, Any]:
        """Connected helpers, those taking chats now, and each one's load (by alias)."""
        online = await self.presence.connected("helper")
        aliases = await self.queue.aliases(online)
        load: list[dict[str, Any]] = []
        available = 0
        now_ms = int(time.time() * 1000)
        for uid, alias in zip(online[:MAX_LISTED], aliases, strict=False):
            helper = await self.queue.helper(uid)
            cooling = helper.cooldown_until > now_ms
            # Taking a new chat now: available, not cooling down, below their capacity.
            taking = helper.available and not cooling and helper.active < (helper.capacity or 0)
            available += taking
            load.append({"alias": alias or uid.split(".", 1)[-1], "active": helper.active,
                         "capacity": helper.capacity or 0, "available": taking,
                         "cooldown": cooling})
        load.sort(key=lambda h: (-h["active"], h["alias"]))
        return {"online": len(online), "available": available, "load": load}

    async def _on_call(self) -> dict[str, Any]:
        """On-call counselors counted by level: ``{"department": {id: n}, "centre": n}``."""
        departments: dict[str, int] = {}
        centre = 0
        for uid in await self.presence.on_call():
            account = await self.staff.get(uid.split(".", 1)[-1])
            if account is not None and account.level == "department" and account.department:
                departments[account.department] = departments.get(account.department, 0) + 1
            else:
                centre += 1
        return {"department": departments, "centre": centre}

    async def _alerts(self, now_ms: int) -> dict[str, Any]:
        """Open alerts (how severe, how long waiting: no excerpt) and the watch list's size."""
        items: list[dict[str, Any]] = []
        for aid in (await self.alerts.open_ids())[:MAX_LISTED]:
            alert = await self.alerts.get(aid)
            if alert is None:
                continue
            items.append({"alert": aid, "severity": alert.severity,
                          "raised_at": alert.raised_at, "tier": alert.tier,
                          "waiting_s": max(0, (now_ms - alert.raised_at) // 1000)})
        items.sort(key=lambda a: a["raised_at"])
        watched = await self.alerts.watched()
        return {"open": len(items), "watch": len(watched), "items": items,
                "watch_items": [{"severity": w.get("severity"), "since": w.get("ts")}
                                for w in watched[:MAX_LISTED]]}

    async def _today(self) -> dict[str, Any]:
        midnight = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        since_ms = int(midnight.timestamp() * 1000)
        return await self.today_figures(since_ms)
