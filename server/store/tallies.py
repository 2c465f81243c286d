"""Anonymous weekly counts for statistics: one hash per ISO week, no ids, no text.

Fields are ``open:<item>``, ``mood:<1-5>``, ``check:<phq9|gad7>:<band>``, ``story:read``,
``story:submitted``. Nothing in them points at a person; they are floored (k-anonymity) where
they are shown, not here, so sums stay exact.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from .keys import TALLY_TTL_S, Keys


class Tallies:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def add(self, week: str, field: str, by: int = 1) -> None:
        key = self.keys.tally(week)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, field, by)
            pipe.expire(key, TALLY_TTL_S)
            await pipe.execute()

    async def weeks(self, weeks: list[str]) -> dict[str, dict[str, int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for week in weeks:
                pipe.hgetall(self.keys.tally(week))
            rows = await pipe.execute()
        return {week: {k.decode(): int(v) for k, v in row.items()}
                for week, row in zip(weeks, rows, strict=True)}
