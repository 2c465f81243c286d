"""What an ``ack`` promises (``PEERLINE_DURABILITY``), and the Redis step that keeps it.

- ``local``: acked once the primary has it in memory. Redis writes its AOF to disk every
  second (``appendfsync everysec``), so if Redis itself dies (``SIGKILL``, power) up to about a
  second of acked messages can be lost. The default, and the fastest.
- ``fsync``: acked once the write is on the primary's disk. On a Redis with ``appendfsync
  always`` (the embedded one is set so) Redis writes and fsyncs its AOF before it answers, so
  no extra command is needed; on another Redis ≥ 7.2 / Valkey each batch of messages ends with
  ``WAITAOF 1 0 <timeout>``. Anything else is refused at start-up, naming the setting.
- ``replica``: acked once a replica holds the write: each batch of messages ends with
  ``WAIT 1 <timeout>`` on the same connection (one round trip still: it is pipelined behind the
  batch). ``say.lua`` does not publish the message itself; the server sends it to the other
  processes only after the confirmation, and a replay waits for it too, so nothing of a
  message leaves before a replica has it (PROTOCOL.md v1.1).

When the confirmation does not come in time the sender gets ``unavailable`` (``NotDurable``),
never an ``ack``; the message may be stored on the primary, and the client's re-send (marked
``resend``) is recognised by its ref (``say.lua``) and acked once confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from ..core.errors import ConfigError, NotDurable
from .resp import pack

log = logging.getLogger("peerline.redis")

Mode = Literal["local", "fsync", "replica"]
WAITAOF_SINCE = (7, 2)
"""The first Redis with ``WAITAOF`` (Valkey has it from its first release, 7.2.4)."""


@dataclass(frozen=True)
class Durability:
    mode: Mode = "local"
    timeout_ms: int = 1000
    confirm: bytes | None = None
    """The command that ends a batch of messages (``WAIT``/``WAITAOF``), packed; None when the
    ack needs no extra step (``local``, or ``fsync`` on ``appendfsync always``)."""
    sharded: bool = False
    """A Redis Cluster: events go by ``SPUBLISH`` from the caller, never ``PUBLISH`` in a
    script (which the cluster bus would carry to every node)."""

    @property
    def publish_inline(self) -> bool:
        """Whether ``say.lua`` may publish a message as it stores it: not with ``replica``,
        where nothing of a message leaves before a replica holds it, nor on a Cluster."""
        return self.mode != "replica" and not self.sharded

    def check(self, reply: Any) -> NotDurable | None:
        """The ``confirm`` command's reply read: None when the batch is as durable as
        promised, else the error its messages' senders get."""
        if isinstance(reply, Exception):
            return NotDurable(f"storage did not confirm the write ({reply}); send it again")
        confirmed = reply[0] if self.mode == "fsync" and isinstance(reply, list) else reply
        if int(confirmed) >= 1:
            return None
        where = "a replica" if self.mode == "replica" else "the disk"
        return NotDurable(f"{where} did not confirm the message in time; send it again")


async def prepare(redis: aioredis.Redis, mode: Mode, timeout_ms: int,
                  embedded: bool = False) -> Durability:
    """Check that the Redis behind ``redis`` can keep the promise of ``mode`` (``ConfigError``
    naming ``PEERLINE_DURABILITY`` if not), and say how each batch of messages confirms it.
    The embedded Redis is this process's own: it is set to ``appendfsync always`` for
    ``fsync`` (and back to ``everysec`` otherwise) at every start. On a Redis Cluster every
    master is checked, and the confirmation is asked of each master a batch wrote to
    (``slots.ClusterConnection.batch_confirmed``)."""
    sharded = isinstance(redis, RedisCluster)
    nodes = await _masters(redis)
    if mode == "local":
        if embedded:
            await redis.config_set("appendfsync", "everysec")
        return Durability(sharded=sharded)
    if mode == "replica":
        for node, ask in nodes:
            replicas = int((await ask.info("replication")).get("connected_slaves", 0))
            if replicas == 0:
                log.warning("PEERLINE_DURABILITY=replica but the Redis master%s has no replica "
                            "connected: its messages are refused (unavailable) until one is",
                            f" {node}" if node else "")
        return Durability(mode, timeout_ms, pack(["WAIT", 1, timeout_ms]), sharded)
    if embedded:
        await redis.config_set("appendonly", "yes")
        await redis.config_set("appendfsync", "always")
    configs = [await _append_config(ask) for _node, ask in nodes]
    if all(c.get("appendonly") == "yes" and c.get("appendfsync") == "always" for c in configs):
        return Durability(mode, timeout_ms, sharded=sharded)
    if any(c.get("appendonly") == "no" for c in configs):
        raise ConfigError("PEERLINE_DURABILITY=fsync needs a Redis with appendonly yes"
                          + (" on every master" if sharded else ""))
    versions = [_version(await ask.info("server")) for _node, ask in nodes]
    if min(versions) >= WAITAOF_SINCE:
        return Durability(mode, timeout_ms, pack(["WAITAOF", 1, 0, timeout_ms]), sharded)
    raise ConfigError("PEERLINE_DURABILITY=fsync needs a Redis with appendfsync always, or "
                      "Redis >= 7.2 / Valkey (WAITAOF)")


class _NodeCommands:
    """``info``/``config_get`` of one Cluster master, shaped like a plain client's."""

    def __init__(self, cluster: RedisCluster, node: Any) -> None:
        self.cluster = cluster
        self.node = node

    async def info(self, section: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self.cluster.info(section, target_nodes=self.node))

    async def config_get(self, pattern: str) -> dict[str, Any]:
        return cast(dict[str, Any],
                    await self.cluster.config_get(pattern, target_nodes=self.node))


async def _masters(redis: aioredis.Redis) -> list[tuple[str, Any]]:
    """``(name, something with info/config_get)`` for each master: the one node, or each
    master of a Cluster (its slot map loaded first: a new client knows no node yet)."""
    if not isinstance(redis, RedisCluster):
        return [("", redis)]
    await redis.initialize()
    masters = redis.get_primaries()
    if not masters:
        raise ConfigError("the Redis Cluster names no master (CLUSTER SLOTS is empty)")
    return [(node.name, _NodeCommands(redis, node)) for node in masters]


async def _append_config(ask: Any) -> dict[str, Any]:
    try:
        return cast(dict[str, Any], await ask.config_get("append*"))
    except ResponseError:  # CONFIG renamed or refused (a managed Redis): ask WAITAOF instead
        return {}


def _version(info: dict[str, Any]) -> tuple[int, int]:
    raw = str(info.get("valkey_version") or info.get("redis_version") or "0.0")
    major, _, rest = raw.partition(".")
    minor = rest.partition(".")[0]
    return int(major), int(minor or 0)
