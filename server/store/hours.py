"""The operating hours setting, in Redis so every process applies the same one.

One hash, ``hours`` (``spec``, ``zh``, ``en`` messages, ``on_call``: whether requests are taken
while closed if a counselor is on call). A process reads it at most every ``cache_s`` seconds,
so a change made by ``peerline hours set`` on any machine applies everywhere within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from ..core.hours import Hours, InvalidHours, parse
from .keys import Keys


@dataclass(frozen=True, slots=True)
class HoursSetting:
    hours: Hours
    message_zh: str | None
    message_en: str | None
    open_when_on_call: bool


DEFAULT = HoursSetting(parse("always"), None, None, False)


class HoursStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, cache_s: float = 1.0) -> None:
        self.redis = redis
        self.keys = keys
        self.cache_s = cache_s
        self._cached: tuple[float, HoursSetting] | None = None

    async def get(self) -> HoursSetting:
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < self.cache_s:
            return self._cached[1]
        raw = {k.decode(): v.decode() for k, v in (await self.redis.hgetall(self.keys.hours))
               .items()}
        setting = DEFAULT
        if raw.get("spec"):
            try:
                hours = parse(raw["spec"])
            except InvalidHours:
                hours = DEFAULT.hours  # written by a newer version: fail open, never lock out
            setting = HoursSetting(hours, raw.get("zh") or None, raw.get("en") or None,
                                   raw.get("on_call") == "1")
        self._cached = (now, setting)
        return setting

    async def set(self, spec: str, message_zh: str | None = None,
                  message_en: str | None = None, open_when_on_call: bool = False) -> Hours:
        """Store a new setting (checked first: a bad spec raises ``InvalidHours``)."""
        hours = parse(spec)
        await self.redis.hset(self.keys.hours, mapping={
            "spec": hours.spec, "zh": message_zh or "", "en": message_en or "",
            "on_call": int(open_when_on_call)})
        self._cached = None
        return hours
