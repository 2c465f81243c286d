"""Seekers blocked by helpers: counted per seeker, and a pause on new requests when it repeats.

A helper who ends a chat as abusive bars that pair for good (``MatchQueue.block``); here each
such block is also counted against the seeker's id (``blockedby:<uid>``, a sorted set of
times kept for the counting window). When a seeker is blocked ``limit`` times within the
window, ``reqban:<uid>`` refuses their requests for ``ban_s``. Nothing here holds text, a name
or an address: only the seeker's internal id, which dies with their resume token.
"""

from __future__ import annotations

import secrets
import time

import redis.asyncio as aioredis

from .keys import Keys


class BlockStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, *, limit: int, window_s: int,
                 ban_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.limit = limit
        self.window_s = window_s
        self.ban_s = ban_s

    async def blocked_by_helper(self, seeker: str) -> bool:
        """Count a helper's block; True when it starts a pause on this seeker's requests."""
        key = self.keys.blocked_by(seeker)
        now = int(time.time() * 1000)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {f"{now}.{secrets.token_hex(2)}": now})
            pipe.zremrangebyscore(key, "-inf", now - self.window_s * 1000)
            pipe.zcard(key)
            pipe.expire(key, self.window_s)
            _, _, count, _ = await pipe.execute()
        if int(count) >= self.limit:
            await self.redis.set(self.keys.request_ban(seeker), now, ex=self.ban_s)
            return True
        return False

    async def paused_for_s(self, seeker: str) -> int:
        """How long this seeker's requests are still refused (0: not at all)."""
        return max(0, int(await self.redis.ttl(self.keys.request_ban(seeker))))
