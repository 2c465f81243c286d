"""The resource library in Redis: one hash of items (JSON), one hash of open counts.

The library is small (tens to hundreds of items) and read far more than written, so the whole
hash is read for a listing and searched in the process; no index to keep in step.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from .keys import Keys


class LibraryStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def all(self) -> list[dict[str, Any]]:
        raw = await self.redis.hgetall(self.keys.library)
        return [orjson.loads(v) for v in raw.values()]

    async def get(self, item_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.library, item_id)
        return orjson.loads(raw) if raw else None

    async def put(self, item: dict[str, Any]) -> None:
        await self.redis.hset(self.keys.library, item["id"], orjson.dumps(item))

    async def put_many(self, items: list[dict[str, Any]]) -> None:
        if items:
            await self.redis.hset(self.keys.library,
                                  mapping={i["id"]: orjson.dumps(i) for i in items})

    async def delete(self, item_id: str) -> bool:
        # Two keys, two Cluster slots: the item, then its count of opens (a crash between
        # leaves a count of an item that is gone, which nobody reads).
        removed = await self.redis.hdel(self.keys.library, item_id)
        await self.redis.hdel(self.keys.library_opens, item_id)
        return bool(removed)

    async def count_open(self, item_id: str) -> None:
        await self.redis.hincrby(self.keys.library_opens, item_id, 1)

    async def opens(self) -> dict[str, int]:
        raw = await self.redis.hgetall(self.keys.library_opens)
        return {k.decode(): int(v) for k, v in raw.items()}

    async def claim_seeding(self) -> bool:
        """True once per deployment: the caller installs the default items."""
        return bool(await self.redis.set(self.keys.library_seeded, b"1", nx=True))
