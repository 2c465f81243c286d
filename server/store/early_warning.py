"""Early warnings in Redis: each warning, the list by time, conditions already warned of, and
the thresholds.

- ``warn:<id>``: a hash (kind, topic, department, detail, figures, raised_at, and ``acked`` =
  ``<ms>|<username>`` once acknowledged). Kept the warning retention.
- ``warnings``: ids by time; older than the retention are trimmed on each raise.
- ``warn:cond:<condition>``: set with NX when a condition is first warned of; while it lives
  the same condition raises nothing new (the repeat window).
- ``warn:thresholds``: the coordinator's thresholds as JSON; a setting, kept until changed.
  Read on every check, so a change applies on whichever process checks next.

Nothing here names a student: a warning is about a rate, a topic or a department.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from .keys import Keys

_LUA = Path(__file__).with_name("lua")
MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class StoredWarning:
    wid: str
    kind: str
    topic: str | None
    department: str | None
    detail: str
    raised_at: int
    acked_by: str | None = None
    acked_at: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, wid: str, raw: dict[Any, Any]) -> StoredWarning | None:
        if not raw or b"kind" not in raw:
            return None
        acked = raw.get(b"acked", b"").decode()
        at, _, by = acked.partition("|")
        return cls(wid=wid, kind=raw[b"kind"].decode(),
                   topic=raw.get(b"topic", b"").decode() or None,
                   department=raw.get(b"department", b"").decode() or None,
                   detail=raw.get(b"detail", b"").decode(),
                   raised_at=int(raw.get(b"raised_at", b"0")),
                   acked_by=by or None, acked_at=int(at) if at else None,
                   figures=json.loads(raw.get(b"figures", b"{}")))


class WarningStore:
    def __init__(self, redis: aioredis.Redis, keys: Keys, retention_s: int) -> None:
        self.redis = redis
        self.keys = keys
        self.retention_s = retention_s
        self._ack = redis.register_script((_LUA / "ack_warning.lua").read_text())

    async def thresholds(self) -> dict[str, Any] | None:
        raw = await self.redis.get(self.keys.warning_thresholds)
        return json.loads(raw) if raw else None

    async def set_thresholds(self, values: dict[str, Any]) -> None:
        await self.redis.set(self.keys.warning_thresholds, json.dumps(values, sort_keys=True))

    async def first_time(self, condition: str, repeat_after_s: int) -> bool:
        """True if ``condition`` was not warned of within its repeat window (and marks it)."""
        return bool(await self.redis.set(self.keys.warning_condition(condition), "1", nx=True,
                                         ex=max(1, repeat_after_s)))

    async def add(self, warning: StoredWarning) -> None:
        key = self.keys.warning(warning.wid)
        cutoff = warning.raised_at - self.retention_s * 1000
        # The warning, then the list (another Cluster slot): a crash between leaves a warning
        # nobody lists, which expires with its retention; nothing lists a missing warning.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={
                "kind": warning.kind, "topic": warning.topic or "",
                "department": warning.department or "", "detail": warning.detail,
                "raised_at": warning.raised_at, "figures": json.dumps(warning.figures)})
            pipe.expire(key, self.retention_s)
            await pipe.execute()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.warnings, {warning.wid: warning.raised_at})
            pipe.zremrangebyscore(self.keys.warnings, "-inf", f"({cutoff}")
            pipe.expire(self.keys.warnings, self.retention_s)
            await pipe.execute()

    async def get(self, wid: str) -> StoredWarning | None:
        return StoredWarning.from_hash(wid, await self.redis.hgetall(self.keys.warning(wid)))

    async def ack(self, wid: str, by: str, at_ms: int) -> StoredWarning | None:
        """Acknowledge once (``HSETNX``: the first person's name stays); None if unknown."""
        if not await self._ack(keys=[self.keys.warning(wid)], args=[f"{at_ms}|{by}"]):
            return None
        return await self.get(wid)

    async def recent(self, limit: int = MAX_LISTED) -> list[StoredWarning]:
        """Newest first; ids whose warning has expired are skipped."""
        wids = [w.decode() for w in await self.redis.zrevrange(self.keys.warnings, 0,
                                                               limit - 1)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for wid in wids:
                pipe.hgetall(self.keys.warning(wid))
            rows = await pipe.execute()
        found = (StoredWarning.from_hash(wid, row) for wid, row in zip(wids, rows, strict=True))
        return [w for w in found if w is not None]
