"""Anonymous statistics in Redis: one hash of counts per UTC hour, and who samples when.

``stats:<hour>`` holds only counters (field names in ``core/stats.py``): no session id, no
alias, no text. Every process adds to the same buckets with ``HINCRBY``, so the figures are
those of the whole deployment; each write renews the bucket's TTL (the statistics retention).

The few facts a count needs about a session at its end (when it was asked for, whether it
was matched, its topic, department and highest severity) are read from the session hash here,
so that counting needs no change to the sessions' own code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from .keys import Keys

_LUA = Path(__file__).with_name("lua")
READ_CHUNK = 500
"""Buckets read per pipeline: a two-year export is 17,544 buckets, read in bounded steps."""
QUEUE_SCAN = 200
"""How many of the oldest queue entries are read to find the longest wait."""


@dataclass(frozen=True, slots=True)
class SessionFacts:
    created_ms: int
    matched: bool
    topic: str
    department: str
    max_sev: int = 0


@dataclass(frozen=True, slots=True)
class HelperSample:
    online: int
    """Helpers online and available for chats."""
    active: int
    """Their active sessions."""
    capacity: int
    """Their places in all (active + free)."""
    free: int
    """Places a seeker could be given now (helpers in a cooldown after a crisis have none)."""


class StatsStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, retention_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.retention_s = retention_s
        self._mark = redis.register_script((_LUA / "stats_mark.lua").read_text())

    async def add(self, hour: int, counts: Mapping[str, int]) -> None:
        """Add ``counts`` to one hour's bucket: one round trip, however many fields."""
        if not counts:
            return
        key = self.keys.stats_hour(hour)
        async with self.redis.pipeline(transaction=False) as pipe:
            for name, by in counts.items():
                pipe.hincrby(key, name, by)
            pipe.expire(key, self.retention_s)
            await pipe.execute()

    async def add_many(self, counts: Mapping[int, Mapping[str, int]]) -> None:
        """Counts for several buckets in one round trip (one event touching two hours)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for hour, fields in counts.items():
                if not fields:
                    continue
                key = self.keys.stats_hour(hour)
                for name, by in fields.items():
                    pipe.hincrby(key, name, by)
                pipe.expire(key, self.retention_s)
            await pipe.execute()

    async def read(self, hours: list[int]) -> dict[int, dict[str, int]]:
        """The buckets of ``hours`` (an absent bucket reads as no counts)."""
        out: dict[int, dict[str, int]] = {}
        for start in range(0, len(hours), READ_CHUNK):
            chunk = hours[start:start + READ_CHUNK]
            async with self.redis.pipeline(transaction=False) as pipe:
                for hour in chunk:
                    pipe.hgetall(self.keys.stats_hour(hour))
                rows = await pipe.execute()
            for hour, row in zip(chunk, rows, strict=True):
                out[hour] = {k.decode(): int(v) for k, v in row.items()}
        return out

    async def elect(self, what: str, slot: int, ttl_s: int) -> bool:
        """True for exactly one process per ``(what, slot)``: the one whose SET NX won."""
        return bool(await self.redis.set(self.keys.stats_lead(what, slot), "1", nx=True,
                                         ex=max(1, ttl_s)))

    async def session_facts(self, sid: str) -> SessionFacts | None:
        raw = await self.redis.hmget(self.keys.session(sid), "created", "matched_at", "topic",
                                     "department", "max_sev")
        created, matched_at, topic, dept, max_sev = raw
        if created is None:
            return None
        return SessionFacts(int(created), bool(matched_at), (topic or b"").decode(),
                            (dept or b"").decode(), int(max_sev or 0))

    async def first(self, sid: str, marker: str) -> SessionFacts | None:
        """The session's facts if this is the first time it is counted under ``marker``
        (``stats_matched``, ``stats_risk``): a session matched again after a handover, or
        flagged again, is counted once. One round trip (``stats_mark.lua``)."""
        raw = await self._mark(keys=[self.keys.session(sid)], args=[marker])
        if len(raw) < 4 or not int(raw[0]):
            return None
        return SessionFacts(int(raw[1] or 0), marker == "stats_matched",
                            _text(raw[2]), _text(raw[3]))

    async def alert_raised_at(self, aid: str) -> int | None:
        raw = await self.redis.hget(self.keys.alert(aid), "raised_at")
        return int(raw) if raw else None

    async def helper_sample(self, now_ms: int) -> HelperSample:
        """Helpers available now, their active sessions, their places and the free ones, read
        as ``MatchQueue.outlook`` reads them (matching's keys)."""
        m = self.keys.match
        helpers = [h.decode() for h in await self.redis.smembers(m.available)]
        if not helpers:
            return HelperSample(0, 0, 0, 0)
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in helpers:
                pipe.hmget(m.helper(uid), "capacity", "cooldown_until")
                pipe.scard(m.helper_sessions(uid))
            raw = await pipe.execute()
        active = capacity = free = 0
        for i in range(len(helpers)):
            (cap, cooldown), busy = raw[2 * i], int(raw[2 * i + 1])
            active += busy
            capacity += max(int(cap or 0), busy)
            if int(cooldown or 0) <= now_ms:
                free += max(0, int(cap or 0) - busy)
        return HelperSample(len(helpers), active, capacity, free)

    async def longest_wait_ms(self, now_ms: int) -> tuple[int, int | None]:
        """(seekers waiting, how long the longest-waiting one has waited, ms)."""
        m = self.keys.match
        length = int(await self.redis.zcard(m.queue))
        if not length:
            return 0, None
        # Queue scores put priority first, so the oldest entry is not always at the front.
        sids = [s.decode() for s in await self.redis.zrange(m.queue, 0, QUEUE_SCAN - 1)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hget(m.entry(sid), "enqueued")
            stamps = [int(t) for t in await pipe.execute() if t]
        return length, (now_ms - min(stamps)) if stamps else None


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value or ""
