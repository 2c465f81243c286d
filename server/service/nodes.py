"""Server processes watching each other, so that a process that dies is not a black hole.

Each process writes a heartbeat and keeps, in Redis, who is connected to it
(``store.presence``). When a process's heartbeat is older than ``node_timeout_s``, the first
other process to notice claims its clean-up (``ZREM`` decides) and treats each of its users as
disconnected: helpers stop being offered seekers, and every grace period starts as if their
sockets had closed. Without this, a crashed process would leave its helpers "available" forever
and its seekers' sessions open.
"""

from __future__ import annotations

import logging
import time

from ..store.presence import Presence
from ..store.sessions import SessionStore
from .lifecycle import Lifecycle

log = logging.getLogger("peerline.nodes")


class Nodes:
    def __init__(self, *, presence: Presence, sessions: SessionStore, lifecycle: Lifecycle,
                 heartbeat_s: float, node_timeout_s: float) -> None:
        self.presence = presence
        self.sessions = sessions
        self.lifecycle = lifecycle
        self.heartbeat_s = heartbeat_s
        self.node_timeout_s = node_timeout_s
        self._last_beat = 0.0

    async def tick(self) -> None:
        """A duty of the sweeper: beat now and then, and take over after dead processes."""
        now = time.monotonic()
        if now - self._last_beat < self.heartbeat_s:
            return
        self._last_beat = now
        await self.presence.beat()
        for node in await self.presence.silent_nodes(self.node_timeout_s):
            if await self.presence.claim_dead(node):
                await self._take_over(node)

    async def _take_over(self, node: str) -> None:
        users = await self.presence.users_of(node)
        log.warning("process %s stopped answering; starting grace for its %d users",
                    node, len(users))
        for uid, role in users.items():
            if await self.presence.location(uid) != node:
                continue  # already back, elsewhere
            await self.presence.forget_location(uid)
            sessions = {sid: role for sid in await self.sessions.sessions_of(uid)}
            try:
                await self.lifecycle.gone(uid, role, sessions)
            except Exception:
                log.exception("taking over a user of a dead process failed")
        await self.presence.forget_node(node)
