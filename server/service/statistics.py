"""Anonymous statistics: counting what happens (through events) and reporting it floored.

Counting subscribes to the events other features emit (``Requested``, ``Matched``,
``SessionEnded``, ``RiskSeen``, ``AlertRaised``/``Claimed``/``Resolved``, ``FeedbackGiven``),
so no feature calls this one. Each event is one pipelined ``HINCRBY`` batch into the hour
bucket (``store/stats.py``); an event that must know more of its session (its department at
the end, whether it was counted before) reads it in the same or one more round trip. Nothing
is counted on ``say``: a message costs the statistics nothing.

The writes run in their own tasks, never in the emitter's: a frame is not held up by counting
(with Redis frozen, a seeker's ``request`` would otherwise wait out the Redis timeout in the
``Matched`` handler, and the frames behind it bunch up into a rate limit). At most
``MAX_PENDING`` writes wait at once; beyond that a count is dropped (and logged once in a
while): statistics may lose a count in an outage, a conversation never waits for one.

Per-session figures (requests, matches and waits, abandoned, highest severity) go into the
hour the seeker asked, so a row's figures describe the same people; alerts, claims,
outcomes, feedback and the helper samples go into the hour they happened.

Helpers online and their load are sampled every ``sample_s`` by one process: the one that
wins ``SET NX`` on the sample's slot.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..core import stats
from ..core.between import LANGS
from ..core.errors import BadInput
from ..store.health import unavailable
from ..store.stats import StatsStore
from .events import (
    AlertClaimed,
    AlertRaised,
    AlertResolved,
    Events,
    FeedbackGiven,
    Matched,
    Requested,
    RiskSeen,
    SessionEnded,
)

log = logging.getLogger("peerline.stats")
E = TypeVar("E")

DAY_MS = 24 * 3600 * 1000
DEFAULT_RANGE_MS = 7 * DAY_MS
MAX_PENDING = 1000
DROP_LOG_EVERY_S = 60.0


class Statistics:
    def __init__(self, *, store: StatsStore, events: Events, timezone: str | None,
                 sample_s: float, stopping: asyncio.Event) -> None:
        self.store = store
        self.tz: dt.tzinfo | None = ZoneInfo(timezone) if timezone else None
        self.sample_s = sample_s
        self.stopping = stopping
        self.pending: set[asyncio.Task[None]] = set()
        self.dropped = 0
        self._dropped_logged = 0.0
        events.on(Requested, self._later(self._requested))
        events.on(Matched, self._later(self._matched))
        events.on(SessionEnded, self._later(self._ended))
        events.on(RiskSeen, self._later(self._risk_seen))
        events.on(AlertRaised, self._later(self._alert_raised))
        events.on(AlertClaimed, self._later(self._alert_claimed))
        events.on(AlertResolved, self._later(self._alert_resolved))
        events.on(FeedbackGiven, self._later(self._feedback))

    def _later(self, count: Callable[[E], Awaitable[None]]
               ) -> Callable[[E], Awaitable[None]]:
        """An event handler that starts ``count`` in its own task and returns at once."""
        async def handler(event: E) -> None:
            if len(self.pending) >= MAX_PENDING:
                self.dropped += 1
                now = time.monotonic()
                if now - self._dropped_logged >= DROP_LOG_EVERY_S:
                    self._dropped_logged = now
                    log.warning("statistics fall behind: %d counts dropped so far", self.dropped)
                return
            task = asyncio.create_task(self._guarded(count, event))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

        return handler

    async def _guarded(self, count: Callable[[E], Awaitable[None]], event: E) -> None:
        try:
            await count(event)
        except Exception as exc:
            if unavailable(exc) is None:
                log.exception("counting a %s failed", type(event).__name__)
            else:
                log.warning("a %s was not counted: redis is unavailable", type(event).__name__)

    async def settled(self) -> None:
        """Wait for the counts already started (tests, and a clean stop)."""
        while self.pending:
            await asyncio.gather(*tuple(self.pending), return_exceptions=True)

    # -- counting ----------------------------------------------------------------------------

    async def _requested(self, event: Requested) -> None:
        counts = stats.fields(stats.REQUESTS, stats.scopes(event.topic, event.department))
        if event.lang in LANGS:
            counts[f"lang.{event.lang}"] = 1
        if event.mood is not None and 1 <= event.mood <= 5:
            counts[f"mb{event.mood}"] = 1
        await self.store.add(stats.hour_of(time.time()), counts)

    async def _matched(self, event: Matched) -> None:
        facts = await self.store.first(event.sid, "stats_matched")
        if facts is None:  # matched before (a handover, a helper who dropped): counted once
            return
        wait_s = max(0.0, time.time() - facts.created_ms / 1000)
        scope_list = stats.scopes(facts.topic, facts.department)
        counts = stats.fields(stats.MATCHED, scope_list)
        counts.update(stats.fields(f"w{stats.bin_index(wait_s, stats.WAIT_EDGES)}", scope_list))
        await self.store.add(stats.hour_of(facts.created_ms / 1000), counts)

    async def _ended(self, event: SessionEnded) -> None:
        facts = await self.store.session_facts(event.sid)
        if facts is None:
            return
        scope_list = stats.scopes(facts.topic, facts.department)
        counts = stats.fields(f"sev{min(3, max(0, facts.max_sev))}", scope_list)
        if not facts.matched:
            counts.update(stats.fields(stats.ABANDONED, scope_list))
        await self.store.add(stats.hour_of(facts.created_ms / 1000), counts)

    async def _risk_seen(self, event: RiskSeen) -> None:
        if event.severity >= 2:
            await self._count_risk(event.sid, {})

    async def _count_risk(self, sid: str, also: dict[str, int]) -> None:
        """A session at severity 2 or more, counted once (in the hour it got there), with
        ``also`` for everyone's scope."""
        facts = await self.store.first(sid, "stats_risk")
        counts = dict(also)
        if facts is not None:
            counts.update(stats.fields(stats.RISK, stats.scopes(facts.topic, facts.department)))
        await self.store.add(stats.hour_of(time.time()), counts)

    async def _alert_raised(self, event: AlertRaised) -> None:
        facts = await self.store.session_facts(event.sid)
        scope_list = (stats.scopes(facts.topic, facts.department) if facts is not None
                      else ("",))
        counts = stats.fields(stats.ALERTS, scope_list)
        if event.severity >= 2:
            await self._count_risk(event.sid, counts)
        else:
            await self.store.add(stats.hour_of(time.time()), counts)

    async def _alert_claimed(self, event: AlertClaimed) -> None:
        raised_at = await self.store.alert_raised_at(event.aid)
        if raised_at is None:
            return
        waited_s = max(0.0, time.time() - raised_at / 1000)
        await self.store.add(stats.hour_of(time.time()), {
            stats.CLAIMED: 1, f"c{stats.bin_index(waited_s, stats.CLAIM_EDGES)}": 1})

    async def _alert_resolved(self, event: AlertResolved) -> None:
        if event.outcome in stats.OUTCOMES:
            await self.store.add(stats.hour_of(time.time()), {f"out.{event.outcome}": 1})

    async def _feedback(self, event: FeedbackGiven) -> None:
        counts: dict[str, int] = {}
        if event.rating is not None and 1 <= event.rating <= 5:
            counts[f"rate{event.rating}"] = 1
        if event.feeling in stats.FEELINGS:
            counts[f"feel.{event.feeling}"] = 1
        if event.mood is not None and 1 <= event.mood <= 5:
            counts[f"ma{event.mood}"] = 1
        await self.store.add(stats.hour_of(time.time()), counts)

    # -- helpers online, sampled by one process ----------------------------------------------

    async def sample(self, now_s: float) -> bool:
        """Sample helpers into the statistics if this process won this slot's election."""
        slot = int(now_s // self.sample_s)
        if not await self.store.elect("sample", slot, int(self.sample_s * 2) + 1):
            return False
        found = await self.store.helper_sample(int(now_s * 1000))
        await self.store.add(stats.hour_of(now_s), {
            "hs_n": 1, "hs_online": found.online, "hs_active": found.active,
            "hs_cap": found.capacity})
        return True

    async def run(self) -> None:
        """Background duty: the helper sample, once per slot across all processes. When it is
        cancelled (the process stops), the counts still waiting are cancelled with it."""
        quiet = False
        try:
            while not self.stopping.is_set():
                try:
                    now = time.time()
                    await asyncio.sleep(self.sample_s - now % self.sample_s + 0.05)
                    await self.sample(time.time())
                    quiet = False
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if unavailable(exc) is None:
                        log.exception("statistics sample failed")
                    elif not quiet:
                        log.warning("statistics sample waits for redis")
                    quiet = unavailable(exc) is not None
        finally:
            for task in tuple(self.pending):
                task.cancel()

    # -- reading -----------------------------------------------------------------------------

    def day_start_ms(self, day: str) -> int:
        """Midnight at the start of ``YYYY-MM-DD`` in the deployment's time zone (ms)."""
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise BadInput(f"{day!r}: a date is YYYY-MM-DD") from None
        local = dt.datetime.combine(date, dt.time(0))
        local = local.replace(tzinfo=self.tz) if self.tz else local.astimezone()
        return int(local.timestamp() * 1000)

    async def report(self, from_ms: int | None, to_ms: int | None, by: str,
                     max_range_ms: int) -> dict[str, Any]:
        """``GET /api/stats``: rows of floored counts for ``[from, to)`` grouped ``by``."""
        if by not in stats.BY_VALUES:
            raise BadInput(f"by: one of {', '.join(stats.BY_VALUES)}")
        to_ms = int(time.time() * 1000) if to_ms is None else to_ms
        from_ms = to_ms - DEFAULT_RANGE_MS if from_ms is None else from_ms
        if from_ms < 0 or to_ms <= from_ms:
            raise BadInput("from must be before to (epoch milliseconds)")
        if to_ms - from_ms > max_range_ms:
            raise BadInput(f"at most {max_range_ms // DAY_MS} days at once (the statistics "
                           "retention)")
        hours = stats.hours_between(from_ms / 1000, to_ms / 1000)
        buckets = await self.store.read(hours)
        return {"by": by, "from": from_ms, "to": to_ms,
                "buckets": stats.table(stats.group(buckets, by, self.tz),
                                       scoped=by in ("topic", "department"))}
