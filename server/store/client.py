"""The redis-py asyncio client every store shares (the hot path has its own: ``resp.py``).

One node, a Sentinel-managed master or a Redis Cluster, by the URL (``topology.py``). The
stores call one command surface: a Cluster client routes each command by its key's slot, a
Sentinel client asks the Sentinels for the master on every new connection (so after a
failover the next connection goes to the new master) and drops a connection whose master
turned replica (redis-py's ``SentinelManagedConnection``).
"""

from __future__ import annotations

from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool

from .topology import Topology, parse

# redis-py's default pool stops at 100 connections; beyond that commands queue for seconds under
# load (seen in the relay benchmark). Most traffic is batched into pipelines, so this is a ceiling.
POOL_SIZE = 512


class BlockingSentinelPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """A Sentinel pool that waits for a free connection when all are busy (as ``connect``'s
    one-node pool does) instead of raising ``MaxConnectionsError``."""


class SentinelRedis(aioredis.Redis):
    """The master's client; ``aclose`` also closes its connections to the Sentinels."""

    sentinel_manager: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.sentinel_manager is not None:
            for sentinel in self.sentinel_manager.sentinels:
                await sentinel.aclose()


def connect(url: str, pool_size: int = POOL_SIZE, timeout_s: float | None = None
            ) -> aioredis.Redis:
    """An asyncio client for ``url`` (any form ``topology.parse`` reads).

    A blocking pool: when every connection is busy (thousands of clients disconnecting at once,
    each cleaning up), a command waits for a free connection instead of failing. The default
    pool raised ``MaxConnectionsError`` there and left helpers marked available (load tests).

    ``timeout_s`` bounds every command (and connecting): a frozen or unreachable Redis fails a
    call within it instead of hanging the frame that made it.

    A Cluster client is returned typed as ``aioredis.Redis``: it has the same command methods,
    pipelines and ``aclose`` that the stores use (its pipelines refuse a transaction across
    slots, which is why every multi-key step shares one hash tag, ``keys.py``).
    """
    topology = parse(url)
    if topology.kind == "cluster":
        return cast(aioredis.Redis, cluster_client(topology, pool_size, timeout_s))
    if topology.kind == "sentinel":
        return sentinel_client(topology, pool_size, timeout_s)
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=pool_size, timeout=30, health_check_interval=30,
        socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
    )
    # from_pool: the client owns the pool, so ``aclose`` closes its connections too (a client
    # given ``connection_pool=`` leaves them open: ResourceWarnings, and sockets held).
    return aioredis.Redis.from_pool(pool)


def cluster_client(topology: Topology, pool_size: int = POOL_SIZE,
                   timeout_s: float | None = None) -> RedisCluster:
    """A ``RedisCluster`` seeded with every node of the URL; ``pool_size`` is per node."""
    return RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in topology.hosts],
        max_connections=pool_size, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
        health_check_interval=30, **_without_db(topology.auth_kwargs()),
    )


def sentinels(topology: Topology, timeout_s: float | None = None) -> Sentinel:
    """The Sentinels of the URL, able to name the current master (``discover_master``)."""
    return Sentinel(
        list(topology.hosts),
        sentinel_kwargs={**_drop_none(topology.sentinel_kwargs()),
                         "socket_timeout": timeout_s, "socket_connect_timeout": timeout_s},
        socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
    )


def sentinel_client(topology: Topology, pool_size: int = POOL_SIZE,
                    timeout_s: float | None = None) -> aioredis.Redis:
    """A client of the master that the Sentinels name now, following failovers."""
    assert topology.service is not None
    manager = sentinels(topology, timeout_s)
    client = manager.master_for(
        topology.service, redis_class=SentinelRedis,
        connection_pool_class=BlockingSentinelPool, max_connections=pool_size, timeout=30,
        health_check_interval=30, **_drop_none(topology.auth_kwargs()),
    )
    # master_for hands the pool to the client without ownership; let ``aclose`` close it too.
    client.auto_close_connection_pool = True
    client.sentinel_manager = manager
    return cast(aioredis.Redis, client)


def _drop_none(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}


def _without_db(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in _drop_none(kwargs).items() if k != "db"}
