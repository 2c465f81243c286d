"""Server processes watching each other, so that a process that dies is not a black hole.

Each process writes a heartbeat to one sorted set and keeps, in a hash of its own, who is
connected to it (uid → role). When a process's heartbeat is older than ``node_timeout_s``, the
first other process to notice claims its clean-up (``ZREM`` decides) and treats each of its users
as disconnected: helpers stop being offered seekers, and every grace period starts as if their
sockets had closed. Without this, a crashed process would leave its helpers "available" forever
and its seekers' sessions open.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("peerline.nodes")


class Nodes:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.registry = f"{svc.keys.p}:nodes"
        self._last_beat = 0.0

    def users_key(self, node: str) -> str:
        return f"{self.svc.keys.p}:nodeusers:{node}"

    async def remember(self, uid: str, role: str) -> None:
        await self.svc.redis.hset(self.users_key(self.svc.node), uid, role)

    async def forget(self, uid: str) -> None:
        await self.svc.redis.hdel(self.users_key(self.svc.node), uid)

    async def beat(self) -> None:
        await self.svc.redis.zadd(self.registry, {self.svc.node: int(time.time() * 1000)})

    async def leave(self) -> None:
        """A clean shutdown: the connections close normally, so nobody needs to take over."""
        await self.svc.redis.zrem(self.registry, self.svc.node)

    async def tick(self) -> None:
        """Called by the sweeper: beat now and then, and take over after dead processes."""
        now = time.monotonic()
        if now - self._last_beat < self.svc.settings.heartbeat_s:
            return
        self._last_beat = now
        await self.beat()
        cutoff = int((time.time() - self.svc.settings.node_timeout_s) * 1000)
        for raw in await self.svc.redis.zrangebyscore(self.registry, "-inf", cutoff):
            node = raw.decode()
            if node != self.svc.node and await self.svc.redis.zrem(self.registry, node):
                await self._take_over(node)

    async def _take_over(self, node: str) -> None:
        svc = self.svc
        users = await svc.redis.hgetall(self.users_key(node))
        log.warning("process %s stopped answering; starting grace for its %d users",
                    node, len(users))
        for raw_uid, raw_role in users.items():
            uid, role = raw_uid.decode(), raw_role.decode()
            if await svc.sessions.location(uid) != node:
                continue  # already back, elsewhere
            await svc.redis.delete(svc.keys.loc(uid))
            sessions = {sid: role for sid in await svc.sessions.sessions_of(uid)}
            await svc.lifecycle.gone(uid, role, sessions)
        await svc.redis.delete(self.users_key(node))
