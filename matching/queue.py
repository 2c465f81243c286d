"""MatchQueue: the Redis side of matching. Policy lives in ``lua/match.lua`` and ``estimate.py``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import redis.asyncio as aioredis

from .estimate import estimate_wait_s, queue_score

_LUA = Path(__file__).with_name("lua")


class Priority(IntEnum):
    NORMAL = 0
    RAISED = 1  # first words flagged (severity 2)
    REQUEUED = 2  # the helper dropped: back to the front
    CRISIS = 3  # first words severity 3


@dataclass(frozen=True)
class Pair:
    session: str
    helper: str
    wait_ms: int


@dataclass(frozen=True)
class HelperPresence:
    available: bool
    capacity: int | None  # None: never set
    active: int
    topics: list[str]
    langs: list[str]
    cooldown_until: int  # ms; 0 = none


class MatchKeys:
    """Matching keys share the hash tag ``{m}`` so the pairing script touches one cluster slot."""

    def __init__(self, prefix: str) -> None:
        m = f"{prefix}:{{m}}"
        self.queue = f"{m}:queue"
        self.available = f"{m}:available"
        self.entry_prefix = f"{m}:entry:"
        self.helper_prefix = f"{m}:helper:"
        self.helper_sessions_prefix = f"{m}:hs:"
        self.recent_waits = f"{m}:waits"
        self.recent_matches = f"{m}:matches"
        self.blocks_prefix = f"{m}:blk:"
        """``blk:<seeker uid>``: helpers never to pair with that seeker (expires, see block)."""

    def entry(self, sid: str) -> str:
        return self.entry_prefix + sid

    def helper(self, uid: str) -> str:
        return self.helper_prefix + uid

    def helper_sessions(self, uid: str) -> str:
        return self.helper_sessions_prefix + uid

    def blocks(self, seeker: str) -> str:
        return self.blocks_prefix + seeker


def _csv(items: list[str]) -> str:
    return "," + ",".join(items) + "," if items else ""


class MatchQueue:
    # How many queued seekers one pairing call looks at: enough to get past seekers whose
    # language no free helper speaks, bounded so that one call stays well under a millisecond.
    SCAN_LIMIT = 200

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = MatchKeys(prefix)
        self._match = redis.register_script((_LUA / "match.lua").read_text())
        self._release = redis.register_script((_LUA / "release.lua").read_text())
        self._transfer = redis.register_script((_LUA / "transfer.lua").read_text())
        self._outlook: tuple[float, tuple[int, int, list[int]]] | None = None

    # -- seekers -----------------------------------------------------------------------------

    async def position_if_queued(self, priority: Priority, at_ms: int) -> int:
        """The position a seeker queued now would get (before they are visible to pairing)."""
        return int(await self.redis.zcount(self.keys.queue, "-inf",
                                           f"({queue_score(priority, at_ms)}")) + 1

    async def enqueue(
        self, sid: str, lang: str | None, topic: str, priority: Priority = Priority.NORMAL,
        at_ms: int | None = None, seeker: str = "",
    ) -> None:
        """Queue a session; ``seeker`` (their uid) lets pairing honour blocked pairs."""
        now = at_ms if at_ms is not None else _now_ms()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.keys.entry(sid),
                mapping={"lang": lang or "", "topic": topic, "enqueued": now,
                         "priority": int(priority), "seeker": seeker},
            )
            pipe.zadd(self.keys.queue, {sid: queue_score(priority, now)})
            await pipe.execute()

    async def raise_priority(self, sid: str, priority: Priority) -> bool:
        """Move a queued seeker up (never down), keeping their time. False if no longer queued."""
        raw = await self.redis.hmget(self.keys.entry(sid), "enqueued", "priority")
        if raw[0] is None or int(raw[1] or 0) >= priority:
            return False
        added = await self.redis.zadd(
            self.keys.queue, {sid: queue_score(priority, int(raw[0]))}, xx=True, ch=True
        )
        if added:
            await self.redis.hset(self.keys.entry(sid), "priority", int(priority))
        return bool(added)

    async def requeue_front(
        self, sid: str, helper: str, lang: str | None, topic: str, first_asked_ms: int,
        seeker: str = "", avoid_helper: bool = False,
    ) -> bool:
        """Give a dropped helper's session back to the queue, ahead of normal seekers.

        Among those requeued, the one who first asked for help longest ago goes first. With
        ``avoid_helper`` (a helper handing the session on) pairing never gives it back to them.
        """
        done = await self._release(
            keys=[self.keys.queue, self.keys.helper_sessions(helper), self.keys.entry(sid)],
            args=[sid, queue_score(Priority.REQUEUED, first_asked_ms), lang or "", topic,
                  first_asked_ms, int(Priority.REQUEUED), seeker,
                  f",{helper}," if avoid_helper else ""],
        )
        return bool(done)

    async def transfer(self, sid: str, from_helper: str, to_helper: str, seeker: str) -> str:
        """Hand an active session to a named helper (``transfer.lua``): ``ok`` or why not
        (``gone``, ``unavailable``, ``blocked``, ``full``)."""
        self._outlook = None
        answer = await self._transfer(
            keys=[self.keys.helper_sessions(from_helper), self.keys.helper_sessions(to_helper),
                  self.keys.helper(to_helper), self.keys.available, self.keys.blocks(seeker)],
            args=[sid, to_helper, _now_ms()],
        )
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    async def block(self, seeker: str, helper: str, ttl_s: int) -> None:
        """Never pair this seeker and this helper again (for ``ttl_s``, in practice longer
        than the seeker's resume token lives)."""
        key = self.keys.blocks(seeker)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, helper)
            pipe.expire(key, ttl_s)
            await pipe.execute()

    async def is_blocked(self, seeker: str, helper: str) -> bool:
        return bool(await self.redis.sismember(self.keys.blocks(seeker), helper))

    async def find_available(self, alias: str) -> str | None:
        """The uid of the available helper shown as ``alias`` (case-insensitive), if any."""
        wanted = alias.strip().casefold()
        helpers = [h.decode() for h in await self.redis.smembers(self.keys.available)]
        for uid, name in zip(helpers, await self.aliases(helpers), strict=True):
            if name.casefold() == wanted:
                return uid
        return None

    async def remove(self, sid: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.keys.queue, sid)
            pipe.delete(self.keys.entry(sid))
            await pipe.execute()

    async def positions(self, sids: list[str]) -> list[int | None]:
        """1-based queue positions (None = not queued), in one round trip."""
        if not sids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.zrank(self.keys.queue, sid)
            ranks = await pipe.execute()
        return [None if r is None else int(r) + 1 for r in ranks]

    async def length(self) -> int:
        return int(await self.redis.zcard(self.keys.queue))

    async def outlook(self) -> tuple[int, int, list[int]]:
        """(helpers online and available, free places, recent match times) for estimates."""
        helpers = [h.decode() for h in await self.redis.smembers(self.keys.available)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in helpers:
                pipe.hmget(self.keys.helper(uid), "capacity", "cooldown_until")
                pipe.scard(self.keys.helper_sessions(uid))
            pipe.lrange(self.keys.recent_matches, 0, 99)
            raw = await pipe.execute()
        now = _now_ms()
        free = 0
        for i in range(len(helpers)):
            (cap, cooldown), active = raw[2 * i], raw[2 * i + 1]
            if int(cooldown or 0) <= now:
                free += max(0, int(cap or 0) - int(active))
        recent = [int(t) for t in raw[-1]]
        return len(helpers), free, recent

    async def estimate(self, position: int) -> tuple[int | None, int]:
        helpers_online, free, recent = await self.cached_outlook()
        return estimate_wait_s(position, helpers_online, free, recent, _now_ms()), helpers_online

    async def cached_outlook(self, max_age_s: float = 0.5) -> tuple[int, int, list[int]]:
        """``outlook`` at most ``max_age_s`` old: it reads every available helper, and a rush of
        requests each reading them all was 41% of the server's time with 100 helpers online."""
        now = time.monotonic()
        if self._outlook is None or now - self._outlook[0] > max_age_s:
            self._outlook = (now, await self.outlook())
        return self._outlook[1]

    async def recent_waits_ms(self) -> list[int]:
        return [int(w) for w in await self.redis.lrange(self.keys.recent_waits, 0, 99)]

    # -- helpers -----------------------------------------------------------------------------

    async def set_helper(
        self,
        uid: str,
        *,
        available: bool,
        capacity: int,
        topics: list[str],
        langs: list[str],
        online: bool = True,
    ) -> None:
        self._outlook = None  # a change here is seen at once by this process's estimates
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.keys.helper(uid),
                mapping={"available": int(available), "capacity": capacity,
                         "topics": _csv(topics), "langs": _csv(langs)},
            )
            if available and online:
                pipe.sadd(self.keys.available, uid)
            else:
                pipe.srem(self.keys.available, uid)
            await pipe.execute()

    async def set_online(self, uid: str, online: bool) -> None:
        """A helper's console connected or dropped: only an online helper is offered seekers."""
        self._outlook = None
        if online:
            if await self.redis.hget(self.keys.helper(uid), "available") == b"1":
                await self.redis.sadd(self.keys.available, uid)
        else:
            await self.redis.srem(self.keys.available, uid)

    async def set_cooldown(self, uid: str, until_ms: int) -> None:
        await self.redis.hset(self.keys.helper(uid), "cooldown_until", until_ms)

    async def helper(self, uid: str) -> HelperPresence:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.keys.helper(uid), "available", "capacity", "topics", "langs",
                       "cooldown_until")
            pipe.scard(self.keys.helper_sessions(uid))
            (avail, cap, topics, langs, cooldown), active = await pipe.execute()
        return HelperPresence(
            available=avail == b"1",
            capacity=None if cap is None else int(cap),
            active=int(active),
            topics=[t for t in (topics or b"").decode().split(",") if t],
            langs=[t for t in (langs or b"").decode().split(",") if t],
            cooldown_until=int(cooldown or 0),
        )

    async def set_alias(self, uid: str, alias: str) -> None:
        """The name seekers are shown for this helper when matched."""
        await self.redis.hset(self.keys.helper(uid), "alias", alias)

    async def aliases(self, uids: list[str]) -> list[str]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.hget(self.keys.helper(uid), "alias")
            raw = await pipe.execute()
        return [(r or b"").decode() for r in raw]

    async def helper_sessions(self, uid: str) -> list[str]:
        return [s.decode() for s in await self.redis.smembers(self.keys.helper_sessions(uid))]

    async def helpers_online(self) -> int:
        return int(await self.redis.scard(self.keys.available))

    # -- pairing -----------------------------------------------------------------------------

    async def match(self, max_pairs: int = 100) -> list[Pair]:
        """Pair as many waiting seekers as free helpers allow, in one atomic script.

        The script is given every key it touches (Redis Cluster routes and checks a script by
        its declared keys), so the head of the queue, the available helpers and each queued
        seeker's uid (whose blocked set it reads) are read first; the script then checks all
        of it again inside its atomic call (``match.lua``), so a pairing is never made on
        what was read here, and never twice.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(self.keys.queue, 0, self.SCAN_LIMIT - 1)
            pipe.smembers(self.keys.available)
            raw_sids, raw_helpers = await pipe.execute()
        sids = [s.decode() for s in raw_sids]
        helpers = sorted(h.decode() for h in raw_helpers)
        if not sids or not helpers:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for sid in sids:
                pipe.hget(self.keys.entry(sid), "seeker")
            seekers = [(s or b"").decode() for s in await pipe.execute()]
        keys = [self.keys.queue, self.keys.available, self.keys.recent_waits,
                self.keys.recent_matches]
        for uid in helpers:
            keys += [self.keys.helper(uid), self.keys.helper_sessions(uid)]
        for sid, seeker in zip(sids, seekers, strict=True):
            keys += [self.keys.entry(sid), self.keys.blocks(seeker)]
        flat = await self._match(
            keys=keys, args=[_now_ms(), max_pairs, len(helpers), len(sids), *helpers, *sids])
        return [
            Pair(flat[i].decode(), flat[i + 1].decode(), int(flat[i + 2]))
            for i in range(0, len(flat), 3)
        ]


def _now_ms() -> int:
    return int(time.time() * 1000)
