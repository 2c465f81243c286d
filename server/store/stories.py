"""Student stories in Redis: a hash per story, a receipt index, the review and published lists.

Only the masked text is ever stored. A story's receipt code is kept only as a digest, pointing
at the story; the story keeps the same digest so a lookup can be checked in constant time.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from .keys import RECEIPT_TTL_S, STORY_RETENTION_S, Keys

_INT_FIELDS = ("severity", "submitted_at", "decided_at", "published_at", "reads", "revisions")


class StoryStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def create(self, story_id: str, receipt_digest: str, fields: dict[str, Any],
                     order: float) -> None:
        key = self.keys.story(story_id)
        # Steps on one Redis Cluster slot each. The story is written with the retention of a
        # rejected one and kept (PERSIST) only once it is listed: a crash between the steps
        # leaves at worst a story nobody lists, which expires, or an id whose story is gone,
        # which the lists skip.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={**_encode(fields), "receipt": receipt_digest,
                                    "status": "pending", "reads": 0, "revisions": 0})
            pipe.expire(key, STORY_RETENTION_S)
            await pipe.execute()
        await self.redis.set(self.keys.story_receipt(receipt_digest), story_id, ex=RECEIPT_TTL_S)
        await self.redis.zadd(self.keys.stories_pending, {story_id: order})
        await self.redis.persist(key)

    async def get(self, story_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hgetall(self.keys.story(story_id))
        return _decode(story_id, raw) if raw else None  # type: ignore[arg-type]

    async def by_receipt(self, receipt_digest: str) -> dict[str, Any] | None:
        story_id = await self.redis.get(self.keys.story_receipt(receipt_digest))
        return await self.get(story_id.decode()) if story_id else None

    async def many(self, ids: list[str]) -> list[dict[str, Any]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for story_id in ids:
                pipe.hgetall(self.keys.story(story_id))
            rows = await pipe.execute()
        return [_decode(i, r) for i, r in zip(ids, rows, strict=True) if r]

    async def pending(self, limit: int = 200) -> list[dict[str, Any]]:
        ids = [i.decode() for i in await self.redis.zrange(self.keys.stories_pending, 0,
                                                           limit - 1)]
        return await self.many(ids)

    async def published(self, limit: int = 200) -> list[dict[str, Any]]:
        ids = [i.decode() for i in await self.redis.zrevrange(self.keys.stories_published, 0,
                                                              limit - 1)]
        return await self.many(ids)

    async def decide(self, story: dict[str, Any], status: str, reason: str, now_ms: int) -> None:
        """Record a reviewer's decision: published stories stay; the others expire."""
        key = self.keys.story(story["id"])
        # The story first, then the lists and the receipt (other Cluster slots): a crash
        # between leaves it listed where it was, with its decision recorded; deciding again
        # (or deleting it) puts the lists right.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": status, "reason": reason, "decided_at": now_ms})
            if status == "published":
                pipe.hset(key, "published_at", now_ms)
                pipe.persist(key)
            else:
                pipe.expire(key, STORY_RETENTION_S)
            await pipe.execute()
        if status == "published":
            await self.redis.zadd(self.keys.stories_published, {story["id"]: now_ms})
        await self.redis.zrem(self.keys.stories_pending, story["id"])
        await self.redis.expire(self.keys.story_receipt(story["receipt"]), RECEIPT_TTL_S)

    async def resubmit(self, story: dict[str, Any], fields: dict[str, Any],
                       order: float) -> None:
        """An edit the reviewers asked for goes back to the review queue."""
        key = self.keys.story(story["id"])
        # Listed first, then the story kept: a crash between leaves a listed story that still
        # expires as a sent-back one (the list skips it once gone).
        await self.redis.zadd(self.keys.stories_pending, {story["id"]: order})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={**_encode(fields), "status": "pending", "reason": ""})
            pipe.hincrby(key, "revisions", 1)
            pipe.persist(key)
            await pipe.execute()
        await self.redis.expire(self.keys.story_receipt(story["receipt"]), RECEIPT_TTL_S)

    async def delete(self, story: dict[str, Any]) -> None:
        # Unlisted first, then gone (each key its own Cluster slot; repeating is harmless).
        await self.redis.zrem(self.keys.stories_pending, story["id"])
        await self.redis.zrem(self.keys.stories_published, story["id"])
        await self.redis.delete(self.keys.story(story["id"]))
        await self.redis.delete(self.keys.story_receipt(story["receipt"]))

    async def count(self, story_id: str, field: str) -> int:
        """Count a read or a reaction of a story (only while it is published)."""
        key = self.keys.story(story_id)
        if await self.redis.zscore(self.keys.stories_published, story_id) is None:
            return -1
        return int(await self.redis.hincrby(key, field, 1))


def _encode(fields: dict[str, Any]) -> dict[Any, Any]:
    return {k: (",".join(v) if isinstance(v, list) else v) for k, v in fields.items()}


def _decode(story_id: str, raw: dict[bytes, bytes]) -> dict[str, Any]:
    story: dict[str, Any] = {"id": story_id}
    reactions: dict[str, int] = {}
    for k, v in raw.items():
        name, value = k.decode(), v.decode()
        if name.startswith("r:"):
            reactions[name[2:]] = int(value)
        elif name in _INT_FIELDS:
            story[name] = int(value)
        elif name == "categories":
            story[name] = [c for c in value.split(",") if c]
        else:
            story[name] = value
    story["reactions"] = reactions
    return story
