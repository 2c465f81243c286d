"""The redis-py asyncio client every store shares (the hot path has its own: ``resp.py``)."""

from __future__ import annotations

import redis.asyncio as aioredis

# redis-py's default pool stops at 100 connections; beyond that commands queue for seconds under
# load (seen in the relay benchmark). Most traffic is batched into pipelines, so this is a ceiling.
POOL_SIZE = 512


def connect(url: str, pool_size: int = POOL_SIZE) -> aioredis.Redis:
    """An asyncio client; ``unix://`` and ``redis://`` URLs both work.

    A blocking pool: when every connection is busy (thousands of clients disconnecting at once,
    each cleaning up), a command waits for a free connection instead of failing. The default
    pool raised ``MaxConnectionsError`` there and left helpers marked available (load tests).
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=pool_size, timeout=30, health_check_interval=30
    )
    return aioredis.Redis(connection_pool=pool, decode_responses=False)
