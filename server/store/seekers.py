"""Anonymous seekers: a resume token is the only thing that ties a person to a conversation.

Redis keeps, under the token's SHA-256 digest, an internal seeker id; under that id, an alias and
the language. No name, IP address or device id is ever stored. Both keys expire after
``seeker_ttl_s`` of inactivity once the seeker has asked for help, and after ``idle_ttl_s`` (much
shorter) while they never have: an identity that never asked holds nothing worth keeping, and a
script minting identities should leave nothing behind for long (issue 16, defect 7).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from ..core.aliases import random_alias
from ..core.errors import RateLimited, Unauthorized
from ..core.ids import digest, new_token
from .keys import Keys


@dataclass(frozen=True)
class Seeker:
    uid: str
    alias: str
    resume: str
    lang: str | None


class SeekerStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_s: int,
                 idle_ttl_s: int | None = None, requests_per_hour: int = 0) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_s = ttl_s
        self.idle_ttl_s = min(ttl_s, idle_ttl_s or ttl_s)
        self.requests_per_hour = requests_per_hour

    async def create(self, lang: str | None) -> Seeker:
        uid = "s." + secrets.token_urlsafe(12)
        token = new_token()
        seeker = Seeker(uid=uid, alias=random_alias(), resume=token, lang=lang)
        # The identity, then the token that leads to it (another Cluster slot): a crash
        # between leaves an identity nobody can resume, which expires.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.seeker(uid), mapping={"alias": seeker.alias, "lang": lang or ""})
            pipe.expire(self.keys.seeker(uid), self.idle_ttl_s)
            await pipe.execute()
        await self.redis.set(self.keys.resume(digest(token)), uid, ex=self.idle_ttl_s)
        return seeker

    async def resume(self, token: str) -> Seeker:
        key = self.keys.resume(digest(token))
        uid_raw = await self.redis.get(key)
        if uid_raw is None:
            raise Unauthorized("resume token is unknown or expired")
        uid = uid_raw.decode()
        raw = await self.redis.hgetall(self.keys.seeker(uid))
        if not raw or b"alias" not in raw:
            raise Unauthorized("resume token is unknown or expired")
        await self.touch(uid, token, self.ttl_s if b"asked" in raw else self.idle_ttl_s)
        lang = raw.get(b"lang", b"").decode() or None
        return Seeker(uid=uid, alias=raw[b"alias"].decode(), resume=token, lang=lang)

    async def touch(self, uid: str, token: str, ttl_s: int | None = None) -> None:
        ttl_s = ttl_s or self.ttl_s
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.expire(self.keys.resume(digest(token)), ttl_s)
            pipe.expire(self.keys.seeker(uid), ttl_s)
            pipe.expire(self.keys.user_sessions(uid), self.ttl_s)
            await pipe.execute()

    async def asking(self, uid: str, token: str | None, alias: str, lang: str | None) -> None:
        """The seeker asks for help: count it against their hourly allowance (``RateLimited``
        beyond it) and keep the identity for the full seeker TTL from now on (written whole:
        an idle identity may have expired while its page stayed open)."""
        if self.requests_per_hour > 0:
            key = self.keys.seeker_requests(uid)
            async with self.redis.pipeline(transaction=True) as pipe:
                # Made with its TTL if new (SET NX), then counted: never a counter without TTL.
                pipe.set(key, 0, ex=3600, nx=True)
                pipe.incr(key)
                _, count = await pipe.execute()
            if int(count) > self.requests_per_hour:
                raise RateLimited("too many requests for help from this visitor this hour; "
                                  "crisis lines are always open (GET /api/resources)")
        # One slot per step, the identity first: a crash before the others leaves them with
        # their shorter idle TTL, which the next resume (``touch``) lengthens.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.seeker(uid), mapping={"alias": alias, "lang": lang or "",
                                                      "asked": 1})
            pipe.expire(self.keys.seeker(uid), self.ttl_s)
            await pipe.execute()
        async with self.redis.pipeline(transaction=False) as pipe:
            if token:
                pipe.set(self.keys.resume(digest(token)), uid, ex=self.ttl_s)
            pipe.expire(self.keys.user_sessions(uid), self.ttl_s)
            await pipe.execute()
