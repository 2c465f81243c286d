"""Fixed-window counters for anonymous HTTP writes (stories, reactions, diary, self-checks).

Anonymous endpoints keep no address of whoever calls them, so floods are bounded per window
for everyone together (and, where there is one, per secret: a diary key, a receipt code).
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from .keys import Keys


class Windows:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def hit(self, what: str, limit: int, now_s: float | None = None) -> bool:
        """Count one write to ``what`` in this minute; False when it is over ``limit``."""
        minute = int((time.time() if now_s is None else now_s) // 60)
        return await self._hit(self.keys.window(what, minute), limit, 120)

    async def hit_key(self, key: str, limit: int, ttl_s: int) -> bool:
        """The same for a key the caller names (e.g. one diary's hourly writes)."""
        return await self._hit(key, limit, ttl_s)

    async def _hit(self, key: str, limit: int, ttl_s: int) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl_s)
            count, _ = await pipe.execute()
        return int(count) <= limit
