"""Whether this process can reach Redis right now, and what a failure to reach it means.

Two things decide readiness: the pub/sub subscription is up (``transport/hub.py`` reports it)
and a ``PING`` answered within the timeout in the last probe (on a Cluster: by every master;
with Sentinel: by the master the Sentinels name now). While either is false the process
serves nothing its ``/readyz`` denies: frames that need storage get ``unavailable``.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.cluster import RedisCluster

from ..core.errors import Unavailable

log = logging.getLogger("peerline.redis")

UNREACHABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, ConnectionError,
    TimeoutError, OSError,
    # A Cluster without a master for a slot (a failover under way), a slot still moving after
    # redis-py's retries, a Sentinel master that turned replica: nothing was applied.
    redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError,
    redis.exceptions.ClusterError, redis.exceptions.SlotNotCoveredError,
    redis.exceptions.ReadOnlyError,
)
"""What a Redis call raises when Redis is down, restarting, frozen or the network is, or a
Cluster or Sentinel is moving its masters (``slots.SlotMoving``, ``resp.NotMaster`` are
``ConnectionError``s)."""


def unavailable(exc: BaseException) -> Unavailable | None:
    """``Unavailable`` for a failure to reach Redis; None for anything else (a bug)."""
    if isinstance(exc, Unavailable):
        return exc
    if isinstance(exc, UNREACHABLE):
        return Unavailable("storage is unreachable; nothing was stored, try again")
    return None


class RedisHealth:
    def __init__(self, redis: aioredis.Redis, timeout_s: float, interval_s: float) -> None:
        self.redis = redis
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self.answering = True
        """The last probe was answered in time."""

    async def probe(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout_s):
                if isinstance(self.redis, RedisCluster):
                    # Ready when every master answers (a lost replica changes nothing for us).
                    await self.redis.ping(target_nodes=RedisCluster.PRIMARIES)
                else:
                    await self.redis.ping()
        except Exception:
            if self.answering:
                log.warning("redis stopped answering")
            self.answering = False
        else:
            if not self.answering:
                log.info("redis answers again")
            self.answering = True
        return self.answering

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self.probe()
            await asyncio.sleep(self.interval_s)
