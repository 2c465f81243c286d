"""Pub/sub between server processes: each process's node channel and the broadcast channel.

Payloads are MessagePack; the subscription side is ``resp.Subscription`` (read with hiredis).
Channels hold nothing, so there is nothing to expire.

On a Redis Cluster the channels are sharded (``SPUBLISH``/``SSUBSCRIBE``, Redis/Valkey ≥ 7): a
channel lives on the master of its own hash slot, so an event for one process crosses one
shard instead of being broadcast over the cluster bus to every node (what a plain ``PUBLISH``
does in a cluster). The subscription also takes the same names with plain ``SUBSCRIBE``, so a
plain ``PUBLISH`` (from a Lua script, which may only ``SPUBLISH`` to a channel of its own slot's
node) still arrives; each event is published one way only, so none arrives twice. One node and
Sentinel use plain pub/sub: there is one shard, and any Redis has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import msgpack
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from .keys import Keys
from .resp import Subscription
from .slots import ClusterSubscription
from .topology import parse


def pack_event(event: dict[str, Any]) -> bytes:
    return msgpack.packb(event, use_bin_type=True)  # type: ignore[no-any-return]


def unpack_event(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, raw=False)  # type: ignore[no-any-return]


class Listening(Protocol):
    """A subscription: ``run`` hands messages over until it fails (then make a new one)."""

    async def run(self, on_subscribed: Callable[[], None]) -> None: ...


class Channels:
    def __init__(self, redis: aioredis.Redis, keys: Keys, node: str) -> None:
        self.redis = redis
        self.keys = keys
        self.node = node
        self.subscribed = [keys.node_channel(node), keys.bcast]
        """What this process listens to: its own node channel and the broadcast channel."""
        self.sharded = isinstance(redis, RedisCluster)
        """Publish with ``SPUBLISH`` (a Cluster), else ``PUBLISH``."""

    async def publish(self, channel: str, data: bytes) -> None:
        """One event on ``channel``: sharded on a Cluster, plain elsewhere."""
        if self.sharded:
            await self.redis.spublish(channel, data)
        else:
            await self.redis.publish(channel, data)

    async def to_node(self, node: str, event: dict[str, Any]) -> None:
        await self.publish(self.keys.node_channel(node), pack_event(event))

    async def to_all(self, event: dict[str, Any]) -> None:
        await self.publish(self.keys.bcast, pack_event(event))

    def subscription(self, url: str, on_message: Callable[[bytes], None], idle_s: float,
                     name: str) -> Listening:
        """A fresh subscription to ``subscribed`` at the Redis of ``url`` (one per attempt)."""
        topology = parse(url)
        if topology.kind == "cluster":
            return ClusterSubscription(topology, self.subscribed, on_message, idle_s, name,
                                       plain=self.subscribed)
        return Subscription(topology, self.subscribed, on_message, idle_s=idle_s, name=name)
