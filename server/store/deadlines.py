"""Deadlines kept in Redis, so that a grace period survives the process that started it.

A deadline is a member ``kind|arg`` of one sorted set, scored by when it falls due. Every process
sweeps it; ``ZREM`` decides which process handles a due deadline (only one gets 1 back).
"""

from __future__ import annotations

import time
from typing import cast

import redis.asyncio as aioredis


class Deadlines:
    def __init__(self, redis: aioredis.Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    async def set(self, kind: str, arg: str, after_s: float) -> None:
        due = int((time.time() + after_s) * 1000)
        await self.redis.zadd(self.key, {f"{kind}|{arg}": due})

    async def cancel(self, kind: str, arg: str) -> None:
        await self.redis.zrem(self.key, f"{kind}|{arg}")

    async def due(self, limit: int = 100) -> list[tuple[str, str]]:
        """Claim up to ``limit`` due deadlines for this process."""
        now = int(time.time() * 1000)
        members = await self.redis.zrangebyscore(self.key, "-inf", now, start=0, num=limit)
        claimed: list[tuple[str, str]] = []
        for member in members:
            raw = cast(bytes, member)
            if await self.redis.zrem(self.key, raw):
                kind, _, arg = raw.decode().partition("|")
                claimed.append((kind, arg))
        return claimed
