"""Anonymous seekers: a resume token is the only thing that ties a person to a conversation.

Redis keeps, under the token's SHA-256 digest, an internal seeker id; under that id, an alias and
the language. No name, IP address or device id is ever stored. Both keys expire after
``seeker_ttl_s`` of inactivity.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from ..core.aliases import random_alias
from ..core.errors import Unauthorized
from ..core.ids import digest, new_token
from .keys import Keys


@dataclass(frozen=True)
class Seeker:
    uid: str
    alias: str
    resume: str
    lang: str | None


class SeekerStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_s = ttl_s

    async def create(self, lang: str | None) -> Seeker:
        uid = "s." + secrets.token_urlsafe(12)
        token = new_token()
        seeker = Seeker(uid=uid, alias=random_alias(), resume=token, lang=lang)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.resume(digest(token)), uid, ex=self.ttl_s)
            pipe.hset(self.keys.seeker(uid), mapping={"alias": seeker.alias, "lang": lang or ""})
            pipe.expire(self.keys.seeker(uid), self.ttl_s)
            await pipe.execute()
        return seeker

    async def resume(self, token: str) -> Seeker:
        key = self.keys.resume(digest(token))
        uid_raw = await self.redis.get(key)
        if uid_raw is None:
            raise Unauthorized("resume token is unknown or expired")
        uid = uid_raw.decode()
        raw = await self.redis.hgetall(self.keys.seeker(uid))
        if not raw:
            raise Unauthorized("resume token is unknown or expired")
        await self.touch(uid, token)
        lang = raw.get(b"lang", b"").decode() or None
        return Seeker(uid=uid, alias=raw[b"alias"].decode(), resume=token, lang=lang)

    async def touch(self, uid: str, token: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.expire(self.keys.resume(digest(token)), self.ttl_s)
            pipe.expire(self.keys.seeker(uid), self.ttl_s)
            pipe.expire(self.keys.user_sessions(uid), self.ttl_s)
            await pipe.execute()
