"""The redis-py asyncio client every store shares (the hot path has its own: ``resp.py``)."""

from __future__ import annotations

import redis.asyncio as aioredis

# redis-py's default pool stops at 100 connections; beyond that commands queue for seconds under
# load (seen in the relay benchmark). Most traffic is batched into pipelines, so this is a ceiling.
POOL_SIZE = 512


def connect(url: str, pool_size: int = POOL_SIZE, timeout_s: float | None = None
            ) -> aioredis.Redis:
    """An asyncio client; ``unix://`` and ``redis://`` URLs both work.

    A blocking pool: when every connection is busy (thousands of clients disconnecting at once,
    each cleaning up), a command waits for a free connection instead of failing. The default
    pool raised ``MaxConnectionsError`` there and left helpers marked available (load tests).

    ``timeout_s`` bounds every command (and connecting): a frozen or unreachable Redis fails a
    call within it instead of hanging the frame that made it.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=pool_size, timeout=30, health_check_interval=30,
        socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
    )
    # from_pool: the client owns the pool, so ``aclose`` closes its connections too (a client
    # given ``connection_pool=`` leaves them open: ResourceWarnings, and sockets held).
    return aioredis.Redis.from_pool(pool)
