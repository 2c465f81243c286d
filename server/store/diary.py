"""Mood diary entries in Redis: one key per diary and day, each expiring on its own.

The diary is named by the digest of the student's secret key. Each day's entry is its own key
with the retention period as TTL, so every entry expires exactly when it should; listing reads
the days the retention period can cover in one MGET (all in one Cluster slot: see keys.py).
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from .keys import Keys


class DiaryStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, retention_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.retention_s = retention_s

    async def put(self, digest: str, day: str, entry: dict[str, Any]) -> dict[str, Any] | None:
        """Store the day's entry (replacing one from earlier that day); return the old one."""
        key = self.keys.diary_entry(digest, day)
        old = await self.redis.set(key, orjson.dumps(entry), ex=self.retention_s, get=True)
        return orjson.loads(old) if isinstance(old, bytes) else None

    async def days(self, digest: str, days: list[str]) -> list[dict[str, Any]]:
        """Entries for ``days`` (newest first as given); missing and expired days are skipped."""
        if not days:
            return []
        raw = await self.redis.mget([self.keys.diary_entry(digest, d) for d in days])
        return [{"day": d, **orjson.loads(r)} for d, r in zip(days, raw, strict=True) if r]

    async def delete(self, digest: str, days: list[str]) -> None:
        if days:
            await self.redis.delete(*(self.keys.diary_entry(digest, d) for d in days))
