"""Who is connected where: people's processes, the processes themselves, counselors on call.

- ``loc:<uid>``: the process (node) holding someone's connection, read by ``say.lua`` and
  ``relay.lua`` to publish to the right node channel.
- ``nodes`` and ``nodeusers:<node>``: each process's heartbeat and who is connected to it, so
  that a process that dies is not a black hole (``service.nodes``).
- ``oncall`` (uid → ``tier`` or ``tier|level|department``, the counselors connected and on
  call; a plain tier is a centre counselor, as every entry was before levels) and
  ``oncall:pref`` (who chose to be on call, so that a console that reconnects is on call
  again).
"""

from __future__ import annotations

import time
from pathlib import Path

import redis.asyncio as aioredis

from ..core.policy import CENTRE, OnCallCounselor
from .keys import LOCATION_TTL_S, Keys
from .scripts import ScriptRunner

_LUA = Path(__file__).with_name("lua")


class Presence:
    def __init__(self, redis: aioredis.Redis, keys: Keys, runner: ScriptRunner, node: str,
                 node_timeout_s: float) -> None:
        self.redis = redis
        self.keys = keys
        self.runner = runner
        self.node = node
        self.users_ttl_s = max(60, int(node_timeout_s * 4))
        self._detach = runner.load(_LUA / "detach.lua")

    # -- people ------------------------------------------------------------------------------

    async def arrived(self, uid: str, role: str) -> str | None:
        """Someone connected here: where they are, and that this node holds them. Returns the
        node that held them before, if another one (its connection must be closed: one person,
        one live connection, across all processes)."""
        users = self.keys.node_users(self.node)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.loc(uid), self.node, ex=LOCATION_TTL_S, get=True)
            pipe.hset(users, uid, role)
            pipe.expire(users, self.users_ttl_s)
            before, _, _ = await pipe.execute()
        node = before.decode() if before else None
        return node if node != self.node else None

    async def departed(self, uid: str) -> None:
        """Someone's connection here closed: forget them, unless they are elsewhere already."""
        await self.redis.hdel(self.keys.node_users(self.node), uid)
        await self.runner.run(self._detach, [self.keys.loc(uid)], [self.node])

    async def location(self, uid: str) -> str | None:
        node = await self.redis.get(self.keys.loc(uid))
        return node.decode() if node else None

    async def forget_location(self, uid: str) -> None:
        await self.redis.delete(self.keys.loc(uid))

    # -- processes ---------------------------------------------------------------------------

    async def beat(self) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.nodes, {self.node: int(time.time() * 1000)})
            pipe.expire(self.keys.node_users(self.node), self.users_ttl_s)
            await pipe.execute()

    async def leave(self) -> None:
        await self.redis.zrem(self.keys.nodes, self.node)

    async def silent_nodes(self, silent_for_s: float) -> list[str]:
        """Other nodes whose heartbeat is older than ``silent_for_s``."""
        cutoff = int((time.time() - silent_for_s) * 1000)
        raw = await self.redis.zrangebyscore(self.keys.nodes, "-inf", cutoff)
        return [n.decode() for n in raw if n.decode() != self.node]

    async def claim_dead(self, node: str) -> bool:
        """Take on a dead node's clean-up; only one process gets True (``ZREM`` decides)."""
        return bool(await self.redis.zrem(self.keys.nodes, node))

    async def users_of(self, node: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.keys.node_users(node))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def connected(self, role: str) -> list[str]:
        """The uids of everyone of ``role`` connected to a live process (the console's count
        of helpers online: connected, whether or not they take chats now)."""
        nodes = [n.decode() for n in await self.redis.zrange(self.keys.nodes, 0, -1)]
        uids: set[str] = set()
        for node in nodes:
            uids.update(uid for uid, r in (await self.users_of(node)).items() if r == role)
        return sorted(uids)

    async def forget_node(self, node: str) -> None:
        await self.redis.delete(self.keys.node_users(node))

    # -- counselors on call ------------------------------------------------------------------

    async def go_on_call(self, uid: str, tier: int, level: str = CENTRE,
                         department: str = "") -> None:
        value = str(tier) if level == CENTRE else f"{tier}|{level}|{department}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.oncall, uid, value)
            pipe.sadd(self.keys.oncall_pref, uid)
            await pipe.execute()

    async def go_off_call(self, uid: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hdel(self.keys.oncall, uid)
            pipe.srem(self.keys.oncall_pref, uid)
            await pipe.execute()

    async def drop_on_call(self, uid: str) -> None:
        """Not reachable (disconnected), but still prefers to be on call when back."""
        await self.redis.hdel(self.keys.oncall, uid)

    async def prefers_on_call(self, uid: str) -> bool:
        return bool(await self.redis.sismember(self.keys.oncall_pref, uid))

    async def on_call(self) -> dict[str, int]:
        """uid → tier of every counselor on call."""
        return {uid: c.tier for uid, c in (await self.on_call_counselors()).items()}

    async def on_call_counselors(self) -> dict[str, OnCallCounselor]:
        """uid → tier, level and department of every counselor on call."""
        raw = await self.redis.hgetall(self.keys.oncall)
        return {k.decode(): _counselor(v.decode()) for k, v in raw.items()}


def _counselor(value: str) -> OnCallCounselor:
    tier, _, rest = value.partition("|")
    level, _, department = rest.partition("|")
    return OnCallCounselor(int(tier), level or CENTRE, department)
