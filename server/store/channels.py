"""Pub/sub between server processes: each process's node channel and the broadcast channel.

Payloads are MessagePack; the subscription side is ``resp.Subscription`` (read with hiredis).
Channels hold nothing, so there is nothing to expire.
"""

from __future__ import annotations

from typing import Any

import msgpack
import redis.asyncio as aioredis

from .keys import Keys


def pack_event(event: dict[str, Any]) -> bytes:
    return msgpack.packb(event, use_bin_type=True)  # type: ignore[no-any-return]


def unpack_event(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, raw=False)  # type: ignore[no-any-return]


class Channels:
    def __init__(self, redis: aioredis.Redis, keys: Keys, node: str) -> None:
        self.redis = redis
        self.keys = keys
        self.node = node
        self.subscribed = [keys.node_channel(node), keys.bcast]
        """What this process listens to: its own node channel and the broadcast channel."""

    async def to_node(self, node: str, event: dict[str, Any]) -> None:
        await self.redis.publish(self.keys.node_channel(node), pack_event(event))

    async def to_all(self, event: dict[str, Any]) -> None:
        await self.redis.publish(self.keys.bcast, pack_event(event))
