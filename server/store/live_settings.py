"""Live settings in Redis: what an admin changed in the console, read by every process.

One hash, ``settings``: ``resources`` (JSON ``{"crisis": [...], "self_help": [...]}``),
``tier_timeout_s``, ``cooldown_s``, and ``version``, raised by each change. A field that was
never set is absent, and the process keeps its start-up value (``PEERLINE_*`` settings or the
resources file). Operating hours live beside it in ``hours`` (``store/hours.py``), which
``peerline hours set`` has written since before the console.

Processes poll ``version`` (one small read a second) rather than subscribe: a change missed
while Redis or the subscription was down is still picked up by the next poll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from .keys import Keys


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """What is stored; ``None`` where the admin never set a value."""

    version: int
    crisis: list[dict[str, Any]] | None = None
    self_help: list[dict[str, Any]] | None = None
    tier_timeout_s: float | None = None
    cooldown_s: float | None = None


class LiveSettingsStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def version(self) -> int:
        raw = await self.redis.hget(self.keys.live_settings, "version")
        return int(raw or 0)

    async def read(self) -> LiveSettings:
        raw = {k.decode(): v.decode()
               for k, v in (await self.redis.hgetall(self.keys.live_settings)).items()}
        crisis = self_help = None
        if raw.get("resources"):
            try:
                resources = json.loads(raw["resources"])
                crisis, self_help = list(resources["crisis"]), list(resources["self_help"])
            except (ValueError, KeyError, TypeError):
                pass  # written by a newer version: keep the start-up resources, never none
        return LiveSettings(version=int(raw.get("version") or 0), crisis=crisis,
                            self_help=self_help,
                            tier_timeout_s=_number(raw.get("tier_timeout_s")),
                            cooldown_s=_number(raw.get("cooldown_s")))

    async def write(self, *, resources: dict[str, list[dict[str, Any]]] | None = None,
                    tier_timeout_s: float | None = None,
                    cooldown_s: float | None = None) -> int:
        """Store the values given (validated by the caller) and raise the version; return it."""
        mapping: dict[FieldT, EncodableT] = {}
        if resources is not None:
            mapping["resources"] = json.dumps(resources, ensure_ascii=False)
        if tier_timeout_s is not None:
            mapping["tier_timeout_s"] = repr(float(tier_timeout_s))
        if cooldown_s is not None:
            mapping["cooldown_s"] = repr(float(cooldown_s))
        async with self.redis.pipeline(transaction=True) as pipe:
            if mapping:
                pipe.hset(self.keys.live_settings, mapping=mapping)
            pipe.hincrby(self.keys.live_settings, "version", 1)
            result = await pipe.execute()
        return int(result[-1])


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
