"""Canned replies in Redis: one hash ``canned`` (id → JSON of a ``CannedReply``).

Until the centre stores any, the shipped defaults (``core.canned.DEFAULTS``) are stored on
first read, so the console can edit them like any other. The hash lives until changed: it is
the centre's own wording, not anyone's data.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import redis.asyncio as aioredis

from ..core.canned import DEFAULTS, CannedPatch, CannedReply
from ..core.errors import Conflict, NotFound
from .keys import Keys

MAX_TEMPLATES = 500


class CannedStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def items(self, lang: str | None = None) -> list[dict[str, Any]]:
        raw = await self.redis.hgetall(self.keys.canned)
        if not raw:
            await self._seed()
            raw = await self.redis.hgetall(self.keys.canned)
        items = [{"id": k.decode(), **json.loads(v)} for k, v in raw.items()
                 if k != b"~seeded"]
        items.sort(key=lambda i: (i["lang"], i["category"], i["title"]))
        return [i for i in items if lang is None or i["lang"] == lang]

    async def _seed(self) -> None:
        """Store the defaults once (``~seeded`` marks it, so deleting them all sticks)."""
        if not await self.redis.hsetnx(self.keys.canned, "~seeded", "1"):
            return
        await self.redis.hset(self.keys.canned, mapping={
            _new_id(): item.model_dump_json() for item in DEFAULTS})

    async def add(self, item: CannedReply) -> str:
        await self.items()  # seeds the defaults first, so a first add does not hide them
        if await self.redis.hlen(self.keys.canned) > MAX_TEMPLATES:
            raise Conflict(f"at most {MAX_TEMPLATES} templates")
        cid = _new_id()
        await self.redis.hset(self.keys.canned, cid, item.model_dump_json())
        return cid

    async def update(self, cid: str, patch: CannedPatch) -> CannedReply:
        raw = await self.redis.hget(self.keys.canned, cid)
        if raw is None or cid == "~seeded":
            raise NotFound("no such template")
        merged = CannedReply(**{**json.loads(raw), **patch.model_dump(exclude_none=True)})
        await self.redis.hset(self.keys.canned, cid, merged.model_dump_json())
        return merged

    async def delete(self, cid: str) -> None:
        if cid == "~seeded" or not await self.redis.hdel(self.keys.canned, cid):
            raise NotFound("no such template")

    async def replace_all(self, items: list[CannedReply]) -> None:
        """A file import: the file's templates become the whole set."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.canned)
            pipe.hset(self.keys.canned, mapping={"~seeded": "1", **{
                _new_id(): item.model_dump_json() for item in items}})
            await pipe.execute()


def _new_id() -> str:
    return secrets.token_urlsafe(9)
